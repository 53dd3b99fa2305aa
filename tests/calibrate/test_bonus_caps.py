"""Liquidation bonus and Chaos-method caps: by hand on small cases, and monotone in depth for any market."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.calibrate.bonus import PowerLawDepth, cascade_sales, gas_cost_quote, liquidation_bonus
from solvency.calibrate.caps import supply_caps
from solvency.calibrate.frontier import BookShape
from solvency.calibrate.stress import StressCondition, sharpest_fall, stress_conditions
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import depth_table, power_law
from solvency.sim.book import LoanBook, synthetic_book


def _shape(debts, hfs, s0=1.0) -> BookShape:
    d, h = np.asarray(debts, float), np.asarray(hfs, float)
    book = LoanBook(("X",), (h * d / (0.8 * s0))[:, None], d, 0.8, 0.05)
    return BookShape.from_book(book, s0)


COND = StressCondition("test", depth=0.5, gas_multiplier=2.0, drop=0.3, window_fall=0.1)


def test_power_law_fit_is_exact_on_a_power_law_and_inverts() -> None:
    pl = PowerLawDepth.fit(power_law(0.01, 0.7))
    assert (pl.a, pl.b, pl.ref) == pytest.approx((0.01, 0.7, 1e6))
    assert pl.slippage(2e6, depth=2.0) == pytest.approx(0.01)  # s_m(x) = s(x/m)
    assert pl.size_at(0.01, depth=3.0) == pytest.approx(3e6)
    assert pl.marginal(1e6, 0.0) == pytest.approx(float(pl.slippage(1e6)))
    # a depth table's fit goes through its knots approximately
    table = depth_table([1e6, 1e7, 1e8], [0.001, 0.01, 0.1])
    fit = PowerLawDepth.fit(table)
    assert fit.b == pytest.approx(1.0, rel=1e-6) and fit.slippage(1e7) == pytest.approx(0.01, rel=1e-6)


def test_cascade_sales_by_hand() -> None:
    shape = _shape([100.0, 200.0, 300.0], [1.05, 1.2, 2.0])
    # fall 10 %: HF → 0.945 (liquidated, ≤ 0.95: whole debt) and 1.08 (no), 1.8 (no)
    got = cascade_sales(shape, 0.10, close_factor=0.5, lb=0.05, lt=0.8)
    value0 = 1.05 * 100 * 0.9 / 0.8  # collateral value after the fall caps the seizure
    assert got == pytest.approx(min(100 * 1.05, value0))
    # fall 20 %: also position 2 (HF 0.96 > 0.95: half its debt)
    got = cascade_sales(shape, 0.20, close_factor=0.5, lb=0.05, lt=0.8)
    assert got == pytest.approx(min(105.0, 1.05 * 100 * 0.8 / 0.8) + 0.5 * 200 * 1.05)


def test_bonus_by_hand_and_unmet_conditions() -> None:
    shape = _shape([1e6] * 4, [1.5, 1.5, 1.5, 1.5])
    pl = PowerLawDepth(0.01, 1.0, 1e6)
    res = liquidation_bonus(
        shape, pl, [COND], close_factor=0.5, current_lb=0.05, current_lt=0.8, gas_cost=100.0, oracle_deviation=0.005
    )
    size = 0.5 * 1e6 * 1.05
    assert res.typical_size == pytest.approx(size)
    # no position falls below HF 1 in a 10 % fall: no concurrent sales; s = a·x/(m·ref)
    expected = 0.01 * size / (0.5 * 1e6) + 100.0 * 2.0 / size + 0.005
    assert res.needed == pytest.approx(expected) and res.unmet == []
    wick = StressCondition("wick", depth=0.01, gas_multiplier=1.0, drop=0.5, window_fall=0.45)
    res = liquidation_bonus(
        shape, pl, [COND, wick], close_factor=0.5, current_lb=0.05, current_lt=0.8, gas_cost=100.0,
        oracle_deviation=0.005, lb_max=0.15,
    )  # fmt: skip
    assert res.unmet == ["wick"] and res.needed > 0.15 and res.binding == "wick"


def test_caps_by_hand() -> None:
    shape = _shape([1e6, 1e6], [1.2, 3.0], s0=10.0)
    pl = PowerLawDepth(0.01, 1.0, 1e6)
    caps = supply_caps(shape, pl, [COND], bonus=0.05, lt=0.8)
    share = 1.2 / (1.2 + 3.0)  # only HF 1.2 falls below 1 after a 30 % drop
    amount = 0.5 * 1e6 * (0.05 / 0.01)  # size with average slippage 5 % at depth 0.5
    value = amount / (0.9 * share * 0.7)
    assert caps.supply_cap == pytest.approx(value / 10.0)
    assert caps.borrow_cap == pytest.approx(value * 0.8 * 2e6 / (1.2e6 + 3e6))


def test_gas_and_refusals() -> None:
    assert gas_cost_quote(500_000, 30.0, 2000.0) == pytest.approx(30.0)
    shape = _shape([1.0], [1.5])
    with pytest.raises(SolvencyInputError):
        supply_caps(shape, PowerLawDepth(0.01, 1.0, 1e6), [], bonus=0.05, lt=0.8)
    with pytest.raises(SolvencyInputError, match="scenario"):
        stress_conditions([], "ETH", half_life=3600)


def test_sharpest_fall_and_named_scenarios() -> None:
    x = np.log([1.0, 0.9, 0.95, 0.5, 0.6])
    assert sharpest_fall(x, 1) == pytest.approx(1 - 0.5 / 0.95)
    assert sharpest_fall(x, 3) == pytest.approx(0.5)
    (bt,) = stress_conditions(["black-thursday-2020"], "WETH", half_life=3600)
    assert bt.depth == 0.3 and bt.gas_multiplier == pytest.approx(16.3)
    assert bt.drop == pytest.approx(1 - 0.4419 / 1.0)  # peak-to-trough of the shipped shape
    assert 0 < bt.window_fall < bt.drop


@settings(max_examples=40, deadline=None)
@given(
    a=st.floats(1e-4, 0.05),
    b=st.floats(0.2, 1.5),
    m=st.floats(1.01, 10.0),
    seed=st.integers(0, 1000),
    whale=st.floats(0.0, 0.5),
)
def test_deeper_liquidity_never_raises_the_bonus_nor_lowers_a_cap(a, b, m, seed, whale) -> None:
    book = synthetic_book(
        assets=["X"], prices=[100.0], lt=0.8, lb=0.05, positions=200, debt_total=5e7, whale_share=whale, seed=seed
    )
    shape = BookShape.from_book(book, 100.0)
    conds = [COND, StressCondition("b", 0.3, 10.0, 0.55, 0.2)]
    kw = dict(close_factor=0.5, current_lb=0.05, current_lt=0.8, gas_cost=50.0, oracle_deviation=0.005)
    depth = PowerLawDepth(a, b, 1e6)
    lo = liquidation_bonus(shape, depth, conds, **kw)
    hi = liquidation_bonus(shape, depth, conds, **kw, depth_multiplier=m)
    lb_lo, lb_hi = min(lo.needed, 0.15), min(hi.needed, 0.15)
    assert lb_hi <= lb_lo + 1e-12
    cap_lo = supply_caps(shape, depth, conds, bonus=lb_lo, lt=0.8)
    cap_hi = supply_caps(shape, depth, conds, bonus=lb_hi, lt=0.8, depth_multiplier=m)
    assert cap_hi.supply_cap >= cap_lo.supply_cap * (1 - 1e-12)
    assert math.isfinite(cap_hi.supply_cap) and cap_lo.supply_cap > 0
