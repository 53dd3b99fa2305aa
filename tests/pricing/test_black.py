"""Black-Scholes / Black-76: QuantLib reference values, high-precision tails, finite differences, parity."""

from __future__ import annotations

import json

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from solvency.errors import SolvencyInputError
from solvency.pricing.black import black76, black_scholes

from ..conftest import RESULTS

EPS = np.finfo(float).eps
GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")


def _reference() -> dict:
    return json.loads((RESULTS / "quantlib_black_reference.json").read_text())


def _columns(rows: list[dict], names: tuple[str, ...]) -> list[np.ndarray]:
    return [np.array([r[n] for r in rows]) for n in names]


def _rounding_scale(kind, fwd, strike, t, vol, disc, disc_q, spot) -> dict[str, np.ndarray]:
    """Size of the terms QuantLib adds with opposite signs, per Greek: its own rounding error is ε times this.

    QuantLib's ``BlackCalculator`` evaluates ``D·(F·N(θd1) − K·N(θd2))`` and, for puts, ``N(d1) − 1``: deep out of
    the money these cancel, so its value there is only good to a few ε of the terms, not relative to the result.
    """
    sign = np.where(kind == "call", 1.0, -1.0)
    s = vol * np.sqrt(t)
    d1 = np.log(fwd / strike) / s + 0.5 * s
    d2 = d1 - s
    n_terms = disc * (fwd * ndtr(sign * d1) + strike * ndtr(sign * d2))
    r_terms = np.abs(np.log(disc)) / np.maximum(t, 1e-300)
    decay = spot * disc_q * np.exp(-0.5 * d1 * d1) / np.sqrt(2 * np.pi) * vol / (2 * np.sqrt(t))
    return {
        "price": disc * (fwd + strike),
        "delta": disc_q + 0 * n_terms,
        "gamma": 0 * n_terms,
        "vega": 0 * n_terms,
        "theta": decay + (r_terms + 0.05) * disc * (fwd + strike),
        "rho": t * strike * disc + t * n_terms,
    }


def assert_matches(ours, ref, scale, what: str) -> None:
    tol = 1e-8 * np.abs(ref) + 16 * EPS * scale + 1e-300
    bad = np.abs(ours - ref) > tol
    assert not bad.any(), f"{what}: {bad.sum()} values differ, e.g. ours {ours[bad][:3]} vs QuantLib {ref[bad][:3]}"


def test_black_scholes_matches_quantlib() -> None:
    ref = _reference()
    rows = ref["black_scholes"]
    assert ref["quantlib_version"].startswith("1.")
    kind = np.array([r["kind"] for r in rows])
    spot, strike, t, vol, r, q = _columns(rows, ("spot", "strike", "t", "vol", "rate", "div"))
    ours = black_scholes(kind, spot, strike, t, vol, r, q)
    disc, disc_q = np.exp(-r * t), np.exp(-q * t)
    scale = _rounding_scale(kind, spot * disc_q / disc, strike, t, vol, disc, disc_q, spot)
    assert t.min() == pytest.approx(1 / 8760) and strike.max() / spot.min() == 5.0
    for g in GREEKS:
        assert_matches(getattr(ours, g), np.array([row[g] for row in rows]), scale[g], f"black_scholes {g}")
    # the strict 1e-8 relative test holds wherever QuantLib's own rounding is below 1e-10 of the value
    price = np.array([row["price"] for row in rows])
    clean = 16 * EPS * scale["price"] < 1e-10 * np.abs(price)
    assert clean.sum() > 0.7 * len(rows)  # 1,706 of 2,304 here; the rest are far-OTM tails
    assert np.allclose(ours.price[clean], price[clean], rtol=1e-8, atol=0)


def test_black76_matches_quantlib() -> None:
    rows = _reference()["black76"]
    kind = np.array([r["kind"] for r in rows])
    fwd, strike, t, vol, r = _columns(rows, ("forward", "strike", "t", "vol", "rate"))
    ours = black76(kind, fwd, strike, t, vol, r)
    disc = np.exp(-r * t)
    scale = _rounding_scale(kind, fwd, strike, t, vol, disc, disc, fwd)
    scale["delta"] = disc
    for g in GREEKS:
        assert_matches(getattr(ours, g), np.array([row[g] for row in rows]), scale[g], f"black76 {g}")
    # the strict 1e-8 relative test wherever QuantLib's own rounding is below 1e-10 of the value
    price = np.array([row["price"] for row in rows])
    clean = 16 * EPS * scale["price"] < 1e-10 * np.abs(price)
    assert clean.sum() > 0.5 * len(rows)
    assert np.allclose(ours.price[clean], price[clean], rtol=1e-8, atol=0)


def test_engine_conventions_per_one_vol_and_per_year() -> None:
    """AnalyticEuropeanEngine: vega per 1.00 σ, theta per year (thetaPerDay = theta/365), same as ours."""
    rows = _reference()["engine"]
    kind = np.array([r["kind"] for r in rows])
    spot, strike, t, vol, r, q = _columns(rows, ("spot", "strike", "t", "vol", "rate", "div"))
    ours = black_scholes(kind, spot, strike, t, vol, r, q)
    disc, disc_q = np.exp(-r * t), np.exp(-q * t)
    scale = _rounding_scale(kind, spot * disc_q / disc, strike, t, vol, disc, disc_q, spot)
    for g in GREEKS:
        assert_matches(getattr(ours, g), np.array([row[g] for row in rows]), scale[g], f"engine {g}")
    theta = np.array([row["theta"] for row in rows])
    per_day = np.array([row["theta_per_day"] for row in rows])
    assert np.allclose(per_day * 365, theta, rtol=1e-12, atol=1e-300)


def _mp_black_scholes(kind: str, s, k, t, v, r, q) -> dict[str, float]:
    """50-digit closed forms (the textbook formulas, no cancellation at this precision)."""
    mpmath.mp.dps = 50
    s, k, t, v, r, q = (mpmath.mpf(x) for x in (s, k, t, v, r, q))
    sign = 1 if kind == "call" else -1
    d1 = (mpmath.log(s / k) + (r - q + v * v / 2) * t) / (v * mpmath.sqrt(t))
    d2 = d1 - v * mpmath.sqrt(t)
    cdf, pdf = mpmath.ncdf, mpmath.npdf
    dq, dr = mpmath.exp(-q * t), mpmath.exp(-r * t)
    price = sign * (s * dq * cdf(sign * d1) - k * dr * cdf(sign * d2))
    return {
        "price": float(price),
        "delta": float(sign * dq * cdf(sign * d1)),
        "gamma": float(dq * pdf(d1) / (s * v * mpmath.sqrt(t))),
        "vega": float(s * dq * pdf(d1) * mpmath.sqrt(t)),
        "theta": float(
            -s * dq * pdf(d1) * v / (2 * mpmath.sqrt(t))
            - sign * r * k * dr * cdf(sign * d2)
            + sign * q * s * dq * cdf(sign * d1)
        ),
        "rho": float(sign * k * t * dr * cdf(sign * d2)),
    }


@pytest.mark.parametrize(
    ("kind", "strike", "t", "vol", "rate", "div"),
    [
        ("put", 50.0, 5.0, 0.05, 0.05, 0.0),  # 8.4 sd OTM: QuantLib returns 0 here
        ("call", 105.0, 1 / 8760, 0.2, 0.0, 0.0),  # one hour, 23 sd OTM
        ("call", 200.0, 30 / 365, 0.2, 0.03, 0.01),
        ("put", 20.0, 0.5, 0.2, 0.05, 0.0),
        ("call", 100.5, 1 / 8760, 0.8, 0.05, 0.03),
        ("put", 20.0, 1.0, 2.0, 0.0, 0.03),
        ("call", 20.0, 1 / 365, 0.5, 0.05, 0.0),  # deep ITM call, one day
    ],
)
def test_far_tails_match_high_precision(kind, strike, t, vol, rate, div) -> None:
    ref = _mp_black_scholes(kind, 100.0, strike, t, vol, rate, div)
    ours = black_scholes(kind, 100.0, strike, t, vol, rate, div)
    for g in GREEKS:
        assert float(getattr(ours, g)) == pytest.approx(ref[g], rel=1e-9, abs=1e-300), g


def _grid(n: int = 400, seed: int = 3):
    rng = np.random.default_rng(seed)
    kind = np.where(rng.random(n) < 0.5, "call", "put")
    spot = rng.uniform(50, 150, n)
    strike = spot * np.exp(rng.normal(0, 0.3, n))
    t = np.exp(rng.uniform(np.log(1 / 365), np.log(3), n))
    vol = rng.uniform(0.1, 1.5, n)
    return kind, spot, strike, t, vol, rng.uniform(-0.01, 0.08, n), rng.uniform(0, 0.05, n)


def test_greeks_equal_finite_differences() -> None:
    kind, s, k, t, v, r, q = _grid()
    g = black_scholes(kind, s, k, t, v, r, q)

    def p(**kw):
        a = {"spot": s, "t": t, "vol": v, "rate": r} | kw
        return black_scholes(kind, a["spot"], k, a["t"], a["vol"], a["rate"], q).price

    # steps relative to the option's own scale (σ√T) keep truncation and rounding errors both below 1e-7
    hs, hv, ht, hr = 1e-3 * s * v * np.sqrt(t), 1e-5, 1e-5 * t, 1e-6
    fd = {
        "delta": (p(spot=s + hs) - p(spot=s - hs)) / (2 * hs),
        "gamma": (p(spot=s + hs) - 2 * g.price + p(spot=s - hs)) / hs**2,
        "vega": (p(vol=v + hv) - p(vol=v - hv)) / (2 * hv),
        "theta": -(p(t=t + ht) - p(t=t - ht)) / (2 * ht),
        "rho": (p(rate=r + hr) - p(rate=r - hr)) / (2 * hr),
    }
    # tolerance: truncation (1e-5 relative) plus the rounding of the bumped prices (ε·V / h, ε·V / h²)
    rounding = 64 * EPS * (g.price + s)
    floor = {"delta": rounding / hs, "gamma": rounding / hs**2, "vega": rounding / hv, "theta": rounding / ht}
    floor["rho"] = rounding / hr
    for name, approx in fd.items():
        exact = getattr(g, name)
        assert np.all(np.abs(approx - exact) <= 1e-5 * np.abs(exact) + floor[name]), name


def test_black76_greeks_equal_finite_differences() -> None:
    kind, f, k, t, v, r, _ = _grid(seed=4)
    g = black76(kind, f, k, t, v, r)
    h = 1e-3 * f * v * np.sqrt(t)
    up, dn = black76(kind, f + h, k, t, v, r).price, black76(kind, f - h, k, t, v, r).price
    rounding = 64 * EPS * (g.price + f)
    assert np.all(np.abs((up - dn) / (2 * h) - g.delta) <= 1e-5 * np.abs(g.delta) + rounding / h)
    assert np.all(np.abs((up - 2 * g.price + dn) / h**2 - g.gamma) <= 1e-5 * np.abs(g.gamma) + rounding / h**2)
    ht = 1e-5 * t
    theta = -(black76(kind, f, k, t + ht, v, r).price - black76(kind, f, k, t - ht, v, r).price) / (2 * ht)
    assert np.allclose(theta, g.theta, rtol=1e-5, atol=1e-6)
    rho = (black76(kind, f, k, t, v, r + 1e-6).price - black76(kind, f, k, t, v, r - 1e-6).price) / 2e-6
    assert np.allclose(rho, g.rho, rtol=1e-6, atol=1e-8)


def test_put_call_parity() -> None:
    _, s, k, t, v, r, q = _grid(2000, seed=5)
    c = black_scholes("call", s, k, t, v, r, q)
    p = black_scholes("put", s, k, t, v, r, q)
    forward_value = s * np.exp(-q * t) - k * np.exp(-r * t)
    assert np.allclose(c.price - p.price, forward_value, rtol=0, atol=1e-12 * (s + k))
    assert np.allclose(c.delta - p.delta, np.exp(-q * t), atol=1e-14)
    assert np.allclose(c.gamma, p.gamma, rtol=1e-13) and np.allclose(c.vega, p.vega, rtol=1e-13)
    assert np.allclose(c.rho - p.rho, k * t * np.exp(-r * t), rtol=1e-12)


def test_units_vega_per_one_vol_and_theta_per_year() -> None:
    g = black_scholes("call", 100.0, 100.0, 30 / 365, 0.5)
    bump = black_scholes("call", 100.0, 100.0, 30 / 365, 0.51).price - g.price
    assert bump == pytest.approx(0.01 * float(g.vega), rel=1e-2)
    one_day = black_scholes("call", 100.0, 100.0, 29 / 365, 0.5).price - g.price
    assert one_day == pytest.approx(float(g.theta) / 365, rel=2e-2)


def test_expiry_and_zero_vol_limits() -> None:
    g = black_scholes(["call", "put", "call"], 100.0, [90.0, 90.0, 110.0], 0.0, 0.5)
    assert g.price.tolist() == [10.0, 0.0, 0.0]
    assert g.delta.tolist() == [1.0, 0.0, 0.0]
    assert g.gamma.tolist() == [0.0, 0.0, 0.0] and g.vega.tolist() == [0.0, 0.0, 0.0]
    z = black_scholes("call", 100.0, 90.0, 1.0, 0.0, rate=0.05)
    assert float(z.price) == pytest.approx(100 - 90 * np.exp(-0.05))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"vol": -0.1}, "vol"),
        ({"spot": 0.0}, "spot"),
        ({"t": -1.0}, "t must"),
        ({"strike": np.nan}, "strike"),
        ({"kind": "straddle"}, "unknown option kind"),
    ],
)
def test_bad_inputs_are_named(kwargs, match) -> None:
    args = {"kind": "call", "spot": 100.0, "strike": 100.0, "t": 1.0, "vol": 0.2} | kwargs
    with pytest.raises(SolvencyInputError, match=match):
        black_scholes(**args)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(0.2, 5.0),
    st.floats(1 / 8760, 3.0),
    st.floats(0.01, 3.0),
    st.floats(0.0, 0.5),
    st.sampled_from(["call", "put"]),
)
def test_price_increases_with_vol_and_stays_in_bounds(m, t, vol, dv, kind) -> None:
    k = 100.0 * m
    lo = black_scholes(kind, 100.0, k, t, vol).price
    hi = black_scholes(kind, 100.0, k, t, vol + dv).price
    assert hi >= lo - 1e-12 * (100 + k)
    bound = 100.0 if kind == "call" else k
    intrinsic = max(100.0 - k, 0) if kind == "call" else max(k - 100.0, 0)
    assert intrinsic - 1e-12 * (100 + k) <= lo <= bound
