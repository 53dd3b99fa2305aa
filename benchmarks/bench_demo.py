"""``solvency demo`` end to end, as a user runs it: the console script in a subprocess, per-section times, report size.

The first run uses an empty numba cache (``NUMBA_CACHE_DIR`` in a temporary folder), so it includes compiling the
simulator's and the margin kernels — what a fresh clone's ``make demo`` pays once. The following runs reuse that
cache (what every later run pays); the figures are their medians.

    python benchmarks/bench_demo.py --json [--repeat 3] [--data DIR]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import parser, report


def run_once(exe: str, out: Path, env: dict[str, str], data: str | None) -> dict[str, Any]:
    args = [exe, "demo", "--out", str(out), "--json"] + (["--data", data] if data else ["--sample"])
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"solvency demo failed ({done.returncode}): {done.stderr[-2000:]}")
    payload = json.loads(done.stdout)
    return {"wall_s": wall, "runtime_s": payload["runtime_s"], "timings": payload["timings"],
            "report_bytes": payload["report_bytes"]}  # fmt: skip


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--data", default=None, help="real-data folder (default: the embedded sample)")
    p.set_defaults(repeat=3)
    args = p.parse_args()
    exe = shutil.which("solvency", path=str(Path(sys.executable).parent)) or "solvency"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "NUMBA_CACHE_DIR": str(Path(tmp) / "numba-cache")}
        env.pop("SOLVENCY_DATA", None)
        cold = run_once(exe, Path(tmp) / "cold", env, args.data)
        warm = [run_once(exe, Path(tmp) / f"warm{i}", env, args.data) for i in range(args.repeat)]
    sections = warm[0]["timings"].keys()
    report(
        {
            "data": args.data or "sample",
            "cold_wall_s": cold["wall_s"],
            "cold_timings": cold["timings"],
            "warm_wall_s_median": statistics.median(r["wall_s"] for r in warm),
            "warm_wall_s": [r["wall_s"] for r in warm],
            "warm_timings_median": {k: statistics.median(r["timings"][k] for r in warm) for k in sections},
            "report_bytes": warm[-1]["report_bytes"],
            "load_average": os.getloadavg(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
