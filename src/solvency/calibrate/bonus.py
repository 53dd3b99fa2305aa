"""Liquidation bonus: high enough that liquidating a typical position stays profitable in stress, no higher.

For each stress condition (:mod:`solvency.calibrate.stress`) the bonus must pay for

* **slippage** of selling the seized collateral of a *typical* liquidation, in the scenario's stressed depth and —
  with ``lb_concurrent`` (default) — on top of the other liquidations of the same cascade that the market has
  not absorbed yet: the marginal average slippage ``(G(S + q) − G(S)) / q`` of selling ``q`` after ``S``;
* **gas**: one liquidation's gas at the scenario's gas price, over the size ``q``;
* **oracle lag**: the oracle may sit up to its deviation threshold above the market before it updates, and the
  liquidator is paid in collateral valued at the oracle price.

``LB = max over conditions of slippage + gas/q + deviation``, capped at ``lb_max``. A condition that needs more
than ``lb_max`` (a wick so sharp that the cascade's own sales eat any reasonable bonus — 19 May 2021's −30 % in
ninety minutes needs about 31 % on the example WETH market) is reported as *unmet*: no bonus makes those
liquidations profitable; the cap clamps the bonus (reported by the invariants) and the caps must limit the
exposure instead. Capping rather than ignoring such a condition keeps the bonus monotone in depth: a rule that
skipped unmet conditions would *raise* the bonus when deeper liquidity made a skipped condition meetable.

* The *typical* liquidation repays ``close_factor × d`` where ``d`` is the debt-weighted median position debt
  (half of the debt sits in larger positions), and seizes ``q = repay × (1 + LB₀)`` of collateral value (``LB₀``
  the bonus in force, so that ``q`` does not depend on the depth being tested).
* ``S`` is the collateral seized when the price falls by the scenario's sharpest fall within one impact
  half-life: every position whose health factor drops below 1 loses ``close factor × debt × (1 + LB₀)``
  (100 % close factor below HF 0.95, as Aave v3.3), at most its collateral.
* Slippage is read off the power law ``s(x) = a·(x / 10⁶)^b`` fitted to the market's curve
  (:meth:`~solvency.market.liquidity.LiquidityCurve.fit_power_law`), with depth ``m`` as
  ``s_m(x) = s(x/m)``. A power law keeps the bonus and the caps of :mod:`solvency.calibrate.caps` monotone in depth
  (deeper liquidity never raises the bonus nor lowers a cap); the simulator itself uses the curve as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from solvency.calibrate.frontier import BookShape
from solvency.calibrate.stress import StressCondition
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import LiquidityCurve
from solvency.sim.mechanics import GWEI


@dataclass(frozen=True)
class PowerLawDepth:
    """Average slippage ``a·(x / (m·ref))^b`` of selling ``x`` quote units at depth multiplier ``m``."""

    a: float
    b: float
    ref: float

    @classmethod
    def fit(cls, curve: LiquidityCurve) -> PowerLawDepth:
        """Fit to ``curve`` at its own depth (a power law is returned as it is)."""
        pl = curve if curve.kind == "power_law" and curve.depth == 1.0 else curve.fit_power_law()
        a, b, ref = (float(x) for x in pl.params[:3])
        return cls(a, b, ref * pl.depth)

    def slippage(self, x: float | np.ndarray, depth: float = 1.0) -> float | np.ndarray:
        return self.a * (np.asarray(x, dtype="float64") / (depth * self.ref)) ** self.b

    def cost(self, x: float | np.ndarray, depth: float = 1.0) -> float | np.ndarray:
        """Quote lost selling ``x`` at once: ``x·s_m(x)``."""
        x = np.asarray(x, dtype="float64")
        return x * self.slippage(x, depth)

    def size_at(self, slippage: float, depth: float = 1.0) -> float:
        """Largest size sold with average slippage at most ``slippage``: ``m·ref·(s/a)^(1/b)``."""
        if not slippage > 0:
            return 0.0
        return float(depth * self.ref * (slippage / self.a) ** (1.0 / self.b))

    def marginal(self, size: float, already: float, depth: float = 1.0) -> float:
        """Average slippage of selling ``size`` after ``already`` was sold and not absorbed."""
        return float((self.cost(already + size, depth) - self.cost(already, depth)) / size)


@dataclass(frozen=True)
class BonusTerm:
    """The bonus one condition needs, by component (fractions; sizes in quote units)."""

    condition: str
    slippage: float
    gas: float
    oracle: float
    concurrent_sales: float

    @property
    def total(self) -> float:
        return self.slippage + self.gas + self.oracle

    def to_dict(self) -> dict[str, float | str]:
        return {**asdict(self), "total": self.total}


@dataclass(frozen=True)
class BonusResult:
    """The recommended bonus (before invariants) and how each condition asked for it."""

    needed: float
    typical_size: float
    terms: list[BonusTerm] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)

    @property
    def binding(self) -> str:
        """The condition that sets the bonus (the most demanding one)."""
        return max(self.terms, key=lambda t: t.total).condition

    def to_dict(self) -> dict[str, object]:
        return {
            "needed": self.needed,
            "typical_size": self.typical_size,
            "binding_condition": self.binding,
            "unmet_conditions": self.unmet,
            "terms": [t.to_dict() for t in self.terms],
        }


def cascade_sales(shape: BookShape, fall: float, *, close_factor: float, lb: float, lt: float) -> float:
    """Collateral value (quote) seized when the price falls by ``fall``: one liquidation per position that drops
    below HF 1 (the whole debt below HF 0.95, Aave v3.3), at most its collateral."""
    hf_after = shape.hf * (1.0 - fall)
    hit = hf_after < 1.0
    factor = np.where(hf_after <= 0.95, 1.0, close_factor)
    value = shape.hf * shape.debt * (1.0 - fall) / lt
    return float(np.minimum(factor * shape.debt * (1.0 + lb), value)[hit].sum())


def liquidation_bonus(
    shape: BookShape,
    depth: PowerLawDepth,
    conditions: Sequence[StressCondition],
    *,
    close_factor: float,
    current_lb: float,
    current_lt: float,
    gas_cost: float,
    oracle_deviation: float,
    typical_quantile: float = 0.5,
    concurrent: bool = True,
    depth_multiplier: float = 1.0,
    lb_max: float = 0.15,
) -> BonusResult:
    """The bonus each stress condition needs (see the module docstring) and the largest of them.

    Parameters
    ----------
    gas_cost
        Gas of one liquidation at the normal gas price, quote units (multiplied by each condition's factor).
    depth_multiplier
        Multiplier of ``depth`` on top of each condition's (the calibrator's ``depth`` is the market's curve
        shape, so it passes the absolute depth, :mod:`~solvency.calibrate.ladder`).
    lb_max
        Conditions needing more are reported as unmet (see the module docstring); the cap itself is applied by
        the caller (:func:`solvency.calibrate.invariants.enforce`).
    """
    if not conditions:
        raise SolvencyInputError("need at least one stress condition for the liquidation bonus")
    repay = close_factor * shape.typical_debt(typical_quantile)
    size = repay * (1.0 + current_lb)
    terms = []
    for cond in conditions:
        already = (
            cascade_sales(shape, cond.window_fall, close_factor=close_factor, lb=current_lb, lt=current_lt)
            if concurrent
            else 0.0
        )
        terms.append(
            BonusTerm(
                condition=cond.name,
                slippage=depth.marginal(size, already, cond.depth * depth_multiplier),
                gas=gas_cost * cond.gas_multiplier / size,
                oracle=oracle_deviation,
                concurrent_sales=already,
            )
        )
    unmet = [t.condition for t in terms if t.total > lb_max]
    return BonusResult(needed=max(t.total for t in terms), typical_size=size, terms=terms, unmet=unmet)


def gas_cost_quote(gas_units: float, gas_gwei: float, gas_token_price: float) -> float:
    """Quote cost of one liquidation's gas: ``gas_units × gwei × 10⁻⁹ × price of the gas token``."""
    return float(gas_units * gas_gwei * GWEI * gas_token_price)
