"""Real crash replays: bad debt of an Aave-like book under current vs 2020-style oracle and liquidators.

Replays (shared real data, ``$SOLVENCY_DATA`` or ``../shared/data``):

* Black Thursday — ``intraday/coinapi_ETHUSD_10m_2020-03-12.csv`` at its 10-minute resolution, with that day's
  ``intraday/ethereum_gasprice_10m_2020-03-12.csv`` (column ``avgGasDay`` for (a), ``90.0 Perc`` for (b));
* 10 October 2025 — ``intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv`` at 4 hours, bar closes and
  open-high-low-close sub-steps.

Book and market: ``MarketSpec()`` — 5,000 synthetic positions, $1 B of debt, LT 0.83, LB 0.05, built at the
replay's first price; the default depth table at the stress multiplier ×0.5; impact half-life 1 h.
Conditions (``solvency.sim.stress.CONDITIONS``): (a) ``current`` — oracle 0.5 % / 1 h heartbeat, no delay;
liquidators 1 minute behind with 25 M USDC of capacity per 5 minutes; gas the day's mean (2020) or 30 gwei.
(b) ``congested-2020`` — oracle 1 h behind; liquidators 30 minutes behind with a fifth of the capacity; gas the
day's 90th percentile (2020) or 200 gwei.

Run: ``python benchmarks/replay_crashes.py --json``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report
from solvency.sim.stress import CONDITIONS, simulate_lending, with_conditions


def data_dir() -> Path:
    env = os.environ.get("SOLVENCY_DATA")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def one(conditions: str, **kwargs: object) -> dict[str, float]:
    r = simulate_lending(with_conditions(None, conditions), **kwargs)  # type: ignore[arg-type]
    return {
        "bad_debt": r.bad_debt.mean,
        "bad_debt_share": r.bad_debt.mean / r.debt_total,
        "insolvent_positions": r.insolvent_positions_mean,
        "liquidations": r.liquidations.count_mean,
        "liquidated_volume": r.liquidations.volume_mean,
        "start_price": r.details["start_prices"][0],
        "steps": r.horizon // r.step,
        "step_s": r.step,
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    intraday = data_dir() / "intraday"
    bt = {
        "prices": intraday / "coinapi_ETHUSD_10m_2020-03-12.csv",
        "gas": intraday / "ethereum_gasprice_10m_2020-03-12.csv",
    }
    oct25 = intraday / "binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv"
    results = {
        "black_thursday_10m": {
            "a_current": one("current", **bt, gas_column="avgGasDay"),
            "b_congested_2020": one("congested-2020", **bt, gas_column="90.0 Perc"),
        },
        "oct_2025_4h_close": {
            "a_current": one("current", prices=oct25),
            "b_congested_2020": one("congested-2020", prices=oct25),
        },
        "oct_2025_4h_ohlc": {
            "a_current": one("current", prices=oct25, intrabar="ohlc"),
            "b_congested_2020": one("congested-2020", prices=oct25, intrabar="ohlc"),
        },
    }
    report({"benchmark": "replay_crashes", "conditions": CONDITIONS, "results": results}, args.json)


if __name__ == "__main__":
    main()
