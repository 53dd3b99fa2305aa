"""Guardrails, case by case: clamping (controller) and all-or-nothing refusal (proposals)."""

from __future__ import annotations

import math

import pytest

from solvency.oracle.config import InvariantSpec, ParamRule
from solvency.oracle.guardrails import Change, Limits, check_proposal, steer, verify

NOW = 1_700_000_000.0
CURRENT = {"ltv": 0.80, "liquidation_threshold": 0.83, "liquidation_bonus": 0.05, "supply_cap": 1_000_000.0}
INV = InvariantSpec(ltv_gap=0.01, max_lt_bonus=0.99)


def limits(delay: str = "1h") -> dict[str, Limits]:
    rules = {
        "ltv": ParamRule(min=0.4, max=0.86, max_step=0.01, min_delay=delay),
        "liquidation_threshold": ParamRule(min=0.5, max=0.88, max_step=0.01, min_delay=delay),
        "liquidation_bonus": ParamRule(min=0.03, max=0.12, max_step=0.005, min_delay=delay),
        "supply_cap": ParamRule(min=1e5, max=3e6, max_step_relative=0.25, min_delay=delay, min_change=0.01),
    }
    return {k: Limits.from_rule(v) for k, v in rules.items()}


def run(targets, last=None, created=NOW, current=CURRENT):
    return steer(current, last or {}, targets, limits(), INV, now=NOW, created=created)


def test_clamps_to_one_step_absolute_and_relative() -> None:
    d = run({"ltv": 0.5, "liquidation_threshold": 0.6, "supply_cap": 10.0})
    got = {c.parameter: (c.new, c.limited_by) for c in d.changes}
    assert got["ltv"] == (pytest.approx(0.79), ("max_step",))
    assert got["liquidation_threshold"] == (pytest.approx(0.82), ("max_step",))
    assert got["supply_cap"] == (pytest.approx(750_000.0), ("max_step",))  # relative: −25 %
    assert d.clamped == 3


def test_bounds() -> None:
    cur = {**CURRENT, "ltv": 0.405}
    d = run({"ltv": 0.1}, current=cur)
    assert [(c.new, c.limited_by) for c in d.changes] == [(0.4, ("bound_min",))]


def test_min_delay_and_expiry_and_min_change() -> None:
    d = run({"ltv": 0.79}, last={"ltv": NOW - 3599})
    assert d.changes == [] and d.held == {"ltv": "min_delay"}
    d = run({"ltv": 0.79}, last={"ltv": NOW - 3600})
    assert [c.new for c in d.changes] == [0.79]
    d = run({"ltv": 0.79}, created=NOW - 6 * 3600 - 1)
    assert d.held == {"ltv": "expired"}
    d = run({"supply_cap": 1_005_000.0})  # 0.5 % < min_change 1 %
    assert d.held == {"supply_cap": "min_change"}


def test_garbage_targets_are_held() -> None:
    d = run({"ltv": math.nan, "liquidation_threshold": math.inf, "nonsense": 0.5})
    assert d.changes == []
    assert d.held == {
        "ltv": "non_finite_target",
        "liquidation_threshold": "non_finite_target",
        "nonsense": "unknown_parameter",
    }


def test_lt_cannot_fall_through_ltv_held_by_its_delay() -> None:
    # LTV was just updated (min delay): lowering LT by a full step would leave LTV > LT − gap
    cur = {**CURRENT, "ltv": 0.815, "liquidation_threshold": 0.83}
    d = run({"liquidation_threshold": 0.70, "ltv": 0.60}, last={"ltv": NOW - 10}, current=cur)
    (change,) = d.changes
    assert change.parameter == "liquidation_threshold"
    assert change.new == pytest.approx(0.825) and "invariant" in change.limited_by
    assert d.held["ltv"] == "min_delay"


def test_bonus_rise_pulled_back_by_spiral_bound() -> None:
    cur = {**CURRENT, "ltv": 0.86 - 0.02, "liquidation_threshold": 0.88, "liquidation_bonus": 0.12 - 0.005}
    # LT·(1+LB) = 0.88·1.115 = 0.981; raising LB to 0.12 would give 0.9856 ≤ 0.99 fine; make the bound tighter
    inv = InvariantSpec(ltv_gap=0.01, max_lt_bonus=0.982)
    d = steer(cur, {}, {"liquidation_bonus": 0.12}, limits(), inv, now=NOW, created=NOW)
    (change,) = d.changes
    assert change.new == pytest.approx(0.982 / 0.88 - 1) and "invariant" in change.limited_by


def test_proposal_all_or_nothing() -> None:
    lim = limits()
    ok = check_proposal(CURRENT, {}, {"ltv": 0.795, "liquidation_threshold": 0.825}, lim, INV, now=NOW, created=NOW)
    assert not ok.refused and len(ok.changes) == 2
    cases = {
        "zero_or_negative": {"ltv": 0.0},
        "non_finite": {"ltv": math.nan},
        "out_of_bounds": {"ltv": 0.87},
        "max_step": {"ltv": 0.78},
        "no_change": {"ltv": 0.80},
        "unknown_parameter": {"close_factor": 0.5},
    }
    for reason, proposal in cases.items():
        d = check_proposal(CURRENT, {}, {**proposal, "liquidation_bonus": 0.052}, lim, INV, now=NOW, created=NOW)
        assert d.refused and d.changes == []
        assert reason in d.held.values() and d.held.get("liquidation_bonus") == "refused_with_others"
    d = check_proposal(CURRENT, {}, {"ltv": 0.805}, lim, INV, now=NOW, created=NOW - 6 * 3600 - 1)
    assert d.held == {"ltv": "expired"}
    d = check_proposal(CURRENT, {}, {"ltv": 0.805}, lim, INV, now=NOW, created=NOW + 3600)
    assert d.held == {"ltv": "future"}
    d = check_proposal(CURRENT, {"ltv": NOW - 60}, {"ltv": 0.805}, lim, INV, now=NOW, created=NOW)
    assert d.held == {"ltv": "min_delay"}
    cur = {**CURRENT, "ltv": 0.805}
    d = check_proposal(cur, {}, {"ltv": 0.815, "liquidation_threshold": 0.82}, lim, INV, now=NOW, created=NOW)
    assert d.refused and set(d.held.values()) == {"invariant"}


def test_verify_catches_each_violation() -> None:
    lim = limits()

    def problems(*changes: Change, last=None) -> list[str]:
        return verify(CURRENT, last or {}, list(changes), lim, INV, now=NOW)

    assert problems(Change("ltv", 0.80, 0.79, 0.79)) == []
    assert problems(Change("ltv", 0.80, 0.77, 0.77))  # step
    assert problems(Change("ltv", 0.80, 0.0, 0.0))  # zero
    assert problems(Change("ltv", 0.80, 0.79, 0.79), last={"ltv": NOW - 1})  # delay
    assert problems(Change("ltv", 0.79, 0.78, 0.78))  # stale old value
    assert problems(Change("liquidation_threshold", 0.83, 0.815, 0.815), Change("ltv", 0.80, 0.81, 0.81))  # gap
