"""LTV buffer against its formula; invariants always hold after enforce()."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from solvency.calibrate.buffer import ltv_buffer, unit_t_quantile
from solvency.calibrate.invariants import MIN_RATIO, Params, check, enforce
from solvency.errors import SolvencyInputError
from solvency.units import SECONDS_PER_YEAR


def test_buffer_formula() -> None:
    b = ltv_buffer(0.83, 0.8, horizon=3600, coverage=0.99, tail_df=4.0)
    q = stats.t.ppf(0.99, 4) * math.sqrt(2 / 4)
    move = q * 0.8 * math.sqrt(3600 / SECONDS_PER_YEAR)
    assert b.quantile == pytest.approx(q) and b.move == pytest.approx(move)
    assert b.ltv == pytest.approx(0.83 * math.exp(-move)) and b.buffer == pytest.approx(0.83 - b.ltv)
    assert unit_t_quantile(0.99, math.inf) == pytest.approx(stats.norm.ppf(0.99))
    # at unit variance the t(4) quantile is beyond the normal's at 99 % (fat tails) and inside it at 90 %
    assert unit_t_quantile(0.99, 4.0) > unit_t_quantile(0.99, math.inf)
    assert unit_t_quantile(0.90, 4.0) < unit_t_quantile(0.90, math.inf)


@given(st.floats(0.3, 0.95), st.floats(0.05, 3.0), st.floats(1.01, 3.0))
def test_buffer_grows_with_sigma(lt: float, sigma: float, k: float) -> None:
    a = ltv_buffer(lt, sigma, horizon=3600, coverage=0.99, tail_df=4.0)
    b = ltv_buffer(lt, sigma * k, horizon=3600, coverage=0.99, tail_df=4.0)
    assert 0 < b.ltv <= a.ltv < lt


def test_buffer_refuses_bad_inputs() -> None:
    with pytest.raises(SolvencyInputError):
        ltv_buffer(1.2, 0.8, horizon=3600, coverage=0.99, tail_df=4.0)


@given(
    ltv=st.floats(-0.5, 1.5),
    lt=st.floats(-0.5, 1.5),
    lb=st.floats(-0.2, 0.6),
    supply=st.floats(-1e6, 1e9),
    borrow=st.floats(-1e6, 1e9),
)
def test_enforce_always_yields_the_invariants(ltv, lt, lb, supply, borrow) -> None:
    out, clamps = enforce(Params(ltv, lt, lb, supply, borrow), ltv_gap=0.005, max_lt_bonus=0.99, lb_max=0.15)
    rep = check(out, max_lt_bonus=0.99)
    assert rep["ltv_positive"] and rep["ltv_below_lt"] and rep["lt_times_one_plus_lb_below_one"]
    assert rep["caps_positive"] and 0 <= out.liquidation_bonus <= 0.15
    assert out.liquidation_threshold - out.ltv >= 0.005 - 1e-12
    legal = MIN_RATIO <= ltv <= lt - 0.005 and 0 <= lb <= 0.15 and lt * (1 + lb) <= 0.99
    if legal and supply >= MIN_RATIO and borrow >= MIN_RATIO:
        assert clamps == [] and out == Params(ltv, lt, lb, supply, borrow)
    for c in clamps:  # every clamp is reported and moves toward safety
        assert c.reason and c.value != c.clamped_to
