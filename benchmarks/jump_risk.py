"""LT with and without jump risk in the stress paths, side by side in one run (RESULTS.md, "Jump risk in the LT
search").

    SOLVENCY_DATA=/path/to/shared/data python benchmarks/jump_risk.py --json

The four example markets on the embedded sample, and WETH / WBTC on real daily closes (Binance ETH/USDT and
BTC/USDT, when ``SOLVENCY_DATA`` is there), each calibrated with ``[calibration] jumps = "none"`` (the diffusion
of issue 4's first calibrator) and ``"default"`` (the law estimated on ETH hourly data), 10,000 paths, the
markets' own seeds. Aave v3's Oct-2023 liquidation thresholds beside them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from _common import parser, report
from solvency.calibrate.lending import calibrate_lending
from solvency.config import load_market

ROOT = Path(__file__).resolve().parents[1]
AAVE_LT = {"weth": 0.83, "wbtc": 0.78, "wsteth": 0.81, "link": 0.68}
REAL = {"weth": "daily/binance_ETHUSDT_1d.csv", "wbtc": "daily/binance_BTCUSDT_1d.csv"}


def run(name: str, jumps: str, prices: Path | None) -> dict[str, Any]:
    spec = load_market(ROOT / "examples" / "markets" / f"aave-v3-{name}.toml")
    spec.calibration.jumps = jumps
    start = time.perf_counter()
    r = calibrate_lending(spec, prices=prices, depth_sensitivity=False, emode=False)
    return {
        "liquidation_threshold": r.params.liquidation_threshold,
        "ltv": r.params.ltv,
        "liquidation_bonus": r.params.liquidation_bonus,
        "lt_binding": r.lt_binding,
        "budget_met": r.budget_met,
        "bad_debt_es99": r.risk.es99,
        "prob_bad_debt": r.risk.prob,
        "current_es99": r.risk_current.es99,
        "allowed": r.budget * r.debt_total,
        "sigma": r.sigma,
        "wall_s": time.perf_counter() - start,
    }


def main() -> None:
    args = parser("LT with and without jump risk in the stress paths.").parse_args()
    data = os.environ.get("SOLVENCY_DATA")
    cases: list[tuple[str, str, Path | None]] = [(m, "sample", None) for m in AAVE_LT]
    if data:
        cases += [(m, f, Path(data) / f) for m, f in REAL.items() if (Path(data) / f).is_file()]
    rows = []
    for name, source, prices in cases:
        rows.append(
            {
                "market": name,
                "prices": source,
                "aave_lt": AAVE_LT[name],
                "no_jumps": run(name, "none", prices),
                "jumps": run(name, "default", prices),
            }
        )
    report({"rows": rows}, args.json)


if __name__ == "__main__":
    main()
