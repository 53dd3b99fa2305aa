"""Supply and borrow caps by the Chaos Labs supply-cap method: how much collateral can be liquidated within the
slippage the bonus pays for, under the stress scenarios.

Chaos Labs (Aave governance, "Chaos Labs – Aave V3 Supply Cap Methodology",
https://governance.aave.com/t/chaos-labs-aave-v3-supply-cap-methodology/11141, and "Chaos Labs Updated Supply
and Borrow Cap Methodology", https://governance.aave.com/t/chaos-labs-updated-supply-and-borrow-cap-methodology/11602)
ask "what is the maximum token value that can be liquidated profitably under extreme scenarios": with

* ``ExtremeLiquidationAmount`` — the collateral eligible for liquidation after an extreme price drop,
* ``MaxAmountLiquidated`` — the largest amount that can be sold keeping slippage below the liquidation bonus,
* a defensive assumption that 90 % of the extreme amount is liquidated at once,

the cap is the supply at which ``0.9 × ExtremeLiquidationAmount = MaxAmountLiquidated`` (their
``ExtremeProfitableLiquidationRatio`` equal to 1).

Here, per stress condition (its drop and its stressed depth):

* ``ExtremeLiquidationAmount(V) = f · (1 − drop) · V`` for a supply worth ``V`` at today's price, ``f`` the share of
  collateral value held by positions whose health factor falls below 1 after the drop — taken from the loan book
  (it does not depend on LT: borrowers keep their health factors);
* ``MaxAmountLiquidated`` = the size whose average slippage equals the bonus, on the power law fitted to the
  market's depth (:class:`~solvency.calibrate.bonus.PowerLawDepth`) at the condition's depth;
* ``supply cap = min over conditions of MaxAmountLiquidated / (liquidated_at_once · f · (1 − drop))``, in units of
  the asset (divided by today's price);
* ``borrow cap`` = the debt that capped supply carries at the book's leverage under the recommended LT
  (quote units): ``supply value × LT × Σ debt / Σ(HF · debt)``.

With a power-law depth the cap never falls when liquidity deepens, for any bonus the depth implies (the bonus
falls as ``m^(−b)`` times its slippage part while the sellable size grows as ``m``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from solvency.calibrate.bonus import PowerLawDepth
from solvency.calibrate.frontier import BookShape
from solvency.calibrate.stress import StressCondition
from solvency.errors import SolvencyInputError


@dataclass(frozen=True)
class CapTerm:
    """One condition's numbers (fractions; quote units for amounts)."""

    condition: str
    drop: float
    eligible_share: float
    max_amount_liquidated: float
    supply_value: float

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


@dataclass(frozen=True)
class CapResult:
    """Recommended caps: supply in units of the asset, borrow in the quote asset."""

    supply_cap: float
    borrow_cap: float
    terms: list[CapTerm] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "supply_cap": self.supply_cap,
            "borrow_cap": self.borrow_cap,
            "terms": [t.to_dict() for t in self.terms],
        }


def supply_caps(
    shape: BookShape,
    depth: PowerLawDepth,
    conditions: Sequence[StressCondition],
    *,
    bonus: float,
    lt: float,
    liquidated_at_once: float = 0.9,
    extreme_drop: float | None = None,
    depth_multiplier: float = 1.0,
) -> CapResult:
    """Caps by the method in the module docstring.

    Parameters
    ----------
    depth_multiplier
        Multiplier of ``depth`` on top of each condition's (the calibrator's ``depth`` is the market's curve
        shape, so it passes the absolute depth, :mod:`~solvency.calibrate.ladder`).
    """
    if not conditions:
        raise SolvencyInputError("need at least one stress condition for the caps")
    if not 0 < bonus < 1 or not 0 < lt < 1:
        raise SolvencyInputError(f"caps need a bonus and an LT in (0, 1), got {bonus!r}, {lt!r}")
    terms = []
    for cond in conditions:
        drop = cond.drop if extreme_drop is None else extreme_drop
        share = shape.collateral_value_share(1.0 / (1.0 - drop))
        amount = depth.size_at(bonus, cond.depth * depth_multiplier)
        eligible = liquidated_at_once * share * (1.0 - drop)
        value = amount / eligible if eligible > 0 else math.inf
        terms.append(CapTerm(cond.name, drop, share, amount, value))
    value = min(t.supply_value for t in terms)
    if not math.isfinite(value):  # no position liquidatable in any drop: bound by selling the whole supply at once
        value = min(t.max_amount_liquidated / (liquidated_at_once * (1.0 - t.drop)) for t in terms)
    leverage = lt * shape.debt_total / float((shape.hf * shape.debt).sum())
    return CapResult(supply_cap=value / shape.s0, borrow_cap=value * leverage, terms=terms)
