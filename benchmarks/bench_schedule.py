"""Stress engine speed under a time-varying LT/LB schedule: the sorted kernel keeps its cost (no per-step re-sort).

The ``big`` case of ``bench_stress.py`` (100,000 single-collateral positions, $1 B of debt, LT 0.83 / LB 0.05;
GBM σ = 100 %, 288 five-minute steps, depth ×0.5, impact half-life 1 h) run three ways on the same paths and seed:
no schedule; a constant schedule at the book's values (must give identical numbers); and an oracle-like path —
LT stepping down 0.01 an hour from 0.83 to 0.70 and LB up from 0.05 to 0.08 — which liquidates more. Medians of
``--repeat`` runs after a warm-up (compilation). Positions reached per path show the work the kernel does.

Run: ``python benchmarks/bench_schedule.py --json`` (``--paths`` to change the size).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report, timed
from bench_stress import big_market
from solvency.sim.schedule import ParamSchedule
from solvency.sim.stress import simulate_lending

STEPS = 288  # 5-minute steps: one day


def oracle_like() -> ParamSchedule:
    hours = np.arange(STEPS + 1) // 12  # one step of the path per 5 minutes, one change per hour
    lt = np.maximum(0.83 - 0.01 * hours, 0.70)
    lb = np.minimum(0.05 + 0.0025 * hours, 0.08)
    return ParamSchedule("WETH", lt=lt, lb=lb)


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=2_000)
    p.add_argument("--positions", type=int, default=100_000)
    args = p.parse_args()
    spec = big_market(args.positions)
    cases = {
        "none": None,
        "constant": ParamSchedule("WETH", lt=0.83, lb=0.05),
        "oracle_like": oracle_like(),
    }
    out = {}
    results = {}
    for name, schedule in cases.items():

        def run(schedule: ParamSchedule | None = schedule):
            return simulate_lending(spec, paths=args.paths, seed=1, horizon="1d", stressed=True, schedule=schedule)

        median, times, r = timed(run, repeat=args.repeat)
        results[name] = r
        out[name] = {
            "median_s": median,
            "times_s": times,
            "liquidations_per_path": float(r.output.liquidations.mean()),
            "positions_reached_per_path": float(r.output.reached.mean()),
            "bad_debt_mean": r.bad_debt.mean,
        }
    same = all(
        np.array_equal(getattr(results["none"].output, f), getattr(results["constant"].output, f))
        for f in ("bad_debt", "liquidations", "volume", "repaid", "reached", "shortfall")
    )
    report(
        {
            "benchmark": "schedule",
            "paths": args.paths,
            "steps": STEPS,
            "positions": args.positions,
            "cases": out,
            "constant_equals_none": same,
            "oracle_like_over_none": out["oracle_like"]["median_s"] / out["none"]["median_s"],
        },
        args.json,
    )


if __name__ == "__main__":
    main()
