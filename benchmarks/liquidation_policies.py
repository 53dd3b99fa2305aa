"""Liquidation policies compared where liquidator capacity binds: named crashes and real replays (RESULTS.md).

Market: ``MarketSpec()`` (WETH/USDC, Aave v3 WETH LT 83 % / LB 5 %, the default depth table, 1 h impact half-life,
Chainlink-style oracle) with the liquidators' capacity cut to a fifth — $5 M of debt repaid per 5-minute step,
the ``congested-2020`` preset's capacity (``solvency.sim.stress.CONDITIONS``) — so that in a crash more debt is
liquidatable than liquidators can take (the *crunch*). Book: the spec's synthetic book ($1 B, 5,000 positions,
whales 20 %), built at each scenario's first price. Each scenario runs every policy on the same seed (common
random numbers); a replay is one path. ``unlimited`` runs ``health_first`` with capacity × 1000: the gap to it
is what the crunch costs, i.e. that capacity binds. ``health_first_depth`` is an ablation: ``health_first``'s
order with the depth-sized chunks of ``risk_weighted``/``optimized``.

    python benchmarks/liquidation_policies.py --paths 1000 --json
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from _common import parser, report
from solvency.config import MarketSpec
from solvency.liquidation import POLICY_NAMES
from solvency.liquidation.compare import Replay, compare_policies
from solvency.sim.policy import LiquidationPolicy, lowest_health_factor
from solvency.sim.queue_policies import bind_market, depth_sized, market_params

DATA = Path(os.environ.get("SOLVENCY_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
INTRADAY = DATA / "intraday"
REPLAYS = {
    "black-thursday-10m": Replay(
        INTRADAY / "coinapi_ETHUSD_10m_2020-03-12.csv", INTRADAY / "ethereum_gasprice_10m_2020-03-12.csv"
    ),
    "black-thursday-1h": Replay(INTRADAY / "coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv"),
    "may-2021-10m": Replay(
        INTRADAY / "coinapi_ETHUSD_10m_2021-05-19.csv", INTRADAY / "ethereum_gasprice_10m_2021-05-19.csv"
    ),
    "oct-2025-4h-ohlc": Replay(INTRADAY / "binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv", intrabar="ohlc"),
}
SCENARIOS = ("black-thursday-2020", "may-2021", "oct-2025")
HEALTH_FIRST_DEPTH = LiquidationPolicy(
    "health_first_depth",
    lowest_health_factor,
    depth_sized,
    params=market_params(),
    description="ablation: lowest health factor first, depth-sized chunks",
    for_setup=bind_market,
)


def crunch_market(capacity_factor: float) -> MarketSpec:
    spec = MarketSpec()
    spec.liquidators.capacity_per_step = spec.liquidators.capacity_per_step * capacity_factor
    return spec


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--capacity-factor", type=float, default=0.2)
    p.add_argument("--scenario", action="append", help="named scenarios (default: three crashes)")
    p.add_argument("--replay", action="append", choices=sorted(REPLAYS), help="replays (default: all)")
    args = p.parse_args()
    market = crunch_market(args.capacity_factor)
    scenarios = list(args.scenario or SCENARIOS)
    replays = [REPLAYS[r] for r in (args.replay or list(REPLAYS))]
    started = time.perf_counter()
    crunch = compare_policies(
        market,
        scenarios=scenarios,
        replays=replays,
        policies=[*POLICY_NAMES, HEALTH_FIRST_DEPTH],
        paths=args.paths,
        seed=args.seed,
    )
    unlimited = compare_policies(
        crunch_market(args.capacity_factor * 1000),
        scenarios=scenarios,
        replays=replays,
        policies=["health_first"],
        paths=args.paths,
        seed=args.seed,
    )
    table = crunch.table()
    free = unlimited.table().set_index("scenario")
    rows = {}
    for scen, group in table.groupby("scenario", sort=False):
        rows[scen] = {
            "policies": {r.policy: {"bad_debt_mean": r.bad_debt_mean, "bad_debt_es99": r.bad_debt_es99,
                                    "slippage_mean": r.slippage_mean, "repaid_mean": r.repaid_mean}
                         for r in group.itertuples()},
            "unlimited_capacity_health_first": {
                "bad_debt_mean": float(free.loc[scen, "bad_debt_mean"]),
                "bad_debt_es99": float(free.loc[scen, "bad_debt_es99"]),
            },
        }  # fmt: skip
    report(
        {
            "benchmark": "liquidation_policies",
            "paths": args.paths,
            "seed": args.seed,
            "capacity_per_step": market.liquidators.capacity_per_step,
            "scenarios": rows,
            "runtime_s": time.perf_counter() - started,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
