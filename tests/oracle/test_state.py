"""Online state: the time-aware EWMA is RiskMetrics on daily bars and keeps its half-life in time."""

from __future__ import annotations

import math

import numpy as np
import pytest

from solvency.market.ewma import ewma_variance
from solvency.oracle.config import AssetFeedSpec, RegimeSpec, VolatilitySpec
from solvency.oracle.state import AssetState, classify_regime, daily_lambda

T0 = 1_600_000_000.0
DAY = 86_400.0


def state(**vol: str) -> AssetState:
    feed = AssetFeedSpec(sources=["a", "b"], initial_vol=0.5)
    spec = VolatilitySpec(min_sample_interval="0s", **vol)
    return AssetState(feed, spec, RegimeSpec())


def test_daily_samples_reproduce_riskmetrics_kernel() -> None:
    rng = np.random.default_rng(3)
    r = rng.standard_normal(200) * 0.04
    prices = 100 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    s = state()
    s.lam_long = 0.94  # the RiskMetrics daily decay exactly
    reference = ewma_variance(r, 0.94, init=0.5**2 / 365)  # reference[k]: forecast after k returns (daily units)
    s.observe(T0, prices[0])
    for k in range(1, len(prices)):
        s.observe(T0 + k * DAY, prices[k])
        if k < len(r):
            assert s.var_long / 365 == pytest.approx(reference[k], rel=1e-10)


@pytest.mark.parametrize("step", [600.0, 3600.0, 2 * 3600.0])
def test_half_life_is_a_span_of_time_whatever_the_sampling(step: float) -> None:
    s = state(short_half_life="6h")
    s.observe(T0, 100.0)
    s.observe(T0 + step, 90.0)  # one shock
    v0 = s.var_short
    n = int(6 * 3600 / step)
    for k in range(2, n + 2):
        s.observe(T0 + k * step, 90.0)  # flat: the shock decays
    assert s.var_short == pytest.approx(0.5 * v0, rel=1e-9)


def test_constant_variance_rate_is_recovered() -> None:
    # returns of ±σ·sqrt(dt/year): the variance rate of every sample is σ², so both EWMAs converge to σ²
    sigma, dt = 1.2, 600.0
    s = state()
    p = 100.0
    s.observe(T0, p)
    for k in range(1, 20_000):
        p *= math.exp((-1) ** k * sigma * math.sqrt(dt / (365 * DAY)))
        s.observe(T0 + k * dt, p)
    assert math.sqrt(s.var_short) == pytest.approx(sigma, rel=1e-6)
    assert math.sqrt(s.var_long) == pytest.approx(sigma, rel=1e-2)


def test_daily_lambda_of_half_life() -> None:
    assert daily_lambda(DAY) == pytest.approx(0.5)
    assert daily_lambda(math.log(0.5) / math.log(0.94) * DAY) == pytest.approx(0.94, rel=1e-12)


def test_classify_regime_votes() -> None:
    spec = RegimeSpec()
    assert classify_regime(0.7, 0.01, None, spec) == 0
    assert classify_regime(0.7, 0.06, None, spec) == 1  # calm only when every signal is calm
    assert classify_regime(1.0, 0.12, None, spec) == 2
    assert classify_regime(2.6, 0.0, None, spec) == 3
    assert classify_regime(1.0, 0.0, 1.4, spec) == 2  # implied vol 1.4x the slow realised vol
    assert classify_regime(0.7, 0.0, 0.5, spec) == 0  # implied vol only ever raises the regime


def test_drawdown_over_window() -> None:
    s = state(drawdown_window="1d")
    s.observe(T0, 100.0)
    s.observe(T0 + 3600, 120.0)
    s.observe(T0 + 7200, 90.0)
    assert s.drawdown == pytest.approx(0.25)
    s.observe(T0 + 3600 + DAY + 1, 95.0)  # the high of 120 has left the window; 95 is the new high
    assert s.drawdown == pytest.approx(0.0)


def test_regime_rises_in_a_crash() -> None:
    s = state(drawdown_window="1d")
    t, p = T0, 100.0
    s.observe(t, p)
    for _ in range(10):
        t += 600
        p *= 0.97  # −26 % in 100 minutes
        s.observe(t, p)
    assert s.snapshot().regime == "crisis"


@pytest.mark.parametrize(
    ("level", "drawdown", "expected"),
    [
        ("crisis", 0.19, "crisis"),  # below the crisis threshold 0.20 but not below 0.8·0.20: stays
        ("crisis", 0.15, "stressed"),  # below 0.16: steps down
        ("stressed", 0.09, "stressed"),  # below 0.10, not below 0.08
        ("stressed", 0.07, "normal"),
        ("normal", 0.11, "stressed"),  # rising needs no margin
    ],
)
def test_regime_hysteresis(level: str, drawdown: float, expected: str) -> None:
    from solvency.oracle.config import REGIMES

    s = state(drawdown_window="1d")
    s.observe(T0, 100.0)
    s.observe(T0 + 600, 100.0 * (1 - drawdown))
    s.var_short = s.var_long  # vol ratio 1: only the drawdown speaks
    s.level = REGIMES.index(level)
    s._classify()
    assert s.snapshot().regime == expected


def test_implied_vol_raises_sigma_and_regime_while_fresh() -> None:
    s = state(implied_vol_max_age="2h", sigma_hold="0s")
    s.observe(T0, 100.0)
    assert s.snapshot().sigma == pytest.approx(0.5)
    s.observe_implied(T0 + 60, 1.2)  # 2.4x the slow realised vol
    snap = s.snapshot(T0 + 60)
    assert snap.sigma == pytest.approx(1.2) and snap.regime == "crisis" and snap.implied_vol == 1.2
    assert s.snapshot(T0 + 60 + 7201).implied_vol is None
    s.observe_implied(T0 + 30, 5.0)  # older than the reading we have: ignored
    assert s.implied == (T0 + 60, 1.2)


def test_sigma_held_at_its_peak_for_the_hold_window() -> None:
    s = state(sigma_hold="24h")
    s.observe(T0, 100.0)
    s.observe(T0 + 600, 80.0)
    peak = s.snapshot().sigma
    t = T0 + 600
    for _ in range(18 * 6):  # 18 flat hours: the fast EWMA decays (half-life 6 h), the held σ does not
        t += 600
        s.observe(t, 80.0)
    assert math.sqrt(s.var_short) < 0.4 * peak
    assert s.snapshot().sigma == pytest.approx(peak)
    for _ in range(12 * 6):  # 30 h after the spike the window holds σ from 6 h after it: ≈ 0.71 of the peak
        t += 600
        s.observe(t, 80.0)
    assert s.snapshot().sigma == pytest.approx(peak * 0.5 ** (6 / 12), rel=0.02)
