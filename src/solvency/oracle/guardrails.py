"""Guardrails: what may be published, whatever the target model or a caller asks for.

Modelled on Aave's Risk Stewards (aave-dao/aave-v3-risk-stewards, ``src/contracts/RiskSteward.sol``): each
parameter has a minimum delay between updates (``_validateParamUpdate``: ``block.timestamp - lastUpdated <
minDelay`` reverts ``DebounceNotRespected``), a largest change per update that is absolute for ratios and relative
for caps (``_updateWithinAllowedRange(from, to, maxPercentChange, isChangeRelative)``), no update to zero
(``InvalidUpdateToZero``) and no same-value update (``NoSameUpdates``); and on the edge risk oracle injector
(``AaveStewardInjector.sol``): a recommendation expires ``EXPIRATION_PERIOD = 6 hours`` after it was made. To
these we add absolute bounds per parameter and the joint invariants LTV ≤ LT − gap and LT·(1+LB) ≤ max < 1.

Two ways in:

* :func:`steer` (the controller): each target is *clamped* — into its bounds, then within one step of the
  current value — and the joint set is repaired to satisfy the invariants (lower LTV before LT; pull back the
  move that breaks an invariant); what cannot be repaired is not changed.
* :func:`check_proposal` (a manual proposal through the admin API): *all or nothing*, as the steward reverts —
  any value out of bounds, beyond a step, too early, expired, zero or breaking an invariant refuses the whole
  proposal with the reasons.

Both end with :func:`verify`, the single gate every change set passes before it is written to the ledger.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from solvency.oracle.config import RATIO_PARAMS, InvariantSpec, ParamRule, seconds

_EPS = 1e-9  # tolerance of the checks on float arithmetic (values are ~1e-1 .. 1e9)
FUTURE_TOLERANCE = 60.0
"""Seconds a proposal's creation time may lie ahead of the oracle's clock (clock skew)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Guardrail of one parameter in the units the checks use (seconds, fractions)."""

    lo: float
    hi: float
    step: float
    relative: bool
    min_delay: float
    min_change: float
    expiry: float

    @classmethod
    def from_rule(cls, rule: ParamRule) -> Limits:
        relative = rule.max_step_relative is not None
        return cls(
            lo=rule.min,
            hi=rule.max,
            step=rule.max_step_relative if relative else rule.max_step,
            relative=relative,
            min_delay=float(seconds(rule.min_delay)),
            min_change=rule.min_change,
            expiry=float(seconds(rule.expiry)),
        )

    def window(self, current: float) -> tuple[float, float]:
        """Values allowed in one update from ``current``: the bounds intersected with the step range."""
        if self.relative:
            a, b = current * (1.0 - self.step), current * (1.0 + self.step)
        else:
            a, b = current - self.step, current + self.step
        return max(self.lo, a), min(self.hi, b)

    def too_small(self, current: float, new: float) -> bool:
        """A change at or below ``min_change`` (relative for caps) is not worth publishing."""
        diff = abs(new - current)
        return diff == 0.0 or diff <= self.min_change * (abs(current) if self.relative else 1.0)


@dataclass(frozen=True, slots=True)
class Change:
    """One parameter change to publish: ``old → new`` toward ``target``, with the guardrails that limited it."""

    parameter: str
    old: float
    new: float
    target: float
    limited_by: tuple[str, ...] = ()


@dataclass(slots=True)
class Decision:
    """The outcome of one evaluation: the changes to publish and why the other parameters stay."""

    changes: list[Change] = field(default_factory=list)
    held: dict[str, str] = field(default_factory=dict)
    refused: bool = False

    @property
    def clamped(self) -> int:
        """Changes whose published value differs from the target because a guardrail limited it."""
        return sum(1 for c in self.changes if c.limited_by)


def _delayed(limits: Limits, last: float | None, now: float) -> bool:
    return last is not None and now - last < limits.min_delay


def steer(
    current: Mapping[str, float],
    last_updated: Mapping[str, float],
    targets: Mapping[str, float],
    limits: Mapping[str, Limits],
    invariants: InvariantSpec,
    *,
    now: float,
    created: float,
) -> Decision:
    """Clamp targets into what the guardrails allow (the controller's path).

    Parameters
    ----------
    current
        Parameters in force (all of the market's).
    last_updated
        Time (epoch s) of each parameter's last published update; absent = never.
    targets
        Wished values (any floats, even NaN or negative: they are judged here).
    limits, invariants
        The market's guardrails.
    now
        The oracle's clock (epoch s).
    created
        When the inputs behind the targets were observed; older than a parameter's expiry → not applied.
    """
    out = Decision()
    values = dict(current)
    windows: dict[str, tuple[float, float]] = {}
    wanted: dict[str, tuple[float, list[str]]] = {}
    for name, target in targets.items():
        lim = limits.get(name)
        if lim is None:
            out.held[name] = "unknown_parameter"
            continue
        cur = current[name]
        if not math.isfinite(target):
            out.held[name] = "non_finite_target"
            continue
        if now - created > lim.expiry:
            out.held[name] = "expired"
            continue
        if created > now + FUTURE_TOLERANCE:
            out.held[name] = "future"
            continue
        if _delayed(lim, last_updated.get(name), now):
            out.held[name] = "min_delay"
            continue
        a, b = lim.window(cur)
        if a > b:  # the current value lies outside bounds that changed since: refuse to move
            out.held[name] = "bounds_unreachable"
            continue
        new, why = target, []
        if new < a:
            new, why = a, ["bound_min" if a == lim.lo else "max_step"]
        elif new > b:
            new, why = b, ["bound_max" if b == lim.hi else "max_step"]
        windows[name] = (a, b)
        wanted[name] = (target, why)
        values[name] = new

    changing = set(wanted)
    if changing & set(RATIO_PARAMS):
        for name in _repair(values, windows, changing, invariants):
            wanted[name][1].append("invariant")

    for name, (target, why) in wanted.items():
        if limits[name].too_small(current[name], values[name]):
            values[name] = current[name]
            out.held[name] = "min_change" if not why else "limited_to_no_change"
        else:
            out.changes.append(Change(name, current[name], values[name], target, tuple(why)))

    if out.changes and verify(current, last_updated, out.changes, limits, invariants, now=now):
        # a dropped small change reverted a value the repair relied on: publish nothing rather than break one
        out.held.update({c.parameter: "invariant" for c in out.changes})
        out.changes = []
    return out


def _repair(
    values: dict[str, float], windows: Mapping[str, tuple[float, float]], changing: set[str], inv: InvariantSpec
) -> set[str]:
    """Adjust moving parameters (within their windows) until LTV ≤ LT − gap and LT·(1+LB) ≤ max.

    Moves that break an invariant are pulled back: LB down first, then LT down (spiral bound); LTV down first,
    then LT up (gap). Parameters held at their current value are never moved. Returns those adjusted.
    """
    adjusted: set[str] = set()
    gap, top = inv.ltv_gap, inv.max_lt_bonus
    for _ in range(4):
        ok = True
        if values["liquidation_threshold"] * (1.0 + values["liquidation_bonus"]) > top:
            ok = False
            if "liquidation_bonus" in changing:
                lo = windows["liquidation_bonus"][0]
                values["liquidation_bonus"] = max(lo, top / values["liquidation_threshold"] - 1.0)
                adjusted.add("liquidation_bonus")
            if values["liquidation_threshold"] * (1.0 + values["liquidation_bonus"]) > top and (
                "liquidation_threshold" in changing
            ):
                lo = windows["liquidation_threshold"][0]
                values["liquidation_threshold"] = max(lo, top / (1.0 + values["liquidation_bonus"]))
                adjusted.add("liquidation_threshold")
        if values["ltv"] > values["liquidation_threshold"] - gap:
            ok = False
            if "ltv" in changing:
                values["ltv"] = max(windows["ltv"][0], values["liquidation_threshold"] - gap)
                adjusted.add("ltv")
            if values["ltv"] > values["liquidation_threshold"] - gap and "liquidation_threshold" in changing:
                hi = windows["liquidation_threshold"][1]
                values["liquidation_threshold"] = min(hi, values["ltv"] + gap)
                adjusted.add("liquidation_threshold")
        if ok:
            break
    return adjusted


def check_proposal(
    current: Mapping[str, float],
    last_updated: Mapping[str, float],
    proposal: Mapping[str, float],
    limits: Mapping[str, Limits],
    invariants: InvariantSpec,
    *,
    now: float,
    created: float,
) -> Decision:
    """Judge a manual proposal all-or-nothing (the admin API's path); ``refused`` with reasons, or the changes."""
    out = Decision()
    for name, value in proposal.items():
        lim = limits.get(name)
        if lim is None:
            out.held[name] = "unknown_parameter"
            continue
        cur = current[name]
        if not math.isfinite(value):
            out.held[name] = "non_finite"
        elif value <= 0.0:
            out.held[name] = "zero_or_negative"
        elif now - created > lim.expiry:
            out.held[name] = "expired"
        elif created > now + FUTURE_TOLERANCE:
            out.held[name] = "future"
        elif _delayed(lim, last_updated.get(name), now):
            out.held[name] = "min_delay"
        elif value == cur:
            out.held[name] = "no_change"
        elif not lim.lo <= value <= lim.hi:
            out.held[name] = "out_of_bounds"
        else:
            a, b = lim.window(cur)
            if not a - _EPS * max(1.0, abs(a)) <= value <= b + _EPS * max(1.0, abs(b)):
                out.held[name] = "max_step"
            else:
                out.changes.append(Change(name, cur, float(value), float(value)))
    if not out.held and out.changes:
        problems = verify(current, last_updated, out.changes, limits, invariants, now=now)
        if problems:
            out.held.update(dict.fromkeys((c.parameter for c in out.changes), "invariant"))
    if out.held or not out.changes:
        out.refused = True
        out.held.update({c.parameter: "refused_with_others" for c in out.changes if c.parameter not in out.held})
        out.changes = []
    return out


def verify(
    current: Mapping[str, float],
    last_updated: Mapping[str, float],
    changes: list[Change],
    limits: Mapping[str, Limits],
    invariants: InvariantSpec,
    *,
    now: float,
) -> list[str]:
    """Every guardrail on a change set; returns the violations (empty = publishable)."""
    problems: list[str] = []
    values = dict(current)
    seen: set[str] = set()
    for c in changes:
        lim = limits.get(c.parameter)
        if lim is None or c.parameter in seen:
            problems.append(f"{c.parameter}: unknown or repeated")
            continue
        seen.add(c.parameter)
        cur = current[c.parameter]
        new = c.new
        if c.old != cur:
            problems.append(f"{c.parameter}: old {c.old} is not the value in force {cur}")
        if not (math.isfinite(new) and new > 0.0):
            problems.append(f"{c.parameter}: {new} is not a positive number")
            continue
        tol_lo, tol_hi = _EPS * max(1.0, abs(lim.lo)), _EPS * max(1.0, abs(lim.hi))
        if not lim.lo - tol_lo <= new <= lim.hi + tol_hi:
            problems.append(f"{c.parameter}: {new} outside [{lim.lo}, {lim.hi}]")
        allowed = lim.step * (abs(cur) if lim.relative else 1.0)
        if abs(new - cur) > allowed + _EPS * max(1.0, allowed, abs(cur)):
            problems.append(f"{c.parameter}: step {new - cur:+.6g} exceeds {allowed:.6g}")
        if _delayed(lim, last_updated.get(c.parameter), now):
            problems.append(f"{c.parameter}: less than {lim.min_delay:.0f}s since its last update")
        if new == cur:
            problems.append(f"{c.parameter}: no change")
        values[c.parameter] = new
    if all(p in values for p in RATIO_PARAMS):
        ltv, lt, lb = values["ltv"], values["liquidation_threshold"], values["liquidation_bonus"]
        if ltv > lt - invariants.ltv_gap + _EPS:
            problems.append(f"invariant: ltv {ltv:.6g} > liquidation_threshold {lt:.6g} − gap")
        if lt * (1.0 + lb) > invariants.max_lt_bonus + _EPS:
            problems.append(f"invariant: LT·(1+LB) = {lt * (1 + lb):.6g} > {invariants.max_lt_bonus}")
    return problems
