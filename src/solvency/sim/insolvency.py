"""Insolvency risk of one loan position while it waits for a liquidator (GBM), as scalar kernels.

A single-collateral position holds collateral worth ``S`` (quote units, at the current market price), owes ``d``
and pays liquidators a bonus ``LB``. If it is closed at time ``t`` by liquidating it at the price then, ``S·X_t``
with ``X_t = exp(σW_t − σ²t/2)`` (a martingale: the price model of the simulator's GBM), the liquidator takes
collateral worth ``repay·(1+LB)``, so the debt is covered in full only while ``S·X_t ≥ d·(1+LB)``; below that the
protocol keeps ``d − S·X_t/(1+LB)`` as bad debt. The position's **insolvency price** is therefore
``p* = d·(1+LB)/c`` (a liquidation can no longer repay its debt), and

* the **expected loss** of closing it at ``t`` is a put on ``S/(1+LB)`` struck at ``d`` with total volatility
  ``s = σ√t``::

      EL(t) = E[(d − S·X_t/(1+LB))⁺] = d·N(−d₂) − S/(1+LB)·N(−d₁),   d₁,₂ = (ln(S/((1+LB)·d)) ± s²/2)/s;

* the **probability of turning insolvent before being reached** — ``ln X`` (drift ``−σ²/2``) first passing
  ``b = ln(d·(1+LB)/S)`` before ``t`` — is, by the reflection principle with drift (e.g. Shreve, *Stochastic
  Calculus for Finance II*, §7.2.2, or Borodin & Salminen, *Handbook of Brownian Motion*, 2.1.1.4)::

      P(t) = N((b + s²/2)/s) + e^{−b}·N((b − s²/2)/s)     for b < 0, and 1 for b ≥ 0.

A loss at ``t`` needs the price to be below ``p*`` at ``t``, hence to have crossed it before ``t``, so
``EL(t) = P(t)·E[loss | crossed before t]``: the expected loss is exactly the probability of turning insolvent
before being reached times the exposure given that it does (:func:`exposure_given_insolvency`). A position
already below ``p*`` has ``P = 1`` and a loss ``EL(0) = d − S/(1+LB)`` that liquidating now would crystallise;
waiting only adds the option's time value (and keeps the chance that the price recovers).

Every function is a scalar kernel (compiled with numba, interpreted without it) so that liquidation policies
running inside the simulator's kernels can call them; the ``*_array`` versions loop over arrays for the planner.
Units: values in quote units, ``s`` a total (not annualised) log volatility, ``t`` in the caller's units.
"""

from __future__ import annotations

import math

import numpy as np

from solvency._jit import jit

_SQRT_HALF = math.sqrt(0.5)


@jit
def normal_cdf(x: float) -> float:
    """Standard normal distribution function, accurate in both tails (``erfc``, no cancellation)."""
    return 0.5 * math.erfc(-x * _SQRT_HALF)


@jit
def expected_loss(value: float, debt: float, bonus: float, s: float) -> float:
    """Expected bad debt of closing a position by liquidation after total log volatility ``s``.

    Parameters
    ----------
    value
        Collateral value now (quote units).
    debt
        Debt (quote units).
    bonus
        Liquidation bonus (fraction).
    s
        Total volatility ``σ√t`` of the collateral price until the liquidation (not annualised).

    Returns
    -------
    float
        ``E[(debt − value·X/(1+bonus))⁺]`` with ``ln X ~ N(−s²/2, s²)`` (quote units).
    """
    if not debt > 0.0:
        return 0.0
    cover = value / (1.0 + bonus)
    if not cover > 0.0:
        return debt
    if not s > 0.0:
        return max(debt - cover, 0.0)
    d1 = (math.log(cover / debt) + 0.5 * s * s) / s
    d2 = d1 - s
    out = debt * normal_cdf(-d2) - cover * normal_cdf(-d1)
    return max(out, max(debt - cover, 0.0))


@jit
def insolvency_probability(value: float, debt: float, bonus: float, s: float) -> float:
    """Probability that the collateral price falls to the insolvency price ``debt·(1+bonus)/c`` within ``s``.

    First passage of ``ln X`` (drift ``−s²/2`` over the interval, total volatility ``s``) below
    ``b = ln(debt·(1+bonus)/value)``; 1 when the position is already there, 0 when ``s = 0`` and it is not.
    """
    if not debt > 0.0:
        return 0.0
    if not value > 0.0:
        return 1.0
    b = math.log(debt * (1.0 + bonus) / value)
    if b >= 0.0:
        return 1.0
    if not s > 0.0:
        return 0.0
    h = 0.5 * s * s
    # e^{−b}·N((b − h)/s) underflows gracefully: N is tiny exactly where e^{−b} is large
    p = normal_cdf((b + h) / s) + math.exp(-b) * normal_cdf((b - h) / s)
    return min(p, 1.0)


@jit
def exposure_given_insolvency(value: float, debt: float, bonus: float, s: float) -> float:
    """Expected loss given that the position turns insolvent within ``s``: ``EL / P`` (0 when ``P = 0``)."""
    p = insolvency_probability(value, debt, bonus, s)
    if not p > 0.0:
        return 0.0
    return expected_loss(value, debt, bonus, s) / p


@jit
def expected_loss_array(value: np.ndarray, debt: np.ndarray, bonus: np.ndarray, s: np.ndarray) -> np.ndarray:
    """:func:`expected_loss` element by element (arrays of one length)."""
    out = np.empty(debt.size)
    for i in range(debt.size):
        out[i] = expected_loss(value[i], debt[i], bonus[i], s[i])
    return out


@jit
def insolvency_probability_array(value: np.ndarray, debt: np.ndarray, bonus: np.ndarray, s: np.ndarray) -> np.ndarray:
    """:func:`insolvency_probability` element by element (arrays of one length)."""
    out = np.empty(debt.size)
    for i in range(debt.size):
        out[i] = insolvency_probability(value[i], debt[i], bonus[i], s[i])
    return out
