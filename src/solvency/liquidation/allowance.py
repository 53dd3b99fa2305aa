"""How much of each liquidatable position a plan may repay, in chunks of any size, under Aave v3.3's rules.

At a fixed price a position's state after repaying ``R`` in total is ``debt d − R`` and collateral worth
``S − R·(1+LB)`` (``S = c·P``), so ``HF(R) = (S − R·(1+LB))·LT/(d − R)``. One liquidation of a position in state
``R`` may repay up to ``f(R)·(d − R)`` where (:class:`~solvency.sim.mechanics.CloseFactorRule`, Aave v3.3):
``f = 1`` when ``HF ≤ 0.95`` or the collateral or the debt is worth less than $2,000, else ``f = 0.5``; it needs
``HF(R) < 1``; it seizes at most the collateral; and a partial liquidation must leave at least $1,000 of debt and
of collateral (the *dust rule*).

A plan splits liquidations over steps wherever capacity or depth runs out, so it needs an amount that stays
valid **however it is split**. :func:`allowances` returns, per position, the largest total ``U`` such that every
chunk ``[R, R']`` with ``0 ≤ R < R' ≤ U`` is a valid liquidation of the state ``R``:

* **Insolvent** positions (``S ≤ d·(1+LB)``: liquidating no longer covers the debt): ``HF`` only falls as they
  are liquidated, so the factor never drops: ``U = S/(1+LB)`` (everything seized; the rest of the debt is bad
  debt) when ``f(0) = 1``, else ``U = min(f·d, S/(1+LB))``.
* **Solvent** positions: ``HF`` rises with ``R`` and reaches 1 at ``r* = (d − S·LT)/(1 − LT·(1+LB))``, after which
  the position is no longer liquidatable: ``U ≤ r*`` (the plan restores health and stops). With ``f(0) = 0.5``
  (``0.95 < HF < 1``) any split of ``min(0.5·d, r*)`` keeps each chunk within half the remaining debt. With
  ``HF ≤ 0.95`` the factor is 1 until ``HF`` reaches 0.95 at ``r₉₅ = (0.95·d − S·LT)/(0.95 − LT·(1+LB))`` and 0.5
  after, so ``U ≤ 0.5·d + 0.5·r₉₅``. A position small from the start stays small: ``f = 1`` throughout.
* **Dust.** With a minimum leftover ``m``, a plan that does not close the position stops where ``m`` of debt and
  collateral remain (``U ≤ d − m`` and ``U ≤ (S − m)/(1+LB)``). A *closing* allowance (an insolvent position's
  whole collateral) may not be cut inside its last ``m``: cuts are allowed up to ``zone`` only. A small position
  whose allowance the dust rule would wipe out can only be closed in one piece (``atomic``): repay everything.

Positions are single-collateral (the seized asset is their only one). Amounts are quote units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvency.sim.mechanics import CloseFactorRule


@dataclass(frozen=True)
class Allowance:
    """Per-position limits of a plan (arrays over the liquidatable positions).

    Attributes
    ----------
    total
        Largest total repay ``U`` that any split keeps valid (quote units).
    zone
        Largest cut point strictly inside the allowance (``total`` when every cut is valid).
    atomic
        The allowance can only be repaid in one piece.
    closing
        Repaying ``total`` closes the position (all its collateral or all its debt).
    factor
        Close factor of the position as it is (0.5 or 1).
    """

    total: np.ndarray
    zone: np.ndarray
    atomic: np.ndarray
    closing: np.ndarray
    factor: np.ndarray


def health_factor(value: np.ndarray, debt: np.ndarray, lt: np.ndarray) -> np.ndarray:
    """``HF = value·LT/debt`` (``inf`` without debt)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(debt > 0, value * lt / np.where(debt > 0, debt, 1.0), np.inf)


def close_factor(
    value: np.ndarray, debt: np.ndarray, lt: np.ndarray, rule: CloseFactorRule | None = None
) -> np.ndarray:
    """Share of the debt one liquidation may repay now (``rule``: Aave v3.3 by default)."""
    rule = rule or CloseFactorRule()
    hf = health_factor(value, debt, lt)
    full = (hf <= rule.full_below_hf) | (value < rule.full_below_value) | (debt < rule.full_below_value)
    return np.where(full, 1.0, rule.default)


def allowances(
    value: np.ndarray,
    debt: np.ndarray,
    lt: np.ndarray,
    lb: np.ndarray,
    rule: CloseFactorRule | None = None,
) -> Allowance:
    """Split-proof repay limits of liquidatable positions (``HF < 1``; see the module docstring).

    Parameters
    ----------
    value
        Collateral value at the plan price (quote units).
    debt
        Debt (quote units).
    lt, lb
        Liquidation threshold and bonus of the collateral (fractions).
    rule
        Close-factor rule (default Aave v3.3).
    """
    rule = rule or CloseFactorRule()
    value = np.asarray(value, dtype="float64")
    debt = np.asarray(debt, dtype="float64")
    lt = np.asarray(lt, dtype="float64")
    lb = np.asarray(lb, dtype="float64")
    m = rule.min_leftover
    kappa = lt * (1.0 + lb)
    seize_all = value / (1.0 + lb)
    factor = close_factor(value, debt, lt, rule)
    hf = health_factor(value, debt, lt)
    small = (value < rule.full_below_value) | (debt < rule.full_below_value)
    insolvent = value <= debt * (1.0 + lb)
    with np.errstate(divide="ignore", invalid="ignore"):
        restore = np.where(kappa < 1.0, (debt - value * lt) / (1.0 - kappa), np.inf)
        cf_hf = rule.full_below_hf
        r95 = np.where(kappa < cf_hf, (cf_hf * debt - value * lt) / (cf_hf - kappa), np.inf)
    # solvent: never past health; the close factor after HF crosses full_below_hf bounds any split
    solvent_cf = np.where(
        small,
        debt,
        np.where(hf <= cf_hf, rule.default * debt + (1.0 - rule.default) * np.maximum(r95, 0.0), rule.default * debt),
    )
    solvent_total = np.minimum(np.minimum(restore, solvent_cf), np.minimum(debt, seize_all))
    insolvent_total = np.where(factor >= 1.0, seize_all, np.minimum(factor * debt, seize_all))
    total = np.where(insolvent, insolvent_total, solvent_total)
    closing = insolvent & (total >= seize_all)
    zone = total.copy()
    atomic = np.zeros(total.size, dtype=bool)
    if m > 0:
        keep = np.minimum(debt - m, (value - m) / (1.0 + lb))  # the last cut leaving m of debt and collateral
        open_total = np.minimum(total, keep)
        zone = np.where(closing, np.clip(keep, 0.0, total), open_total)
        total = np.where(closing, total, open_total)
        # a small position the dust rule leaves nothing to cut from: close it in one piece, if it is allowed to
        lost = ~closing & (total <= 0.0) & (factor >= 1.0)
        full = np.minimum(debt, seize_all)
        total = np.where(lost, full, np.maximum(total, 0.0))
        zone = np.where(lost, 0.0, np.maximum(zone, 0.0))
        atomic = lost & (total > 0.0)
        closing = closing | atomic
    return Allowance(total=total, zone=zone, atomic=atomic, closing=closing, factor=factor)
