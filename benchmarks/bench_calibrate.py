"""Lending calibrator speed: one market end to end (fit + LT search with 10,000 paths), the four example markets,
and the walk-forward backtest on ETH 2018-2026 when the real data is there.

    python benchmarks/bench_calibrate.py --json            # figures as one JSON object
    python benchmarks/bench_calibrate.py --json --repeat 1 # quicker
    python benchmarks/bench_calibrate.py --json --jumps none  # the stress paths without jumps (before/after)

Targets (issue 4): one market ≤ 20 s, the four example markets ≤ 60 s. Each figure is the median of ``--repeat``
runs after one warm-up run (numba compiles once per machine; its cache makes later processes start warm).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

from _common import parser, report, timed
from solvency.calibrate.backtest_lending import backtest_lending
from solvency.calibrate.lending import calibrate_lending
from solvency.calibrate.setup import market_spec

ROOT = Path(__file__).resolve().parents[1]
MARKETS = [ROOT / "examples" / "markets" / f"aave-v3-{m}.toml" for m in ("weth", "wbtc", "wsteth", "link")]


def one(path: Path, jumps: str | None = None) -> dict[str, Any]:
    r = calibrate_lending(market_spec(path, jumps=jumps))
    return {
        "runtime_s": r.runtime_s,
        "paths": r.sensitivity["model"]["paths"],
        "evaluations": len(r.frontier.evaluations),
        "ladder_rows": len(r.ladder.rows),
        "liquidation_threshold": r.params.liquidation_threshold,
        "ltv": r.params.ltv,
        "liquidation_bonus": r.params.liquidation_bonus,
        "sigma": r.sigma,
    }


def main() -> None:
    p = parser("Lending calibrator: one market and the four example markets end to end.")
    p.add_argument("--jumps", choices=["default", "none"], default=None, help="override [calibration] jumps")
    args = p.parse_args()
    jumps = args.jumps
    repeat = max(1, args.repeat)
    one_s, _, weth = timed(lambda: one(MARKETS[0], jumps), repeat=repeat, warmup=1)
    four: list[float] = []
    per_market: dict[str, list[float]] = {p.stem: [] for p in MARKETS}
    details: dict[str, Any] = {}
    for _ in range(repeat):
        start = time.perf_counter()
        for p in MARKETS:
            t0 = time.perf_counter()
            details[p.stem] = one(p, jumps)
            per_market[p.stem].append(time.perf_counter() - t0)
        four.append(time.perf_counter() - start)
    payload: dict[str, Any] = {
        "one_market_s": one_s,
        "one_market": {"market": MARKETS[0].stem, **weth},
        "four_markets_s": statistics.median(four),
        "four_markets_runs_s": four,
        "per_market_s": {k: statistics.median(v) for k, v in per_market.items()},
        "per_market": details,
        "targets_s": {"one_market": 20.0, "four_markets": 60.0},
        "jumps": jumps or "as in the specs",
    }
    data = os.environ.get("SOLVENCY_DATA")
    if data and (Path(data) / "daily" / "binance_ETHUSDT_1d.csv").is_file():
        start = time.perf_counter()
        spec = market_spec(MARKETS[0], jumps=jumps)
        bt = backtest_lending(spec, prices=Path(data) / "daily" / "binance_ETHUSDT_1d.csv", data_root=data)
        payload["backtest_eth_2018_2026_s"] = time.perf_counter() - start
        payload["backtest"] = {k: v for k, v in bt.to_dict().items() if k != "frontier"}
    report(payload, args.json)


if __name__ == "__main__":
    main()
