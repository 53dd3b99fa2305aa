"""Stress engine speed: the 10,000 × 288 × 100,000 target, and fast vs reference side by side.

1. ``big``: ``simulate_lending`` on a synthetic single-collateral book of 100,000 positions ($1 B of debt,
   the documented HF distribution, LT 0.83 / LB 0.05), 10,000 GBM paths of 288 five-minute steps (one day) at
   σ = 100 % a year, depth at the stress multiplier (×0.5), impact recovering with a 1 h half-life — so every
   liquidation sale moves the price and feeds the oracle (cascade feedback). Wall time includes path generation,
   the book, the engine and the metrics (median of ``--repeat`` runs after one warm-up that also compiles).
   Peak memory: tracemalloc's peak for Python/numpy allocations during one run, and the process's peak RSS.
2. ``ratio``: one engine setup (2,000 positions, 288 steps, σ = 150 %, thin depth ×0.3, so there is real
   liquidation work), the same prices for both engines. The fast engine runs all 1,000 paths; the reference
   engine runs the first ``--ref-paths`` of them and its time is scaled by 1,000 / ref-paths (it is linear in
   paths: each path is independent). Results are checked equal on the shared paths.

Run: ``python benchmarks/bench_stress.py --json`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report, timed
from solvency import _jit
from solvency.config import MarketSpec
from solvency.market.liquidity import curve_from_spec
from solvency.sim.book import synthetic_book
from solvency.sim.engine import Engine
from solvency.sim.mechanics import LiquidatorModel, OracleModel, SimSetup
from solvency.sim.montecarlo import simulate_paths
from solvency.sim.paths import GBM
from solvency.sim.stress import simulate_lending


def big_market(positions: int) -> MarketSpec:
    spec = MarketSpec()
    spec.book.positions = positions
    spec.book.debt_total = 1.0e9
    spec.sim.vol = 1.0
    spec.sim.start_price = 2000.0
    return spec


def run_big(spec: MarketSpec, paths: int) -> dict[str, float]:
    r = simulate_lending(spec, paths=paths, seed=1, horizon="1d", stressed=True)
    return {
        "liquidations_per_path": float(r.output.liquidations.mean()),
        "positions_reached_per_path": float(r.output.reached.mean()),
        "bad_debt_mean": r.bad_debt.mean,
        "runtime_s": r.runtime_s,
    }


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--paths", type=int, default=10_000)
    p.add_argument("--positions", type=int, default=100_000)
    p.add_argument("--ref-paths", type=int, default=50)
    p.add_argument("--quick", action="store_true", help="small sizes, to check the script runs")
    args = p.parse_args()
    if args.quick:
        args.paths, args.positions, args.ref_paths, args.repeat = 500, 5_000, 5, 1

    # ---------------------------------------------------------------------------------------- 1. big run
    spec = big_market(args.positions)
    run_big(big_market(2_000), 64)  # compile / load the kernels outside the timing
    median, times, stats = timed(lambda: run_big(spec, args.paths), repeat=args.repeat, warmup=0)
    tracemalloc.start()
    run_big(spec, args.paths)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB

    # ----------------------------------------------------------------------------- 2. fast vs reference
    n_paths, steps, positions = 1_000, 288, 2_000
    book = synthetic_book(
        assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=positions, debt_total=2e8, seed=3
    )
    setup = SimSetup(
        book,
        [curve_from_spec(MarketSpec().liquidity).stressed(0.3)],
        oracle=OracleModel(heartbeat=3600, deviation=0.005, delay=0),
        liquidators=LiquidatorModel(latency=60, capacity=5e6, gas_asset=0),
        impact_half_life=3600,
        sigma=np.array([1.5]),
    )
    prices = simulate_paths(GBM(["WETH"], 2000.0, sigma=1.5, step=300), n_paths, steps, seed=2)
    fast = Engine(setup, 300)
    fast.run(prices[:8])
    fast_s, fast_times, fast_out = timed(lambda: fast.run(prices), repeat=args.repeat)
    reference = Engine(setup, 300, engine="reference")
    start = time.perf_counter()
    ref_out = reference.run(prices[: args.ref_paths])
    ref_s = time.perf_counter() - start
    ref_scaled = ref_s * n_paths / args.ref_paths
    agree = bool(
        np.array_equal(ref_out.liquidations, fast_out.liquidations[: args.ref_paths])
        and np.allclose(ref_out.bad_debt, fast_out.bad_debt[: args.ref_paths], rtol=1e-9, atol=1e-6)
    )

    report(
        {
            "benchmark": "stress",
            "threads": _jit.threads(),
            "numba": _jit.ENABLED,
            "big": {
                "paths": args.paths,
                "steps": 288,
                "positions": args.positions,
                "median_s": median,
                "times_s": times,
                "target_s": 10.0,
                "peak_traced_bytes": traced_peak,
                "peak_rss_bytes": rss_peak,
                **stats,
            },
            "fast_vs_reference": {
                "paths": n_paths,
                "steps": steps,
                "positions": positions,
                "fast_median_s": fast_s,
                "fast_times_s": fast_times,
                "reference_paths_timed": args.ref_paths,
                "reference_s": ref_s,
                "reference_scaled_s": ref_scaled,
                "speedup": ref_scaled / fast_s,
                "target_speedup": 100.0,
                "liquidations_per_path": float(fast_out.liquidations.mean()),
                "engines_agree": agree,
            },
        },
        args.json,
    )


if __name__ == "__main__":
    main()
