"""Transition plans: from the parameters in force to the recommendation, in steps a risk steward may execute.

Limits (defaults from Aave's Risk Steward, ``aave-dao/aave-v3-risk-stewards``: ``RiskSteward.sol``
``_updateWithinAllowedRange`` checks ``|new − old| ≤ maxPercentChange`` — absolute for LTV / LT / LB, relative
to the old value for caps — and ``minDelay`` between two updates of a parameter; the deployed configuration
``scripts/deploy/DeployStewards.s.sol`` ``_getRiskConfig()`` uses 50 bps and 3 days for LTV, LT and LB and
30 %–100 % for caps):

* each step moves LTV, LT and LB by at most ``max_step`` (0.5 pp) and each cap by at most ``cap_relative`` of its
  current value;
* steps are ``min_days`` apart (the first one now);
* **LTV goes down before LT**: within a step LT may only fall as far as ``LTV_new + ltv_gap``, so while both fall,
  LTV leads; while LT rises, LTV may rise only up to ``LT_new − ltv_gap``. LTV is never above the LT in force;
* ``LT·(1 + LB)`` stays within ``max_lt_bonus`` at every step;
* for every step that lowers LT, the plan reports the collateral value (quote units, at today's price) of the
  positions of the *current* book that it newly makes liquidatable (HF ≥ 1 before, < 1 after).

Values are rounded to 1e-6 (below Aave's 1 bp resolution).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from solvency.calibrate.invariants import Params
from solvency.config import StewardSpec
from solvency.errors import SolvencyInputError

_ROUND = 6
_EPS = 1e-12


@dataclass(frozen=True)
class TransitionStep:
    """One steward update (caps in their units; ``after_days`` from the start of the plan)."""

    step: int
    after_days: float
    ltv: float
    liquidation_threshold: float
    liquidation_bonus: float
    supply_cap: float
    borrow_cap: float
    newly_liquidatable_collateral: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _toward(value: float, target: float, step: float) -> float:
    if abs(target - value) <= step + _EPS:
        return target
    return value + math.copysign(step, target - value)


def _toward_relative(value: float, target: float, relative: float) -> float:
    lo, hi = value * (1.0 - relative), value * (1.0 + relative)
    return min(max(target, lo), hi)


def _reached(p: Params, target: Params) -> bool:
    return (
        abs(p.ltv - target.ltv) <= _EPS
        and abs(p.liquidation_threshold - target.liquidation_threshold) <= _EPS
        and abs(p.liquidation_bonus - target.liquidation_bonus) <= _EPS
        and abs(p.supply_cap - target.supply_cap) <= _EPS * max(1.0, target.supply_cap)
        and abs(p.borrow_cap - target.borrow_cap) <= _EPS * max(1.0, target.borrow_cap)
    )


def newly_liquidatable(collateral: np.ndarray, debt: np.ndarray, price: float, lt_old: float, lt_new: float) -> float:
    """Collateral value (quote) of positions healthy at ``lt_old`` and liquidatable at ``lt_new`` at ``price``."""
    value = collateral * price
    before = value * lt_old >= debt
    after = value * lt_new < debt
    return float(value[before & after & (debt > 0)].sum())


def transition_plan(
    current: Params,
    target: Params,
    *,
    collateral: np.ndarray,
    debt: np.ndarray,
    price: float,
    steward: StewardSpec,
    ltv_gap: float,
    max_lt_bonus: float,
    max_steps: int = 1000,
) -> list[TransitionStep]:
    """Steps from ``current`` to ``target`` within the steward's limits (see the module docstring).

    Parameters
    ----------
    collateral, debt
        The current book's collateral amounts (units of the asset) and debts (quote), for the liquidatable
        collateral each LT step exposes.
    price
        Today's price of the collateral.

    Raises
    ------
    SolvencyInputError
        A parameter set breaks ``LTV < LT`` or ``LT·(1+LB) ≤ max_lt_bonus`` (the plan could not keep them), or the
        plan does not converge within ``max_steps``.
    """
    for name, p in (("current", current), ("target", target)):
        if not p.ltv < p.liquidation_threshold or p.liquidation_threshold * (1 + p.liquidation_bonus) > 1:
            raise SolvencyInputError(f"{name} parameters break LTV < LT or LT·(1+LB) ≤ 1: {p.to_dict()}")
    d, rel = steward.max_step, steward.cap_relative
    ltv, lt, lb = current.ltv, current.liquidation_threshold, current.liquidation_bonus
    supply, borrow = current.supply_cap, current.borrow_cap
    steps: list[TransitionStep] = []
    done = _reached(current, target)
    while not done:
        if len(steps) >= max_steps:
            raise SolvencyInputError(f"transition plan did not reach the target within {max_steps} steps")
        lb_new = _toward(lb, target.liquidation_bonus, d)
        ltv_new = _toward(ltv, target.ltv, d)
        lt_new = _toward(lt, target.liquidation_threshold, d)
        # LTV leads on the way down, follows on the way up: LTV_new ≤ LT_new − gap always.
        lt_new = max(lt_new, min(ltv_new + ltv_gap, lt))
        ltv_new = min(ltv_new, lt_new - ltv_gap)
        # LT·(1+LB) ≤ bound: raise whichever rises only as far as the other allows.
        if lt_new * (1.0 + lb_new) > max_lt_bonus + _EPS:
            if lb_new > lb:
                lb_new = max(lb, max_lt_bonus / lt_new - 1.0)
            if lt_new * (1.0 + lb_new) > max_lt_bonus + _EPS:
                lt_new = max_lt_bonus / (1.0 + lb_new)
                ltv_new = min(ltv_new, lt_new - ltv_gap)
        supply_new = _toward_relative(supply, target.supply_cap, rel)
        borrow_new = _toward_relative(borrow, target.borrow_cap, rel)
        exposed = newly_liquidatable(collateral, debt, price, lt, lt_new) if lt_new < lt else 0.0
        ltv, lt, lb, supply, borrow = ltv_new, lt_new, lb_new, supply_new, borrow_new
        steps.append(
            TransitionStep(
                step=len(steps) + 1,
                after_days=len(steps) * steward.min_days,
                ltv=round(ltv, _ROUND),
                liquidation_threshold=round(lt, _ROUND),
                liquidation_bonus=round(lb, _ROUND),
                supply_cap=supply,
                borrow_cap=borrow,
                newly_liquidatable_collateral=exposed,
            )
        )
        done = _reached(Params(ltv, lt, lb, supply, borrow), target)
    return steps
