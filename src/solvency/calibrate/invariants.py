"""Invariants every recommendation satisfies, and the clamps that enforce them (each one reported).

* ``0 < LTV < LT`` — with at least ``ltv_gap`` between them (the oracle's guardrails ask the same gap);
* ``LT·(1 + LB) ≤ max_lt_bonus < 1`` — liquidating a position at HF = 1 must improve its health, otherwise
  liquidations spiral (Warmuz et al., "Toxic liquidation spirals"; Aave v3's
  ``PoolConfigurator.configureReserveAsCollateral`` requires ``liquidationThreshold.percentMul(liquidationBonus)``
  ≤ 100 %, the bonus stored as 1 + LB);
* ``0 ≤ LB ≤ lb_max``;
* caps ``> 0``.

A value that would break one is moved to the nearest value that keeps it, in the conservative direction
(lower LTV, lower LT, lower LB only when LB exceeds its ceiling), and a :class:`Clamp` says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

MIN_RATIO = 1e-4
"""Smallest LTV / LT / cap the clamps produce: Aave's stewards refuse zero, so never zero."""


@dataclass(frozen=True)
class Clamp:
    """A recommendation moved to keep an invariant."""

    parameter: str
    value: float
    clamped_to: float
    reason: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Params:
    """A full parameter set (fractions; supply cap in asset units, borrow cap in quote units)."""

    ltv: float
    liquidation_threshold: float
    liquidation_bonus: float
    supply_cap: float
    borrow_cap: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def enforce(
    params: Params, *, ltv_gap: float, max_lt_bonus: float, lb_max: float, lt_max: float = 1.0
) -> tuple[Params, list[Clamp]]:
    """Clamp ``params`` into the invariants; returns the kept values and the clamps applied (in order)."""
    clamps: list[Clamp] = []
    lb = params.liquidation_bonus
    if lb > lb_max:
        clamps.append(Clamp("liquidation_bonus", lb, lb_max, f"above lb_max {lb_max}"))
        lb = lb_max
    if lb < 0:
        clamps.append(Clamp("liquidation_bonus", lb, 0.0, "negative"))
        lb = 0.0
    lt = params.liquidation_threshold
    bound = min(lt_max, max_lt_bonus / (1.0 + lb))
    if lt > bound:
        clamps.append(Clamp("liquidation_threshold", lt, bound, f"LT·(1+LB) must not exceed {max_lt_bonus}"))
        lt = bound
    if lt < MIN_RATIO + ltv_gap:
        clamps.append(Clamp("liquidation_threshold", lt, MIN_RATIO + ltv_gap, "LT must stay above LTV > 0"))
        lt = MIN_RATIO + ltv_gap
    ltv = params.ltv
    if ltv > lt - ltv_gap:
        clamps.append(Clamp("ltv", ltv, lt - ltv_gap, f"LTV must stay {ltv_gap} below LT"))
        ltv = lt - ltv_gap
    if ltv < MIN_RATIO:
        clamps.append(Clamp("ltv", ltv, MIN_RATIO, "LTV must be positive"))
        ltv = MIN_RATIO
    caps = {}
    for name in ("supply_cap", "borrow_cap"):
        value = getattr(params, name)
        if not value > 0:
            clamps.append(Clamp(name, value, MIN_RATIO, "caps must be positive"))
            value = MIN_RATIO
        caps[name] = value
    return Params(ltv, lt, lb, caps["supply_cap"], caps["borrow_cap"]), clamps


def check(params: Params, *, max_lt_bonus: float = 1.0) -> dict[str, object]:
    """The invariants as a JSON-ready report (all True for any output of :func:`enforce`)."""
    product = params.liquidation_threshold * (1.0 + params.liquidation_bonus)
    return {
        "ltv_positive": params.ltv > 0,
        "ltv_below_lt": params.ltv < params.liquidation_threshold,
        "lt_times_one_plus_lb": product,
        "lt_times_one_plus_lb_below_one": product < 1.0 and product <= max_lt_bonus + 1e-12,
        "caps_positive": params.supply_cap > 0 and params.borrow_cap > 0,
    }
