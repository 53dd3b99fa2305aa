"""Black-Scholes(-Merton) and Black-76 prices and Greeks, vectorized.

Units (the same as QuantLib's ``AnalyticEuropeanEngine`` / ``BlackCalculator``):

* ``price`` in the currency of ``spot`` / ``forward`` and ``strike``;
* ``delta`` = ∂V/∂S (Black-Scholes) or ∂V/∂F (Black-76), per unit of the underlying;
* ``gamma`` = ∂²V/∂S² (or ∂²V/∂F²);
* ``vega`` = ∂V/∂σ per **1.00** of σ (a move from 50 % to 150 % vol) — divide by 100 for "per vol point";
* ``theta`` = −∂V/∂T per **year** (calendar time passing; negative for a long option in most cases) —
  divide by 365 for "per day";
* ``rho`` = ∂V/∂r per 1.00 of rate. Black-Scholes holds the spot and the dividend yield fixed; Black-76 holds
  the forward fixed, so its rho is ``−T·V``.

Time ``t`` is in years of 365 days (``seconds / SECONDS_PER_YEAR``); ``vol``, ``rate`` and ``div`` are
annualised, continuously compounded fractions. At ``t = 0`` or ``vol = 0`` the option is worth its (discounted)
intrinsic value and gamma, vega and the diffusion part of theta are 0 (their limits away from the strike).

Examples
--------
>>> r = black_scholes("call", spot=100.0, strike=100.0, t=1.0, vol=0.2, rate=0.05)
>>> round(float(r.price), 6), round(float(r.delta), 6), round(float(r.vega), 6)
(10.450584, 0.636831, 37.524035)
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from scipy.special import ndtr

from solvency.errors import SolvencyInputError
from solvency.pricing.normalised import otm_price

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


class OptionValues(NamedTuple):
    """Price and Greeks of European options (arrays broadcast from the inputs; units in the module docstring)."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray
    rho: np.ndarray


_KIND = {"call": 1.0, "c": 1.0, "put": -1.0, "p": -1.0}


def option_sign(kind: Any) -> np.ndarray:
    """+1 for calls and −1 for puts, from ``"call"/"put"/"c"/"p"`` (any case), ±1, or arrays of these.

    Raises
    ------
    SolvencyInputError
        An element is neither a call nor a put.
    """
    arr = np.asarray(kind)
    if arr.dtype.kind in "iuf":
        out = arr.astype("float64")
        if not np.all(np.isin(out, (-1.0, 1.0))):
            raise SolvencyInputError("option kind must be +1 (call) or -1 (put)", hint="or use 'call' / 'put'")
        return out
    flat = [str(k).strip().lower() for k in arr.ravel().tolist()]
    bad = [k for k in flat if k not in _KIND]
    if bad:
        raise SolvencyInputError(f"unknown option kind {bad[0]!r}", hint="use 'call' or 'put'")
    return np.array([_KIND[k] for k in flat], dtype="float64").reshape(arr.shape)


def _check(name: str, value: np.ndarray, *, positive: bool = False, nonnegative: bool = False) -> None:
    bad = ~np.isfinite(value)
    if positive:
        bad |= value <= 0
    if nonnegative:
        bad |= value < 0
    if bad.any():
        where = np.unravel_index(int(np.flatnonzero(bad)[0]), value.shape) if value.ndim else ()
        need = "positive" if positive else "non-negative" if nonnegative else "finite"
        at = f" at index {tuple(int(i) for i in where)}" if where else ""
        raise SolvencyInputError(f"{name} must be finite and {need}, got {value[bad].ravel()[0]!r}{at}")


def _inputs(**arrays: Any) -> dict[str, np.ndarray]:
    out = dict(
        zip(arrays, np.broadcast_arrays(*(np.asarray(a, dtype="float64") for a in arrays.values())), strict=True)
    )
    return out


def black_core(
    sign: np.ndarray, forward: np.ndarray, strike: np.ndarray, t: np.ndarray, vol: np.ndarray, discount: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unchecked kernel: price, ``d1``, ``d2`` and ``n(d1)`` of a European option on a forward.

    ``price = D·(√(FK)·b(−|x|, σ√T) + max(θ·(F − K), 0))`` with ``b`` the normalised OTM price, which keeps deep
    in- and out-of-the-money prices accurate (no cancellation between the two ``N`` terms).
    """
    s = vol * np.sqrt(t)
    x = np.log(forward / strike)
    time_value = np.sqrt(forward * strike) * otm_price(-np.abs(x), s)
    price = discount * (time_value + np.maximum(sign * (forward - strike), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        q = x / s
    q = np.where(s > 0, q, np.where(x > 0, np.inf, -np.inf))
    q = np.where((s > 0) | (x != 0), q, 0.0)
    d1 = q + 0.5 * s
    d2 = q - 0.5 * s
    pdf1 = np.where(s > 0, _INV_SQRT_2PI * np.exp(-0.5 * d1 * d1), 0.0)
    return price, d1, d2, pdf1


def black_scholes(
    kind: Any,
    spot: Any,
    strike: Any,
    t: Any,
    vol: Any,
    rate: Any = 0.0,
    div: Any = 0.0,
) -> OptionValues:
    """Black-Scholes-Merton price and Greeks of European options on a spot with a continuous dividend yield.

    Parameters
    ----------
    kind
        ``"call"`` / ``"put"`` (or ``"c"`` / ``"p"``, ±1), scalar or array.
    spot, strike
        Spot price and strike (> 0), quote currency.
    t
        Time to expiry in years of 365 days (≥ 0).
    vol
        Annualised volatility (≥ 0), a fraction.
    rate, div
        Continuously compounded risk-free rate and dividend (or borrow / staking) yield, fractions per year.

    Returns
    -------
    OptionValues
        ``price, delta, gamma, vega (per 1.00 σ), theta (per year), rho (per 1.00 rate)``, broadcast arrays.

    Raises
    ------
    SolvencyInputError
        A non-finite input, a non-positive spot or strike, a negative time or volatility, or an unknown kind.
    """
    a = _inputs(sign=option_sign(kind), spot=spot, strike=strike, t=t, vol=vol, rate=rate, div=div)
    _check("spot", a["spot"], positive=True)
    _check("strike", a["strike"], positive=True)
    _check("t", a["t"], nonnegative=True)
    _check("vol", a["vol"], nonnegative=True)
    _check("rate", a["rate"])
    _check("div", a["div"])
    sign, spot_, strike_, t_, vol_, r, q = (a[k] for k in ("sign", "spot", "strike", "t", "vol", "rate", "div"))
    disc = np.exp(-r * t_)
    disc_q = np.exp(-q * t_)
    forward = spot_ * disc_q / disc
    price, d1, d2, pdf1 = black_core(sign, forward, strike_, t_, vol_, disc)
    sqrt_t = np.sqrt(t_)
    s = vol_ * sqrt_t
    nd1 = ndtr(sign * d1)
    nd2 = ndtr(sign * d2)
    delta = sign * disc_q * nd1
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(s > 0, disc_q * pdf1 / (spot_ * s), 0.0)
        decay = np.where(t_ > 0, spot_ * disc_q * pdf1 * vol_ / (2.0 * sqrt_t), 0.0)
    vega = spot_ * disc_q * pdf1 * sqrt_t
    theta = -decay - sign * r * strike_ * disc * nd2 + sign * q * spot_ * disc_q * nd1
    rho = sign * strike_ * t_ * disc * nd2
    return OptionValues(price, delta, gamma, vega, theta, rho)


def black76(kind: Any, forward: Any, strike: Any, t: Any, vol: Any, rate: Any = 0.0) -> OptionValues:
    """Black-76 price and Greeks of European options on a forward / future (forward held fixed).

    Parameters
    ----------
    kind
        ``"call"`` / ``"put"`` (or ``"c"`` / ``"p"``, ±1).
    forward, strike
        Forward price of the underlying for the option's expiry, and strike (> 0).
    t
        Time to expiry in years of 365 days (≥ 0).
    vol
        Annualised volatility (≥ 0).
    rate
        Discount rate; ``0`` for options settled in the underlying's own margin (Deribit).

    Returns
    -------
    OptionValues
        ``delta`` and ``gamma`` are with respect to the forward; ``theta = −∂V/∂T = rV − D·F·n(d1)·σ/(2√T)``
        per year; ``rho = −T·V`` (forward fixed).
    """
    a = _inputs(sign=option_sign(kind), forward=forward, strike=strike, t=t, vol=vol, rate=rate)
    _check("forward", a["forward"], positive=True)
    _check("strike", a["strike"], positive=True)
    _check("t", a["t"], nonnegative=True)
    _check("vol", a["vol"], nonnegative=True)
    _check("rate", a["rate"])
    sign, fwd, strike_, t_, vol_, r = (a[k] for k in ("sign", "forward", "strike", "t", "vol", "rate"))
    disc = np.exp(-r * t_)
    price, d1, _, pdf1 = black_core(sign, fwd, strike_, t_, vol_, disc)
    sqrt_t = np.sqrt(t_)
    s = vol_ * sqrt_t
    delta = sign * disc * ndtr(sign * d1)
    with np.errstate(divide="ignore", invalid="ignore"):
        gamma = np.where(s > 0, disc * pdf1 / (fwd * s), 0.0)
        decay = np.where(t_ > 0, disc * fwd * pdf1 * vol_ / (2.0 * sqrt_t), 0.0)
    vega = disc * fwd * pdf1 * sqrt_t
    theta = r * price - decay
    rho = -t_ * price
    return OptionValues(price, delta, gamma, vega, theta, rho)
