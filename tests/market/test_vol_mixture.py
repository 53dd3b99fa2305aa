"""Vol-of-vol: the ratio of the continuous volatility realized over 3-day windows to the EWMA forecast at their
start — the estimator recovers a known law on synthetic data (forecasts checked against a plain recursive EWMA
and against the calibrator's own ``annual_sigma``, jumps left out of the bipower ratio), the quantile-function law
samples and integrates correctly, and on real ETH data the estimate is the embedded default."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from solvency.calibrate.setup import annual_sigma
from solvency.data.loading import load_prices
from solvency.errors import SolvencyInputError
from solvency.market.vol_mixture import ETH_VOL_MIXTURE, VolMixture, estimate_vol_mixture, vol_ratios

HOUR, DAY = 3600, 86_400
LOG_MEAN, LOG_SD = -0.2, 0.4  # the known law of R in the synthetic market


def _reference_forecast(daily_returns: list[float]) -> float:
    """Annualised EWMA(0.94) forecast of the next day, written out as RiskMetrics states it (a plain loop)."""
    var = sum(x * x for x in daily_returns[:30]) / min(len(daily_returns), 30)
    for x in daily_returns:
        var = 0.94 * var + 0.06 * x * x
    return math.sqrt(var * 365)


def _synthetic(n_windows: int, seed: int, jump_every: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Hourly closes whose volatility over each 3-day window is ``forecast × R`` with ``R ~ lognormal`` known, the
    forecast computed (slow reference) from the daily closes before the window; optionally a 10-sd jump in every
    ``jump_every``-th window (continuous volatility unchanged)."""
    rng = np.random.default_rng(seed)
    warm = 60
    hourly: list[float] = list(0.6 / math.sqrt(365 * 24) * rng.standard_normal(warm * 24))
    truth, forecasts = [], []
    for k in range(n_windows):
        daily = np.add.reduceat(np.asarray(hourly), np.arange(0, len(hourly), 24))
        f = _reference_forecast(list(daily[1:]))  # day 0 has no close before it
        r = math.exp(LOG_MEAN + LOG_SD * rng.standard_normal())
        block = f * r / math.sqrt(365 * 24) * rng.standard_normal(72)
        if jump_every and k % jump_every == 0:
            block[30] -= 10.0 * f * r / math.sqrt(365 * 24)  # 10 sds of the window's hour
        hourly += list(block)
        truth.append(r)
        forecasts.append(f)
    index = pd.date_range("2020-01-01", periods=len(hourly), freq="1h", tz="UTC")
    close = 1000.0 * np.exp(np.cumsum(hourly))  # bar t (opened at index[t]) closes after return t
    return pd.DataFrame({"close": close}, index=index), np.asarray(truth), np.asarray(forecasts)


def test_estimator_recovers_a_known_lognormal_law_without_look_ahead() -> None:
    frame, truth, forecasts = _synthetic(400, seed=1)
    w = vol_ratios([frame], warmup=59 * DAY)  # daily returns start on day 1: windows start on day 60 + 3k
    assert len(w) == len(truth)
    np.testing.assert_allclose(w["sigma_forecast"].to_numpy(), forecasts, rtol=1e-9)
    ratio = w["ratio"].to_numpy() / truth
    assert np.median(ratio) == pytest.approx(1.0, abs=0.02)  # bipower over 72 bars: unbiased, ~9 % noise
    logs = np.log(w["ratio"].to_numpy())
    assert logs.mean() == pytest.approx(LOG_MEAN, abs=0.05)
    assert logs.std(ddof=1) == pytest.approx(math.hypot(LOG_SD, 0.09), abs=0.04)  # the law ⊕ bipower noise
    est = estimate_vol_mixture([frame], warmup=59 * DAY)
    assert est.law.ppf(np.array(0.5)) == pytest.approx(math.exp(LOG_MEAN), rel=0.06)


def test_forecast_is_the_calibrators_own_sigma() -> None:
    frame, _, _ = _synthetic(30, seed=2)
    w = vol_ratios([frame], warmup=59 * DAY)
    daily = frame["close"].resample("1D").last().dropna()
    history = pd.DataFrame({"close": daily})
    for start in w.index[::7]:
        # what the calibrator would say at the window's start: the daily closes of the days before it
        sigma, _ = annual_sigma(history[history.index < start], "ewma", 3 * DAY)
        assert w.loc[start, "sigma_forecast"] == pytest.approx(sigma, rel=1e-9)


def test_jumps_stay_out_of_the_bipower_ratio() -> None:
    frame, _, _ = _synthetic(200, seed=3, jump_every=4)
    w = vol_ratios([frame], warmup=59 * DAY)
    k = np.arange(len(w))  # synthetic window k starts at row k
    jumped, calm = w[k % 4 == 0], w[k % 4 != 0]
    lift = lambda x: float(np.median(x["ratio_realized"] / x["ratio"]))  # noqa: E731
    # close-to-close sees the jump (variance 72 + 100 sds² instead of 72: up to × 1.55 in volatility; 1.35 here) ...
    assert lift(jumped) > 1.25 * lift(calm)
    # ... bipower much less (it enters two of 71 products: ≲ 15 % in volatility over a 3-day window)
    assert np.median(jumped["ratio"]) < 1.2 * np.median(calm["ratio"])


def test_quantile_law_samples_and_integrates() -> None:
    law = ETH_VOL_MIXTURE
    u = np.random.default_rng(0).random(400_000)
    assert np.mean(law.ppf(u) ** 2) == pytest.approx(law.mean_square(), rel=0.01)
    assert law.ppf(np.array(0.0)) == law.quantiles[0] and law.ppf(np.array(1.0)) == law.quantiles[-1]
    with pytest.raises(SolvencyInputError):
        VolMixture(probs=(0.0, 0.6, 0.5, 1.0), quantiles=(0.5, 1.0, 1.1, 2.0))
    with pytest.raises(SolvencyInputError):
        VolMixture(probs=(0.0, 1.0), quantiles=(1.0, 0.5))
    with pytest.raises(SolvencyInputError):
        vol_ratios([pd.Series([1.0, 2.0], index=pd.date_range("2020", periods=2, freq="1h", tz="UTC"))], horizon=HOUR)


@pytest.mark.realdata
def test_eth_hourly_estimate_is_the_embedded_default(real_data) -> None:
    hourly = real_data / "hourly"
    segs = [load_prices(hourly / f"binance_ETHUSDT_1h_{p}.csv") for p in ("2017-2021", "2021-2025")]
    est = estimate_vol_mixture(segs)
    assert len(est.windows) == 905
    np.testing.assert_allclose(est.law.quantiles, ETH_VOL_MIXTURE.quantiles, atol=1e-6)
    d = est.to_dict()
    assert d["mean_square_ratio"] == pytest.approx(0.935, abs=0.001)
    assert d["mean_square_ratio_realized"] == pytest.approx(1.104, abs=0.001)
    # the lognormal fit's tail is thinner than the data's: the reason the empirical quantiles are used
    tail = {row["prob"]: row for row in d["tail"]}
    assert tail[0.99]["lognormal"] < 0.9 * tail[0.99]["empirical"]
