"""Sweep speed-up: a stress sweep of 8 lending markets on 2 Dask workers against 1 (target ≥ 1.6× on 2 cores).

The sweep: ``--markets`` synthetic lending markets (Aave-v3-like parameters that differ per market, books of
``--positions`` positions), each under the Black Thursday 2020 scenario over ``--horizon``, ``--paths`` paths per
market in tasks of ``--chunk-paths`` (2 tasks per market by default: 16 tasks of equal size).

Two ``LocalCluster`` s are started — 1 worker process and 2 worker processes, one thread each — and kept for the
whole run. Each first runs the sweep once to warm up (worker start-up, imports, the simulator's compiled kernels
loaded or compiled in every worker process). Then they are timed in ``--repeat`` back-to-back **pairs** (order
alternating), so that load from other programs falls on both runs of a pair alike. The headline
``speedup_2_over_1`` is the median over pairs of (1-worker time / 2-worker time); the ratio of the medians and of
the best runs are reported beside it. Every run's numbers are checked identical to a local run (same seed, same
results on any number of workers). The plain local loop (no Dask, the simulator on all its threads) is timed once
per pair too, for reference.

Run: ``python benchmarks/bench_distributed.py --json`` (``--quick`` for a smoke run). The machine's load
average before and after is reported: the speed-up needs two idle cores.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report
from solvency.sweep.executors import Executor, LocalExecutor, get_executor
from solvency.sweep.stress import StressSweep, sweep_stress

# (LTV, LT, LB) of Aave v3 Ethereum collaterals (DESIGN §4.4), cycled over the markets
PARAMS = [(0.805, 0.83, 0.05), (0.73, 0.78, 0.05), (0.785, 0.81, 0.06), (0.53, 0.68, 0.07)]


def write_markets(folder: Path, n: int, positions: int) -> None:
    for i in range(n):
        ltv, lt, lb = PARAMS[i % len(PARAMS)]
        (folder / f"market{i:02d}.toml").write_text(
            f'name = "bench-{i:02d}"\nprotocol = "lending"\n'
            f"[current]\nltv = {ltv}\nliquidation_threshold = {lt}\nliquidation_bonus = {lb}\n"
            f"[book]\npositions = {positions}\ndebt_total = 1.0e9\nseed = {i + 1}\n"
        )


def fingerprint(sweep: StressSweep) -> list[tuple[str, str, bytes]]:
    return [(c.market, c.scenario, c.output.bad_debt.tobytes() + c.output.volume.tobytes()) for c in sweep.cells]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.set_defaults(repeat=5)
    p.add_argument("--markets", type=int, default=8)
    p.add_argument("--paths", type=int, default=512)
    p.add_argument("--chunk-paths", type=int, default=256)
    p.add_argument("--positions", type=int, default=1000)
    p.add_argument("--horizon", default="1d")
    p.add_argument("--scenario", default="black-thursday-2020")
    p.add_argument("--quick", action="store_true", help="small smoke run")
    args = p.parse_args()
    if args.quick:
        args.paths, args.chunk_paths, args.positions, args.repeat = 256, 256, 500, 2

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_markets(folder, args.markets, args.positions)

        def run(ex: Executor) -> tuple[float, StressSweep]:
            start = time.perf_counter()
            sweep = sweep_stress(
                folder,
                scenarios=args.scenario,
                paths=args.paths,
                seed=2024,
                horizon=args.horizon,
                chunk_paths=args.chunk_paths,
                executor=ex,
            )
            return time.perf_counter() - start, sweep

        with get_executor(workers=1) as one, get_executor(workers=2) as two:
            warm = {"one": run(one)[0], "two": run(two)[0]}
            reference = fingerprint(run(LocalExecutor())[1])
            times: dict[str, list[float]] = {"one": [], "two": [], "local": []}
            loads = []
            identical = True
            for i in range(args.repeat):
                order = [("one", one), ("two", two)] if i % 2 == 0 else [("two", two), ("one", one)]
                for name, ex in [*order, ("local", LocalExecutor())]:
                    seconds, sweep = run(ex)
                    times[name].append(seconds)
                    identical &= fingerprint(sweep) == reference
                loads.append(os.getloadavg()[0])
            tasks = sweep.tasks
    med = {k: statistics.median(v) for k, v in times.items()}
    pairs = [a / b for a, b in zip(times["one"], times["two"], strict=True)]
    report(
        {
            "benchmark": "stress sweep, 2 Dask workers vs 1",
            "markets": args.markets,
            "scenario": args.scenario,
            "horizon": args.horizon,
            "paths_per_market": args.paths,
            "chunk_paths": args.chunk_paths,
            "positions_per_market": args.positions,
            "tasks": tasks,
            "one_worker_s": med["one"],
            "two_workers_s": med["two"],
            "local_loop_s": med["local"],
            "speedup_2_over_1": statistics.median(pairs),
            "speedup_pairs": pairs,
            "speedup_of_medians": med["one"] / med["two"],
            "speedup_of_best": min(times["one"]) / min(times["two"]),
            "target": 1.6,
            "met": statistics.median(pairs) >= 1.6,
            "identical_results": identical,
            "runs_s": times,
            "warmup_s": warm,
            "repeat": args.repeat,
            "load_average_before": list(load_before),
            "load_average_1min_after_each_pair": loads,
            "load_average_after": list(os.getloadavg()),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
