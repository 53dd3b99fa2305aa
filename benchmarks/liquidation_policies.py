"""Liquidation policies compared where liquidator capacity binds: named crashes and real replays (RESULTS.md).

Market: ``examples/markets/liquidation-crunch.toml`` — ``MarketSpec()`` (WETH/USDC, Aave v3 WETH LT 83 % / LB 5 %,
the default depth table, 1 h impact half-life, Chainlink-style oracle) with the liquidators' capacity cut to a
fifth, $5 M of debt repaid per 5-minute step (the ``congested-2020`` preset's capacity,
``solvency.sim.stress.CONDITIONS``), so that in a crash more debt is liquidatable than liquidators can take
(the *crunch*). Book: the spec's synthetic book ($1 B, 5,000 positions, whales 20 %), built at each scenario's
first price. Each scenario runs every policy on the same seed (common random numbers); a replay is one path.
Per scenario:

* each policy's bad debt (mean, ES99), slippage and repaid debt;
* paired differences of ``risk_weighted`` and ``optimized`` against ``health_first`` and ``largest_first`` (mean
  over paths, its standard error, the share of paths where ours is no worse);
* how much capacity binds: the book's liquidatable debt at the crash's lowest price (lowest knot of a scenario,
  lowest low of a replay) and the hours of liquidator capacity the planner needs to work through it
  (:func:`solvency.liquidation.plan_liquidations`, default depth) — far longer than the minutes the crash takes;
* ``health_first_depth``, an ablation: ``health_first``'s order with the depth-sized chunks of ``risk_weighted``
  and ``optimized``, to separate what sizing and what ordering contribute.

    python benchmarks/liquidation_policies.py --paths 1000 --json
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from _common import parser, report
from solvency.config import MarketSpec, load_market
from solvency.data.resolve import prices_or_sample
from solvency.liquidation import POLICY_NAMES, plan_liquidations
from solvency.liquidation.compare import Replay, compare_policies
from solvency.sim.paths import Replay as ReplayPaths
from solvency.sim.policy import LiquidationPolicy, lowest_health_factor
from solvency.sim.queue_policies import bind_market, depth_sized, market_params
from solvency.sim.results import StressResult
from solvency.sim.scenarios import get_scenario
from solvency.sim.stress import market_book

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
    "oct-2025-4h": Replay(INTRADAY / "binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv"),
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


CRUNCH = Path(__file__).resolve().parents[1] / "examples" / "markets" / "liquidation-crunch.toml"


def crunch_market(capacity_factor: float) -> MarketSpec:
    spec = load_market(CRUNCH)
    spec.liquidators.capacity_per_step = spec.liquidators.capacity_per_step * capacity_factor
    return spec


def lowest_price(replay: Replay) -> float:
    """Lowest point of the path the simulator replays (bar closes, or OHLC sub-steps)."""
    frame = prices_or_sample(replay.prices)
    return float(ReplayPaths(frame, assets=["WETH"], intrabar=replay.intrabar).points.min())


def backlog(market: MarketSpec, result: StressResult, lowest: float | None = None) -> dict[str, float]:
    """Liquidatable debt at the crash's lowest price and the hours of capacity the planner needs for it."""
    start = float(result.details["start_prices"][0])
    if lowest is None:
        lowest = start * get_scenario(result.scenario).shapes["ETH"].trough[1]
    book = market_book(market, None, [market.asset], np.array([start]))
    plan = plan_liquidations(book, price=lowest, market=market, sigma=0.8, policy="optimized")
    return {
        "start_price": start,
        "lowest_price": lowest,
        "liquidatable_debt": float(plan.positions["debt"].sum()),
        "allowance": float(plan.positions["allowance"].sum()),
        "capacity_hours": plan.steps * plan.settings.step / 3600,
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--capacity-factor", type=float, default=1.0, help="multiplies the crunch capacity")
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
    lows = {r.label: lowest_price(r) for r in replays}
    table = crunch.table()
    rows = {}
    for scen, group in table.groupby("scenario", sort=False):
        results = crunch.results[scen]
        paired = {}
        for ours in ("risk_weighted", "optimized"):
            for base in ("health_first", "largest_first"):
                diff = results[ours].output.bad_debt - results[base].output.bad_debt
                paired[f"{ours}-{base}"] = {
                    "mean": float(diff.mean()),
                    "se": float(diff.std(ddof=1) / np.sqrt(diff.size)) if diff.size > 1 else None,
                    "no_worse_share": float(np.mean(diff <= 1e-6)),
                }
        rows[scen] = {
            "policies": {r.policy: {"bad_debt_mean": r.bad_debt_mean, "bad_debt_es99": r.bad_debt_es99,
                                    "slippage_mean": r.slippage_mean, "repaid_mean": r.repaid_mean}
                         for r in group.itertuples()},
            "paired": paired,
            "backlog": backlog(market, results["health_first"], lows.get(scen)),
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
