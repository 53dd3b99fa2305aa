"""Split-proof allowances: any split of a position's allowance into chunks is a valid Aave v3.3 liquidation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solvency.liquidation.allowance import allowances, close_factor, health_factor
from solvency.sim.mechanics import CloseFactorRule
from tests.liquidation.rules import State, apply, violations

positions = st.tuples(
    st.floats(300.0, 5e7),  # debt
    st.floats(0.2, 0.9999),  # health factor
    st.sampled_from([(0.83, 0.05), (0.78, 0.05), (0.81, 0.06), (0.68, 0.07), (0.95, 0.01), (0.86, 0.0)]),
)


def _one(debt: float, hf: float, lt: float, lb: float, rule: CloseFactorRule):  # type: ignore[no-untyped-def]
    value = hf * debt / lt
    a = allowances(np.array([value]), np.array([debt]), np.array([lt]), np.array([lb]), rule)
    return value, float(a.total[0]), float(a.zone[0]), bool(a.atomic[0])


@settings(max_examples=400, deadline=None)
@given(
    pos=positions,
    cuts=st.lists(st.floats(0.0, 1.0), min_size=0, max_size=5),
    dust=st.booleans(),
)
def test_every_split_of_the_allowance_is_valid(pos: tuple, cuts: list[float], dust: bool) -> None:
    debt, hf, (lt, lb) = pos
    rule = CloseFactorRule() if dust else CloseFactorRule(min_leftover=0.0)
    value, total, zone, atomic = _one(debt, hf, lt, lb, rule)
    assert total >= 0.0
    if total == 0.0:
        return
    # cuts closer to the end than the planner's own granularity (1e-9 of the allowance) are not chunks
    inside = (c * zone for c in cuts)
    points = [0.0] if atomic else sorted({0.0, *(x for x in inside if total - x > 1e-9 * total)})
    points.append(total)
    state = State(value, debt, lt, lb)
    for a, b in itertools.pairwise(points):
        if b - a <= 0:
            continue
        bad = violations(state, b - a, min_leftover=rule.min_leftover)
        assert not bad, (pos, points, bad)
        state = apply(state, b - a)


@settings(max_examples=200, deadline=None)
@given(pos=positions)
def test_allowance_restores_health_or_takes_what_the_rules_allow(pos: tuple) -> None:
    """Without dust, a solvent position's allowance is the first of: HF back to 1, or a close-factor bound."""
    debt, hf, (lt, lb) = pos
    rule = CloseFactorRule(min_leftover=0.0)
    value, total, _, _ = _one(debt, hf, lt, lb, rule)
    insolvent = value <= debt * (1 + lb)
    after = apply(State(value, debt, lt, lb), total)
    if insolvent:
        full = hf <= 0.95 or debt < 2000 or value < 2000
        expected = value / (1 + lb) if full else min(0.5 * debt, value / (1 + lb))
        assert total == pytest.approx(expected, rel=1e-12)
    else:
        # either health is restored exactly, or a close-factor bound stops the plan first (HF still below 1)
        assert after.hf == pytest.approx(1.0, rel=1e-9) or after.hf < 1.0
        assert after.hf <= 1.0 + 1e-9
        if after.hf < 1.0 - 1e-9:
            assert total == pytest.approx(0.5 * debt, rel=1e-9) or hf <= 0.95


def test_known_cases() -> None:
    rule = CloseFactorRule(min_leftover=0.0)
    # HF 0.97, LT 0.83, LB 5 %: 50 % factor; health is back at r* = (d − S·LT)/(1 − LT(1+LB)) < d/2
    debt = 100_000.0
    value = 0.97 * debt / 0.83
    _, total, _, _ = _one(debt, 0.97, 0.83, 0.05, rule)
    assert total == pytest.approx((debt - value * 0.83) / (1 - 0.83 * 1.05))
    assert total < 0.5 * debt
    # HF 0.5 (deeply insolvent: collateral 0.602·debt < debt·1.05): everything is seized
    _, total, _, _ = _one(debt, 0.5, 0.83, 0.05, rule)
    assert total == pytest.approx(0.5 * debt / 0.83 / 1.05)
    # with Aave's dust rule, a solvent position under $1,000 of debt can only be closed in one piece
    _, total, zone, atomic = _one(900.0, 0.99, 0.83, 0.05, CloseFactorRule())
    assert atomic and total == pytest.approx(900.0) and zone == 0.0
    # … and a larger one stops where health is restored, well before the dust limit
    _, total, _, atomic = _one(2500.0, 0.99, 0.83, 0.05, CloseFactorRule())
    assert not atomic and total == pytest.approx((2500.0 - 0.99 * 2500.0) / (1 - 0.83 * 1.05))


def test_close_factor_and_health_factor() -> None:
    hf = health_factor(np.array([1000.0, 1000.0]), np.array([900.0, 0.0]), np.array([0.8, 0.8]))
    assert hf[0] == pytest.approx(800 / 900) and np.isinf(hf[1])
    f = close_factor(np.array([1e6, 1e6, 1500.0]), np.array([0.8e6 / 0.97, 0.8e6 / 0.94, 1000.0]), np.full(3, 0.8))
    assert f.tolist() == [0.5, 1.0, 1.0]


@settings(max_examples=100, deadline=None)
@given(pos=positions)
def test_allowance_never_exceeds_debt_or_collateral(pos: tuple) -> None:
    debt, hf, (lt, lb) = pos
    assume(debt > 0)
    value, total, zone, _ = _one(debt, hf, lt, lb, CloseFactorRule())
    assert total <= debt * (1 + 1e-12)
    assert total * (1 + lb) <= value * (1 + 1e-12)
    assert 0.0 <= zone <= total * (1 + 1e-12)
