"""Transition plans: every step within the steward's limits, LTV never above the LT in force, target reached."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solvency.calibrate.invariants import Params
from solvency.calibrate.transition import newly_liquidatable, transition_plan
from solvency.config import StewardSpec
from solvency.errors import SolvencyInputError

STEWARD = StewardSpec()
EMPTY = dict(collateral=np.zeros(0), debt=np.zeros(0), price=1.0)


def _params(draw, ltv_gap=0.005, bound=0.99):
    lt = draw(st.floats(0.4, 0.95))
    lb = draw(st.floats(0.0, 0.15))
    assume(lt * (1 + lb) <= bound)
    ltv = draw(st.floats(0.1, lt - ltv_gap))
    return Params(ltv, lt, lb, draw(st.floats(1.0, 1e7)), draw(st.floats(1.0, 1e9)))


params = st.composite(lambda draw: _params(draw))


@settings(max_examples=200, deadline=None)
@given(params(), params())
def test_every_step_is_a_legal_steward_update(current: Params, target: Params) -> None:
    steps = transition_plan(current, target, steward=STEWARD, ltv_gap=0.005, max_lt_bonus=0.99, **EMPTY)
    prev = current
    prev_day = None
    for s in steps:
        for name in ("ltv", "liquidation_threshold", "liquidation_bonus"):
            assert abs(getattr(s, name) - getattr(prev, name)) <= 0.005 + 2e-6
        assert s.ltv < s.liquidation_threshold  # LTV never above the LT in force
        assert s.liquidation_threshold - s.ltv >= 0.005 - 2e-6
        assert s.liquidation_threshold * (1 + s.liquidation_bonus) <= 0.99 + 2e-6
        assert s.supply_cap <= prev.supply_cap * 1.3 * (1 + 1e-9) and s.supply_cap >= prev.supply_cap * 0.7 * (1 - 1e-9)
        if prev_day is not None:
            assert s.after_days - prev_day >= 3.0
        prev_day = s.after_days
        prev = Params(s.ltv, s.liquidation_threshold, s.liquidation_bonus, s.supply_cap, s.borrow_cap)
    assert prev.ltv == pytest.approx(target.ltv, abs=1e-6)
    assert prev.liquidation_threshold == pytest.approx(target.liquidation_threshold, abs=1e-6)
    assert prev.liquidation_bonus == pytest.approx(target.liquidation_bonus, abs=1e-6)
    assert prev.supply_cap == pytest.approx(target.supply_cap, rel=1e-9)


def test_ltv_leads_on_the_way_down() -> None:
    cur, tgt = Params(0.805, 0.83, 0.05, 1, 1), Params(0.70, 0.78, 0.05, 1, 1)
    steps = transition_plan(cur, tgt, steward=STEWARD, ltv_gap=0.005, max_lt_bonus=0.99, **EMPTY)
    assert steps[0].ltv == pytest.approx(0.80) and steps[0].liquidation_threshold == pytest.approx(0.825)
    # LT stops at its target while LTV keeps falling: LTV got there first in gap terms
    assert steps[-1].ltv == pytest.approx(0.70) and len(steps) == 21
    assert [s.after_days for s in steps[:3]] == [0.0, 3.0, 6.0]


def test_no_steps_when_already_there_and_refusals() -> None:
    p = Params(0.8, 0.83, 0.05, 10.0, 10.0)
    assert transition_plan(p, p, steward=STEWARD, ltv_gap=0.005, max_lt_bonus=0.99, **EMPTY) == []
    with pytest.raises(SolvencyInputError, match="LTV < LT"):
        transition_plan(p, Params(0.9, 0.85, 0.05, 1, 1), steward=STEWARD, ltv_gap=0.005, max_lt_bonus=0.99, **EMPTY)


def test_newly_liquidatable_collateral_by_hand() -> None:
    collateral = np.array([1.0, 1.0, 1.0])
    debt = np.array([820.0, 790.0, 700.0])  # at price 1000: HF at LT 0.83 = 1.012, 1.051, 1.186
    # LT 0.83 → 0.80: position 0 (HF 0.976) becomes liquidatable, 1 (1.013) and 2 stay healthy
    assert newly_liquidatable(collateral, debt, 1000.0, 0.83, 0.80) == pytest.approx(1000.0)
    assert newly_liquidatable(collateral, debt, 1000.0, 0.80, 0.78) == pytest.approx(1000.0)  # position 1
    assert newly_liquidatable(collateral, debt, 1000.0, 0.83, 0.85) == 0.0
    plan = transition_plan(
        Params(0.805, 0.83, 0.05, 3, 3), Params(0.77, 0.80, 0.05, 3, 3), collateral=collateral, debt=debt,
        price=1000.0, steward=STEWARD, ltv_gap=0.005, max_lt_bonus=0.99,
    )  # fmt: skip
    assert sum(s.newly_liquidatable_collateral for s in plan) == pytest.approx(1000.0)
