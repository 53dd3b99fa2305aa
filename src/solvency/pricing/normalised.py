"""Normalised Black prices: the one function every pricer and the implied-vol solver share.

With forward ``F``, strike ``K``, discount factor ``D`` and total volatility ``s = σ√T``, a European option
is worth ``D·√(FK)·b(x, s)`` plus, if it is in the money, its discounted intrinsic value, where
``x = ln(F/K)`` and ``b`` is the normalised *out-of-the-money* price (Jäckel, "Let's be rational", 2015, §2)::

    b(x, s) = e^{x/2} N(x/s + s/2) − e^{−x/2} N(x/s − s/2)        for x ≤ 0 (an OTM call)

An OTM put at ``x ≥ 0`` is ``b(−x, s)``, so only ``x ≤ 0`` is ever evaluated. Writing the price through
the Mills ratio ``Y(z) = N(z)/n(z) = √(π/2)·erfcx(−z/√2)`` keeps it exact in the far wings where both
``N`` terms underflow or cancel: ``b = e^{x/2} n(d1) (Y(d1) − Y(d2))`` when ``d1 < 0``. The same form gives
``ln b`` without underflow, which the solver uses to reach prices of 1e-300.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erfcx, ndtr

_SQRT_HALF_PI = np.sqrt(0.5 * np.pi)
_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
_SQRT2 = np.sqrt(2.0)


def mills(z: np.ndarray) -> np.ndarray:
    """``Y(z) = N(z) / n(z)`` for ``z ≤ 0`` (finite, no underflow), via the scaled complementary erf."""
    return _SQRT_HALF_PI * erfcx(-z / _SQRT2)


def log_pdf(z: np.ndarray) -> np.ndarray:
    """``ln n(z)`` of the standard normal density."""
    return -0.5 * z * z - _LOG_SQRT_2PI


def _d(x: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / s
    q = np.where(s > 0, q, np.where(x < 0, -np.inf, 0.0))
    return q + 0.5 * s, q - 0.5 * s


def otm_price(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Normalised OTM price ``b(x, s)`` for ``x ≤ 0``, ``s ≥ 0`` (see module docstring)."""
    x = np.asarray(x, dtype="float64")
    s = np.asarray(s, dtype="float64")
    d1, d2 = _d(x, s)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        wing = np.exp(0.5 * x + log_pdf(d1)) * (mills(np.minimum(d1, 0.0)) - mills(np.minimum(d2, 0.0)))
        body = np.exp(0.5 * x) * ndtr(d1) - np.exp(-0.5 * x) * ndtr(d2)
    out = np.where(d1 < 0, wing, body)
    return np.where(s > 0, np.maximum(out, 0.0), 0.0)


def log_otm_price(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``ln b(x, s)`` for ``x ≤ 0``, ``s > 0``; finite even where ``b`` underflows (down to ``s → 0``)."""
    x = np.asarray(x, dtype="float64")
    s = np.asarray(s, dtype="float64")
    d1, d2 = _d(x, s)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        wing = 0.5 * x + log_pdf(d1) + np.log(mills(np.minimum(d1, 0.0)) - mills(np.minimum(d2, 0.0)))
        body = np.log(otm_price(x, s))
    return np.where(d1 < 0, wing, body)


def otm_complement(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``e^{x/2} − b(x, s) = e^{x/2} N(−d1) + e^{−x/2} N(d2)``, computed as a sum (no cancellation at large s)."""
    x = np.asarray(x, dtype="float64")
    s = np.asarray(s, dtype="float64")
    d1, d2 = _d(x, s)
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(0.5 * x) * ndtr(-d1) + np.exp(-0.5 * x) * ndtr(d2)


def log_otm_vega(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``ln ∂b/∂s = x/2 + ln n(d1)``."""
    d1, _ = _d(np.asarray(x, dtype="float64"), np.asarray(s, dtype="float64"))
    return 0.5 * np.asarray(x, dtype="float64") + log_pdf(d1)
