"""The insolvency model against independent references.

* Expected loss = a Black-Scholes put on ``value/(1+LB)`` struck at the debt with total volatility ``s``:
  :func:`solvency.pricing.black.black_scholes` (itself tested against QuantLib) with ``t = 1`` and ``vol = s``.
* Probability of turning insolvent = a one-touch paying 1 at expiry with zero rates, valued by QuantLib's
  ``AnalyticDigitalAmericanEngine``, and a Monte Carlo with the Brownian-bridge crossing probability between
  grid points (exact for continuous monitoring).
* ``EL = P × E[loss | crossed]``: the same Monte Carlo.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.pricing.black import black_scholes
from solvency.sim.insolvency import (
    expected_loss,
    expected_loss_array,
    exposure_given_insolvency,
    insolvency_probability,
    insolvency_probability_array,
    normal_cdf,
)


@settings(max_examples=200, deadline=None)
@given(
    value=st.floats(1e2, 1e8),
    ratio=st.floats(0.3, 3.0),
    bonus=st.floats(0.0, 0.15),
    s=st.floats(1e-4, 2.0),
)
def test_expected_loss_is_a_black_scholes_put(value: float, ratio: float, bonus: float, s: float) -> None:
    debt = value * ratio
    put = float(black_scholes("put", value / (1 + bonus), debt, 1.0, s).price)
    assert expected_loss(value, debt, bonus, s) == pytest.approx(put, rel=1e-9, abs=1e-9 * debt)


def test_expected_loss_edges() -> None:
    assert expected_loss(1000.0, 900.0, 0.05, 0.0) == 0.0  # solvent, no time: nothing lost
    assert expected_loss(1000.0, 1000.0, 0.05, 0.0) == pytest.approx(1000.0 - 1000.0 / 1.05)  # crystallised
    assert expected_loss(0.0, 500.0, 0.05, 0.3) == 500.0  # no collateral: the whole debt
    assert expected_loss(1000.0, 0.0, 0.05, 0.3) == 0.0
    # more time, more loss (convex payoff); more collateral, less
    losses = [expected_loss(1000.0, 900.0, 0.05, s) for s in (0.01, 0.1, 0.3, 1.0)]
    assert losses == sorted(losses)
    assert expected_loss(1200.0, 900.0, 0.05, 0.3) < expected_loss(1000.0, 900.0, 0.05, 0.3)


def test_normal_cdf_tails_against_mpmath() -> None:
    mpmath = pytest.importorskip("mpmath")
    for x in (-37.0, -20.0, -5.0, -0.1, 0.0, 3.0, 8.0):
        assert normal_cdf(x) == pytest.approx(float(mpmath.ncdf(x)), rel=1e-13)


def _quantlib_one_touch(spot: float, barrier: float, sigma: float, days: int) -> float:
    ql = pytest.importorskip("QuantLib")
    today = ql.Date(2, 1, 2024)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    flat = ql.YieldTermStructureHandle(ql.FlatForward(today, 0.0, dc))
    vol = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), sigma, dc))
    process = ql.BlackScholesMertonProcess(ql.QuoteHandle(ql.SimpleQuote(spot)), flat, flat, vol)
    option = ql.VanillaOption(
        ql.CashOrNothingPayoff(ql.Option.Put, barrier, 1.0), ql.AmericanExercise(today, today + days, True)
    )
    option.setPricingEngine(ql.AnalyticDigitalAmericanEngine(process))
    return float(option.NPV())


@pytest.mark.parametrize(
    ("value", "debt", "bonus", "sigma", "days"),
    [
        (1200.0, 1000.0, 0.05, 0.8, 1),
        (1200.0, 1000.0, 0.05, 0.8, 30),
        (5000.0, 1000.0, 0.10, 1.5, 90),
        (1010.0, 950.0, 0.01, 0.4, 7),
        (3.0e6, 2.5e6, 0.06, 2.0, 3),
    ],
)
def test_insolvency_probability_matches_quantlib_one_touch(
    value: float, debt: float, bonus: float, sigma: float, days: int
) -> None:
    s = sigma * math.sqrt(days / 365)
    reference = _quantlib_one_touch(value, debt * (1 + bonus), sigma, days)
    assert insolvency_probability(value, debt, bonus, s) == pytest.approx(reference, rel=1e-7, abs=1e-12)


def test_insolvency_probability_edges() -> None:
    assert insolvency_probability(1000.0, 1000.0, 0.05, 0.1) == 1.0  # already insolvent
    assert insolvency_probability(2000.0, 1000.0, 0.05, 0.0) == 0.0  # no time
    assert insolvency_probability(0.0, 10.0, 0.05, 0.1) == 1.0
    probs = [insolvency_probability(1500.0, 1000.0, 0.05, s) for s in (0.05, 0.2, 0.5, 2.0)]
    assert probs == sorted(probs)
    assert probs[0] >= 0.0 and probs[-1] <= 1.0


def test_expected_loss_is_probability_times_exposure_by_monte_carlo() -> None:
    """Brownian-bridge Monte Carlo: crossings between grid points counted with their exact probability."""
    rng = np.random.default_rng(11)
    value, debt, bonus, s_total = 1300.0, 1000.0, 0.05, 0.35
    n_paths, n_steps = 200_000, 64
    ds = s_total / math.sqrt(n_steps)
    b = math.log(debt * (1 + bonus) / value)
    x = np.zeros(n_paths)
    survive = np.ones(n_paths)  # probability of not having crossed yet, given the grid
    for _ in range(n_steps):
        nxt = x + ds * rng.standard_normal(n_paths) - 0.5 * ds * ds
        below = (x <= b) | (nxt <= b)
        bridge = np.where(below, 0.0, 1.0 - np.exp(-2.0 * (x - b) * (nxt - b) / (ds * ds)))
        survive *= np.clip(bridge, 0.0, 1.0)
        x = nxt
    crossed = 1.0 - survive
    loss = np.maximum(debt - value * np.exp(x) / (1 + bonus), 0.0)
    p_mc, p_se = crossed.mean(), crossed.std() / math.sqrt(n_paths)
    el_mc, el_se = loss.mean(), loss.std() / math.sqrt(n_paths)
    p = insolvency_probability(value, debt, bonus, s_total)
    el = expected_loss(value, debt, bonus, s_total)
    assert abs(p_mc - p) < 4 * p_se + 1e-3
    assert abs(el_mc - el) < 4 * el_se
    # a loss at the end needs a crossing before it: E[loss] = E[loss · 1{crossed}] = P · E[loss | crossed]
    assert np.all(loss[survive > 1 - 1e-12] == 0.0)
    assert exposure_given_insolvency(value, debt, bonus, s_total) * p == pytest.approx(el, rel=1e-12)


def test_array_versions_agree_with_scalars() -> None:
    rng = np.random.default_rng(2)
    v, d = rng.uniform(100, 1e6, 50), rng.uniform(100, 1e6, 50)
    lb, s = rng.uniform(0, 0.1, 50), rng.uniform(0, 1, 50)
    assert np.array_equal(expected_loss_array(v, d, lb, s), [expected_loss(*a) for a in zip(v, d, lb, s, strict=True)])
    assert np.array_equal(
        insolvency_probability_array(v, d, lb, s), [insolvency_probability(*a) for a in zip(v, d, lb, s, strict=True)]
    )
