"""GBM barrier crossing against the reflection principle, with discrete monitoring corrected (Done-when).

For ``S`` a GBM with log drift ν = μ − σ²/2 and a barrier ``B < S_0`` (``b = ln(B/S_0)``), the probability that
the continuously monitored minimum reaches ``B`` by ``T`` is (reflection principle, e.g. Shreve, *Stochastic
Calculus for Finance II*, §7.2)::

    P = Φ((b − νT)/(σ√T)) + exp(2νb/σ²) · Φ((b + νT)/(σ√T))

The simulator monitors once per step, which misses crossings between steps. Broadie, Glasserman & Kou (1997),
"A continuity correction for discrete barrier options", *Mathematical Finance* 7(4): a discretely monitored
barrier ``B`` behaves like a continuous one at ``B·exp(−β σ √Δt)`` (down barrier), ``β = −ζ(1/2)/√(2π) ≈
0.5826``. We compare the simulated frequency with the continuous formula at the shifted barrier — the
correction is applied to the formula, the simulation is left as it is.

The continuous probability comes independently from QuantLib's ``AnalyticDigitalAmericanEngine`` (a one-touch
paying 1 at expiry with zero rates is exactly P; zero rates make the risk-neutral drift μ = 0), and from the
formula written above.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from solvency.market.liquidity import constant_product
from solvency.sim.book import LoanBook
from solvency.sim.mechanics import LiquidatorModel, OracleModel, SimSetup
from solvency.sim.montecarlo import monte_carlo, simulate_paths
from solvency.sim.paths import GBM
from solvency.units import SECONDS_PER_YEAR

ZETA_HALF = -1.4603545088095868  # ζ(1/2)
BETA = -ZETA_HALF / math.sqrt(2 * math.pi)  # 0.5826…
S0, SIGMA, STEP, STEPS = 100.0, 0.8, 300, 288  # one day in 5-minute steps


def hit_probability(barrier: float, sigma: float, t: float, mu: float = 0.0) -> float:
    nu = mu - 0.5 * sigma**2
    b = math.log(barrier / S0)
    s = sigma * math.sqrt(t)
    return float(stats.norm.cdf((b - nu * t) / s) + math.exp(2 * nu * b / sigma**2) * stats.norm.cdf((b + nu * t) / s))


def quantlib_one_touch(barrier: float, sigma: float, days: int) -> float:
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    flat = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc))
    vol = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), sigma, dc))
    process = ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(S0)), flat, flat, vol)
    option = ql.VanillaOption(
        ql.CashOrNothingPayoff(ql.Option.Put, barrier, 1.0), ql.AmericanExercise(today, today + days, True)
    )
    option.setPricingEngine(ql.AnalyticDigitalAmericanEngine(process))
    return float(option.NPV())


def test_formula_agrees_with_quantlib() -> None:
    for barrier in (97.0, 95.0, 90.0):
        reference = quantlib_one_touch(barrier, SIGMA, 1)
        assert hit_probability(barrier, SIGMA, 1 / 365) == pytest.approx(reference, rel=1e-9)


@pytest.mark.parametrize("barrier", [95.0, 90.0])
def test_path_minimum_crosses_as_the_reflection_principle_says(barrier: float) -> None:
    n = 40_000
    model = GBM(["A"], S0, sigma=SIGMA, step=STEP)
    lows = simulate_paths(model, n, STEPS, seed=7)[:, :, 0].min(axis=1)
    freq = float(np.mean(lows <= barrier))
    se = math.sqrt(freq * (1 - freq) / n)
    dt = STEP / SECONDS_PER_YEAR
    shifted = barrier * math.exp(-BETA * SIGMA * math.sqrt(dt))
    expected = quantlib_one_touch(shifted, SIGMA, 1)
    assert abs(freq - expected) < 3 * se, (freq, expected, se)
    # the uncorrected continuous probability overstates the discrete one by several standard errors
    assert hit_probability(barrier, SIGMA, 1 / 365) - freq > 2 * se


def test_engine_with_liquidations_off_reaches_the_barrier_as_often() -> None:
    """One position whose liquidation price is the barrier; no liquidator capacity; oracle = market every step.
    The share of paths on which it became liquidatable is the discrete crossing probability."""
    barrier = 95.0
    book = LoanBook(["A"], [[1.0]], [barrier * 0.8], [[0.8]], [[0.05]])  # debt/(c·LT) = 95
    setup = SimSetup(
        book,
        [constant_product(1e15)],
        oracle=OracleModel(heartbeat=STEP, deviation=0.0, delay=0),
        liquidators=LiquidatorModel(latency=0, capacity=0.0, gas_units=0.0),
    )
    n = 40_000
    out = monte_carlo(setup, GBM(["A"], S0, sigma=SIGMA, step=STEP), n_paths=n, n_steps=STEPS, seed=7)
    freq = float(np.mean(out.reached > 0))
    se = math.sqrt(freq * (1 - freq) / n)
    shifted = barrier * math.exp(-BETA * SIGMA * math.sqrt(STEP / SECONDS_PER_YEAR))
    assert abs(freq - quantlib_one_touch(shifted, SIGMA, 1)) < 3 * se
    assert out.liquidations.sum() == 0
