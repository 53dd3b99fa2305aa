"""Implied volatility: round trips on 100,000 random options (wings and one-hour expiries), bounds, Jäckel."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from solvency.errors import SolvencyInputError
from solvency.pricing.black import black76, black_scholes
from solvency.pricing.implied import implied_vol


def _random_options(n: int, seed: int):
    rng = np.random.default_rng(seed)
    vol = np.exp(rng.uniform(np.log(0.01), np.log(5.0), n))
    t = np.exp(rng.uniform(np.log(1 / 8760), np.log(5.0), n))  # one hour to five years
    z = rng.uniform(-12, 12, n)  # strike up to 12 standard deviations either side of the forward
    r, q = rng.uniform(-0.02, 0.1, n), rng.uniform(0, 0.05, n)
    forward = 100.0 * np.exp((r - q) * t)
    strike = forward * np.exp(z * vol * np.sqrt(t))
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    return kind, strike, t, vol, r, q, forward


def test_recovers_sigma_on_100k_random_options() -> None:
    """σ to 1e-8 wherever the price determines it; elsewhere the returned σ reproduces the price.

    Domain (stated, not tuned): the time value's absolute precision is ε·V out of the money and ε·D·(F + K) in the
    money, so σ is determined to ε·c with ``c = (V + [ITM]·D·(F + K)) / (σ·vega)``; we require 1e-8 where
    ``c ≤ 1e6`` (σ known to ~2e-10) and the price is a normal double (> 1e-290).
    """
    kind, strike, t, vol, r, q, forward = _random_options(100_000, seed=2025)
    res = black_scholes(kind, 100.0, strike, t, vol, r, q)
    iv = implied_vol(res.price, kind, 100.0, strike, t, r, q)
    sign = np.where(kind == "call", 1.0, -1.0)
    disc = np.exp(-r * t)
    itm = sign * (forward - strike) > 0
    cond = (res.price + np.where(itm, disc * (forward + strike), 0.0)) / (vol * res.vega)
    domain = (cond <= 1e6) & (res.price > 1e-290)
    err = np.abs(iv - vol) / vol
    assert domain.sum() > 65_000  # 66,5xx here: every OTM option to 12 sd, ITM ones to ~4.5 sd
    assert np.abs(np.log(strike / forward)[domain & ~itm] / (vol * np.sqrt(t))[domain & ~itm]).max() > 11.9
    assert (t[domain] < 2 / 8760).sum() > 500
    assert np.nanmax(err[domain]) < 1e-8 and not np.isnan(err[domain]).any()
    # Outside the domain σ is not determined by the price; any answer must reproduce the price to rounding.
    out = ~domain & np.isfinite(iv)
    again = black_scholes(kind[out], 100.0, strike[out], t[out], iv[out], r[out], q[out]).price
    assert np.all(np.abs(again - res.price[out]) <= 1e-12 * (forward[out] + strike[out]))
    # NaN only where the price sits on the upper no-arbitrage bound to rounding (σ unbounded)
    nan = np.isnan(iv)
    upper = np.where(sign > 0, 100.0 * np.exp(-q * t), strike * disc)
    assert np.all(np.abs(res.price[nan] - upper[nan]) <= 1e-12 * (forward[nan] + strike[nan]))


def test_agrees_with_lets_be_rational() -> None:
    """Jäckel's own implementation (py_vollib / lets_be_rational) on 2,000 options."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from py_vollib.black.implied_volatility import implied_volatility as lbr

    kind, strike, t, vol, r, _, _ = _random_options(2_000, seed=7)
    strike = 100.0 * np.exp(np.log(strike / strike.mean()) * 0.3)  # keep within 4 sd
    keep = np.abs(np.log(strike / 100.0)) / (vol * np.sqrt(t)) < 4
    kind, strike, t, vol, r = kind[keep], strike[keep], t[keep], vol[keep], r[keep]
    price = black76(kind, 100.0, strike, t, vol, r).price
    ours = implied_vol(price, kind, 100.0, strike, t, r, model="black76")
    rows = zip(price, strike, r, t, kind, strict=True)
    theirs = np.array([lbr(p, 100.0, k, rr, tt, kd[0]) for p, k, rr, tt, kd in rows])
    itm = np.where(kind == "call", strike < 100.0, strike > 100.0)
    good = ~itm | (np.abs(np.log(strike / 100.0)) / (vol * np.sqrt(t)) < 2)
    assert np.allclose(ours[good], theirs[good], rtol=1e-9, atol=0)
    assert np.allclose(ours[good], vol[good], rtol=1e-8)


def test_bounds() -> None:
    # at intrinsic → 0; below intrinsic → NaN; at / above the upper bound → NaN
    iv = implied_vol(
        [10.0, 9.0, 100.0, 120.0, 0.0], ["call", "call", "call", "put", "put"], 100.0, [90, 90, 90, 110, 90], 0.5
    )
    assert iv[0] == 0.0 and iv[4] == 0.0
    assert np.isnan(iv[1]) and np.isnan(iv[2]) and np.isnan(iv[3])


def test_extreme_short_expiry_and_huge_vol() -> None:
    t = np.array([60 / 3.1536e7, 1 / 8760, 5.0])
    vol = np.array([0.3, 4.0, 3.0])
    price = black_scholes("call", 100.0, [100.2, 90.0, 100.0], t, vol).price
    assert np.allclose(implied_vol(price, "call", 100.0, [100.2, 90.0, 100.0], t), vol, rtol=1e-9)


def test_bad_input() -> None:
    with pytest.raises(SolvencyInputError, match="t must"):
        implied_vol(1.0, "call", 100.0, 100.0, 0.0)
    with pytest.raises(SolvencyInputError, match="model"):
        implied_vol(1.0, "call", 100.0, 100.0, 1.0, model="heston")
