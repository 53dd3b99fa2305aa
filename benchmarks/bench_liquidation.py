"""Liquidation planner speed: a plan for 100,000 liquidatable positions, per policy (target ≤ 1 s).

The book: 100,000 single-collateral WETH positions (Aave v3 WETH LT 83 %, LB 5 %), lognormal debts (log-sd 1.5,
$2 B in total) and health factors uniform in [0.5, 0.9999) at the plan price — every one liquidatable, about 40 %
of them insolvent. Market: the default WETH/USDC depth table at 30 % depth, capacity $25 M per 5-minute step, so
the plan runs over a few dozen steps and every chunk is sized by capacity or depth. Timed: ``plan_from_arrays``
(allowances, risk model, ranking, schedule, result frames) after one warm-up call (numba compiles and caches
the kernels on the first); the JSON payload (``to_dict``) is timed on its own.

    python benchmarks/bench_liquidation.py --json
"""

from __future__ import annotations

import numpy as np

from _common import parser, report, timed
from solvency.config import MarketSpec
from solvency.liquidation import POLICY_NAMES
from solvency.liquidation.plan import plan_from_arrays
from solvency.market.liquidity import curve_from_spec
from solvency.sim.book import LoanBook


def book(n: int, seed: int = 1) -> LoanBook:
    rng = np.random.default_rng(seed)
    debt = rng.lognormal(0.0, 1.5, n)
    debt *= 2e9 / debt.sum()
    hf = rng.uniform(0.5, 0.9999, n)
    price = 2000.0
    collateral = hf * debt / 0.83 / price
    return LoanBook(("WETH",), collateral[:, None], debt, 0.83, 0.05)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--positions", type=int, default=100_000)
    args = p.parse_args()
    b = book(args.positions)
    curve = curve_from_spec(MarketSpec().liquidity).stressed(0.3)
    kwargs = {"prices": [2000.0], "sigma": [0.8], "curves": [curve], "step": 300, "capacity": 2.5e7}
    figures = {}
    for policy in POLICY_NAMES:
        median, runs, plan = timed(
            lambda policy=policy: plan_from_arrays(b, policy=policy, **kwargs), repeat=args.repeat
        )
        json_median, _, _ = timed(plan.to_dict, repeat=max(1, args.repeat // 2))
        figures[policy] = {
            "plan_s": median,
            "runs_s": runs,
            "to_dict_s": json_median,
            "liquidatable": len(plan.positions),
            "chunks": len(plan.chunks),
            "steps": plan.steps,
            "expected_bad_debt": plan.expected_bad_debt,
            "untouched_bad_debt": plan.untouched_bad_debt,
            "total_slippage": plan.total_slippage,
        }
    report({"benchmark": "liquidation_plan", "positions": args.positions, "policies": figures}, args.json)


if __name__ == "__main__":
    main()
