"""Implied volatility: a vectorized, safeguarded Newton solver on normalised Black prices.

Every option is reduced to the normalised out-of-the-money price ``β = V_otm / (D·√(FK))`` at log-moneyness
``x = −|ln(F/K)| ≤ 0`` (an in-the-money option becomes its OTM twin by put-call parity), and ``s = σ√T`` solves
``b(x, s) = β`` (see :mod:`solvency.pricing.normalised`). As in Jäckel's "Let's be rational" (2015) the problem is
split at the inflection point ``s_c = √(2|x|)`` of ``b``:

* below it (low prices, the wings and short expiries) Newton runs on ``ln b(s) − ln β``, which is nearly linear in
  ``1/s²`` and stays finite for prices down to 1e-300;
* above it (high vol) on ``ln(β_max − β) − ln(β_max − b(s))`` with ``β_max = e^{x/2}``, the distance to the
  upper no-arbitrage bound, computed as a sum so that it does not cancel.

Each step is kept inside a bracket that shrinks with every evaluation (bisection in ``ln s`` when Newton would
leave it), so the iteration cannot diverge; it stops at ``|Δs| ≤ 4ε·s``. A price at or below intrinsic value
gives σ = 0 when equal and NaN below; a price at or above the upper bound (the forward for a call, the strike
for a put, discounted) gives NaN.

Accuracy is limited by the information in the price, not by the solver. The time value is what carries σ; its
absolute precision is about ε·V out of the money and ε·D·(F + K) in the money (the intrinsic value subtracted is
a difference of two rounded numbers), so σ can be known to about ε times the condition number
``c = (V + [ITM]·D·(F + K)) / (σ·vega)``. The tests recover σ to 1e-8 on every option with ``c ≤ 1e6`` (the far
out-of-the-money wings included) and, beyond it, reproduce the price to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtri

from solvency.errors import SolvencyInputError
from solvency.pricing.black import _check, _inputs, option_sign
from solvency.pricing.normalised import log_otm_price, log_otm_vega, otm_complement, otm_price

_EPS = np.finfo("float64").eps
_MAX_ITER = 100
_S_MAX = 50.0  # total volatility σ√T beyond which no double-precision price can tell vols apart


def implied_vol(
    price: Any,
    kind: Any,
    spot: Any,
    strike: Any,
    t: Any,
    rate: Any = 0.0,
    div: Any = 0.0,
    *,
    model: str = "black_scholes",
) -> np.ndarray:
    """Implied volatility of European options from their prices (vectorized).

    Parameters
    ----------
    price
        Option prices (quote currency), as returned by :func:`~solvency.pricing.black.black_scholes`.
    kind
        ``"call"`` / ``"put"`` (or ``"c"`` / ``"p"``, ±1).
    spot
        Spot price (``model="black_scholes"``) or the forward (``model="black76"``).
    strike
        Strike (> 0).
    t
        Time to expiry in years of 365 days (> 0).
    rate, div
        Continuously compounded rate and dividend yield (Black-76 ignores ``div``).
    model
        ``"black_scholes"`` or ``"black76"``.

    Returns
    -------
    numpy.ndarray
        Annualised implied volatility (fraction); 0 where the price equals the discounted intrinsic value, NaN where
        it is below it or at / above the upper no-arbitrage bound.

    Examples
    --------
    >>> from solvency.pricing.black import black_scholes
    >>> p = black_scholes("put", 100.0, 80.0, 7 / 365, 0.65, rate=0.03).price
    >>> round(float(implied_vol(p, "put", 100.0, 80.0, 7 / 365, rate=0.03)), 12)
    0.65
    """
    if model not in ("black_scholes", "black76"):
        raise SolvencyInputError(f"unknown model {model!r}", hint="use 'black_scholes' or 'black76'")
    a = _inputs(price=price, sign=option_sign(kind), spot=spot, strike=strike, t=t, rate=rate, div=div)
    _check("price", a["price"])
    _check("spot" if model == "black_scholes" else "forward", a["spot"], positive=True)
    _check("strike", a["strike"], positive=True)
    _check("t", a["t"], positive=True)
    _check("rate", a["rate"])
    _check("div", a["div"])
    t_ = a["t"]
    disc = np.exp(-a["rate"] * t_)
    forward = a["spot"] * np.exp((a["rate"] - a["div"]) * t_) if model == "black_scholes" else a["spot"]
    s = implied_total_vol(a["price"] / disc, a["sign"], forward, a["strike"])
    return s / np.sqrt(t_)


def implied_total_vol(
    undiscounted: np.ndarray, sign: np.ndarray, forward: np.ndarray, strike: np.ndarray
) -> np.ndarray:
    """Total implied volatility ``s = σ√T`` from undiscounted prices ``V / D`` (unchecked kernel).

    Returns 0 at intrinsic value, NaN outside the no-arbitrage bounds.
    """
    v, sign, fwd, k = np.broadcast_arrays(
        *(np.asarray(a, dtype="float64") for a in (undiscounted, sign, forward, strike))
    )
    shape = v.shape
    v, sign, fwd, k = (a.ravel() for a in (v, sign, fwd, k))
    root = np.sqrt(fwd * k)
    x = -np.abs(np.log(fwd / k))
    intrinsic = np.maximum(sign * (fwd - k), 0.0)
    beta = (v - intrinsic) / root
    beta_max = np.exp(0.5 * x)
    # The OTM twin's bound: the call's is F (β_max = e^{x/2} after normalising), an ITM option's time value
    # is bounded by the OTM twin's bound as well, so one bound covers both.
    out = np.full(v.shape, np.nan)
    # A time value within the rounding of ``V − intrinsic`` (a few ε of F + K) of zero carries no
    # information about σ: report 0 rather than reject the price as below intrinsic.
    rounding = 8.0 * _EPS * (fwd + k + np.abs(v)) / root
    out[(beta <= 0.0) & (beta >= -rounding)] = 0.0
    ok = (beta > 0.0) & (beta < beta_max)
    if ok.any():
        out[ok] = _solve(x[ok], beta[ok], beta_max[ok])
    return out.reshape(shape)


def _solve(x: np.ndarray, beta: np.ndarray, beta_max: np.ndarray) -> np.ndarray:
    s_c = np.sqrt(-2.0 * x)
    b_c = otm_price(x, s_c)
    upper = beta > b_c
    log_beta = np.log(beta)
    log_gap = np.log(beta_max - beta)

    lo = np.where(upper, s_c, 0.0)
    hi = np.where(upper, _S_MAX, s_c)
    # Starting points: the small-s asymptote ln b ≈ −x²/(2s²) below s_c; the ATM-like
    # β_max − b ≈ (e^{x/2}+e^{−x/2})·N(−s/2) above it.
    with np.errstate(divide="ignore", invalid="ignore"):
        s_low = np.where(x < 0, -x / np.sqrt(np.maximum(-2.0 * log_beta, 1e-300)), s_c)
        s_high = -2.0 * ndtri(np.clip((beta_max - beta) / (beta_max + 1.0 / beta_max), 1e-300, 0.5))
    s = np.where(upper, np.maximum(s_high, s_c), np.minimum(s_low, s_c))
    s = np.clip(s, np.where(lo > 0, lo, 1e-300), hi)
    s = np.where((s <= lo) | (s >= hi), _mid(lo, hi), s)

    active = np.ones(x.shape, dtype=bool)
    for _ in range(_MAX_ITER):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        xi, si, up = x[idx], s[idx], upper[idx]
        log_vega = log_otm_vega(xi, si)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_b = log_otm_price(xi, si)
            f_low = log_b - log_beta[idx]
            d_low = np.exp(log_vega - log_b)
            gap = otm_complement(xi, si)
            f_up = log_gap[idx] - np.log(gap)
            d_up = np.exp(log_vega - np.log(gap))
        f = np.where(up, f_up, f_low)
        df = np.where(up, d_up, d_low)
        # f is increasing in s: shrink the bracket with the sign of f.
        lo[idx] = np.where(f < 0, np.maximum(lo[idx], si), lo[idx])
        hi[idx] = np.where(f > 0, np.minimum(hi[idx], si), hi[idx])
        with np.errstate(divide="ignore", invalid="ignore"):
            step = f / df
        new = si - step
        bad = ~np.isfinite(new) | (new <= lo[idx]) | (new >= hi[idx])
        new = np.where(bad, _mid(lo[idx], hi[idx]), new)
        done = (f == 0) | (np.abs(new - si) <= 4.0 * _EPS * si) | (hi[idx] - lo[idx] <= 4.0 * _EPS * hi[idx])
        s[idx] = np.where(f == 0, si, new)
        active[idx[done]] = False
    return s


def _mid(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Bisection point, geometric where the bracket spans orders of magnitude."""
    geo = np.sqrt(np.maximum(lo, 1e-300) * hi)
    return np.where((lo > 0) & (hi > 4.0 * lo), geo, np.where(lo > 0, 0.5 * (lo + hi), 0.5 * hi))
