"""Bad debt under the risk oracle's parameter path vs static parameters, on the real crash replays of issue 6.

For each replay the oracle (``examples/oracle.toml``, market ``aave-v3-weth``: starts at LT 0.83 / LB 0.05,
tighten-only within its guardrails) runs over the price file; its published LT/LB path then drives the stress
engine (:func:`solvency.oracle.stress.stress_replay`), and the same replay runs again at the static LT 0.83 /
LB 0.05. Book and market as the simulator's real-replay runs (``benchmarks/replay_crashes.py``): ``MarketSpec()``
— 5,000 synthetic positions, $1 B of debt, built at the replay's first price; depth ×0.5, impact half-life 1 h —
under conditions (a) ``current`` and (b) ``congested-2020``. Black Thursday at 10 minutes uses that day's gas
file (``avgGasDay`` for (a), ``90.0 Perc`` for (b)).

Replays (shared real data, ``$SOLVENCY_DATA`` or ``../shared/data``):
``intraday/coinapi_ETHUSD_10m_2020-03-12.csv``, ``intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv``,
``intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv`` (bar closes, and O-H-L-C sub-steps).

Each case also splits the oracle's path in two — its LT path with the static LB (``lt_only``), and its LB path with
the static LT (``lb_only``) — to show which of the two moves the bad debt.

Exits 1 if the oracle's path takes more bad debt than static parameters in any case.
Run: ``python benchmarks/oracle_vs_static.py --json`` (``--recovery 1m`` for the impact-recovery sensitivity).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report
from solvency.config import MarketSpec
from solvency.data.loading import load_prices
from solvency.oracle.config import load_oracle_config
from solvency.oracle.stress import stress_replay
from solvency.sim.schedule import ParamSchedule
from solvency.sim.stress import simulate_lending, with_conditions

ROOT = Path(__file__).resolve().parents[1]
REPLAYS = {
    "black_thursday_10m": ("coinapi_ETHUSD_10m_2020-03-12.csv", "ethereum_gasprice_10m_2020-03-12.csv", "close"),
    "black_thursday_1h": ("coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv", None, "close"),
    "oct_2025_4h_close": ("binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv", None, "close"),
    "oct_2025_4h_ohlc": ("binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv", None, "ohlc"),
}
CONDITIONS = {"a_current": ("current", "avgGasDay"), "b_congested_2020": ("congested-2020", "90.0 Perc")}


def data_dir() -> Path:
    env = os.environ.get("SOLVENCY_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--recovery", default=None, help='impact half-life instead of the spec\'s "1h" (e.g. "1m")')
    p.add_argument("--delay", type=int, default=0, help="publication lag of the oracle's updates, seconds")
    args = p.parse_args()
    config = load_oracle_config(ROOT / "examples" / "oracle.toml")
    intraday = data_dir() / "intraday"
    spec = MarketSpec()
    if args.recovery is not None:
        spec.liquidity.recovery = args.recovery
    results: dict[str, dict[str, object]] = {}
    failures = []
    for case, (file, gas, intrabar) in REPLAYS.items():
        prices = load_prices(intraday / file)
        results[case] = {}
        for label, (conditions, column) in CONDITIONS.items():
            run = {"gas": None if gas is None else intraday / gas, "gas_column": column, "intrabar": intrabar}
            stress = stress_replay(
                prices, config, asset="ETH", market=spec, conditions=conditions, delay=args.delay, **run
            )
            out = stress.to_dict()
            lt, lb = stress.schedule.lt, stress.schedule.lb
            static = stress.static_params
            for part, schedule in (
                ("lt_only", ParamSchedule(spec.asset, lt=lt, lb=static["liquidation_bonus"])),
                ("lb_only", ParamSchedule(spec.asset, lt=static["liquidation_threshold"], lb=lb)),
            ):
                r = simulate_lending(with_conditions(spec, conditions), prices=prices, schedule=schedule, **run)
                out[part] = {"bad_debt": r.bad_debt.mean, "insolvent_positions": r.insolvent_positions_mean}
            results[case][label] = out
            if not out["no_more_bad_debt"]:
                failures.append(f"{case}/{label}")
    report(
        {
            "benchmark": "oracle_vs_static",
            "recovery": spec.liquidity.recovery,
            "delay_s": args.delay,
            "results": results,
            "oracle_takes_no_more_bad_debt": not failures,
            "failures": failures,
        },
        args.json,
    )
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
