"""Portfolio margin throughput: 1,000,000 option positions × 33 scenarios, vs a QuantLib per-option loop.

Both sides revalue the same options under the same 33 scenarios (9 price moves × vol up/flat/down + 6 extended
moves at vol up). QuantLib: one ``VanillaOption`` with ``AnalyticEuropeanEngine`` per option, spot and vol as
``SimpleQuote``s set per scenario (the usual way to reprice a book), timed on a random subset and scaled linearly
to the full book. Ours: :func:`solvency.margin.kernel.scenario_pnl` (numba, all cores) aggregating the P&L of the
1,000,000 positions into 1,000 accounts.

    python benchmarks/bench_margin.py --json [--positions N] [--quantlib-sample M]
"""

from __future__ import annotations

import time

import numpy as np

from _common import parser, report, timed
from solvency.config import OptionsSpec
from solvency.margin.grid import build_grid, vol_multipliers
from solvency.margin.kernel import HAVE_NUMBA, scenario_pnl


def book(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return {
        "sign": np.where(rng.random(n) < 0.5, 1.0, -1.0),
        "strike": 3000.0 * np.exp(rng.normal(0, 0.3, n)),
        "t": rng.uniform(1 / 365, 1.0, n),
        "vol": rng.uniform(0.3, 1.2, n),
        "quantity": rng.normal(0, 10, n),
        "account": rng.integers(0, 1000, n),
    }


def quantlib_loop(b: dict, idx: np.ndarray, grid, mult) -> float:
    """Seconds for QuantLib to value ``idx`` options under every scenario (plus the base value)."""
    import QuantLib as ql

    today = ql.Date(15, 1, 2026)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    spot = ql.SimpleQuote(3000.0)
    vol = ql.SimpleQuote(0.5)
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(spot),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc)),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), ql.QuoteHandle(vol), dc)),
    )
    engine = ql.AnalyticEuropeanEngine(process)
    start = time.perf_counter()
    total = 0.0
    for i in idx:
        kind = ql.Option.Call if b["sign"][i] > 0 else ql.Option.Put
        days = max(1, round(b["t"][i] * 365))
        option = ql.VanillaOption(ql.PlainVanillaPayoff(kind, float(b["strike"][i])), ql.EuropeanExercise(today + days))
        option.setPricingEngine(engine)
        spot.setValue(3000.0)
        vol.setValue(float(b["vol"][i]))
        base = option.NPV()
        for j in range(len(grid)):
            spot.setValue(3000.0 * (1 + grid.move[j]))
            vol.setValue(float(b["vol"][i] * mult[i, grid.vol_state[j]]))
            total += b["quantity"][i] * (option.NPV() - base)
    return time.perf_counter() - start


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--positions", type=int, default=1_000_000)
    p.add_argument("--quantlib-sample", type=int, default=2_000)
    args = p.parse_args()
    n = args.positions
    b = book(n)
    spec = OptionsSpec()
    grid = build_grid(0.16, spec)
    mult = vol_multipliers(b["t"] * 365, spec)
    disc = np.ones(n)

    def ours():
        return scenario_pnl(
            b["sign"],
            3000.0,
            b["strike"],
            b["t"],
            b["vol"],
            b["quantity"],
            b["account"],
            1000,
            grid.move,
            grid.vol_state,
            mult,
            disc,
        )

    median, times, pnl = timed(ours, repeat=args.repeat, warmup=1)
    sample = np.random.default_rng(1).choice(n, size=min(args.quantlib_sample, n), replace=False)
    ql_seconds = quantlib_loop(b, sample, grid, mult)
    ql_full = ql_seconds * n / sample.size
    evaluations = n * (len(grid) + 1)
    report(
        {
            "benchmark": "portfolio margin scenario revaluation",
            "positions": n,
            "scenarios": len(grid),
            "accounts": 1000,
            "engine": "numba" if HAVE_NUMBA else "numpy",
            "ours_seconds_median": median,
            "ours_seconds_all": times,
            "ours_evaluations_per_second": evaluations / median,
            "quantlib_sample_positions": int(sample.size),
            "quantlib_sample_seconds": ql_seconds,
            "quantlib_seconds_scaled_to_all": ql_full,
            "quantlib_evaluations_per_second": sample.size * (len(grid) + 1) / ql_seconds,
            "speedup": ql_full / median,
            "target_seconds": 3.0,
            "target_speedup": 100.0,
            "meets_targets": bool(median <= 3.0 and ql_full / median >= 100),
            "worst_account_loss": float(-pnl.min()),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
