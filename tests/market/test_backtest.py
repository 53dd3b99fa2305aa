"""Walk-forward backtest: losses, the Diebold-Mariano test against statsmodels, and no look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError
from solvency.market.backtest import (
    diebold_mariano,
    mse_loss,
    newey_west_lags,
    qlike_loss,
    variance_proxy,
    vol_backtest,
)


def test_losses() -> None:
    proxy = np.array([1e-4, 4e-4, 2e-4])
    assert qlike_loss(proxy, proxy) == pytest.approx([0, 0, 0], abs=1e-15)
    f = np.array([2e-4, 2e-4, 2e-4])
    x = proxy / f
    assert qlike_loss(proxy, f) == pytest.approx(x - np.log(x) - 1, rel=1e-12)
    assert (qlike_loss(proxy, f) > 0).sum() == 2
    assert mse_loss(proxy, f) == pytest.approx((proxy - f) ** 2)
    # Under-prediction costs more than over-prediction by the same factor (QLIKE's asymmetry).
    assert qlike_loss(np.array([2.0]), np.array([1.0]))[0] > qlike_loss(np.array([1.0]), np.array([2.0]))[0]


@pytest.mark.parametrize("lags", [None, 0, 3])
def test_dm_equals_statsmodels_hac_t_stat(lags: int | None) -> None:
    """DM = t-statistic of the mean loss differential with a Newey-West (Bartlett) HAC variance."""
    rng = np.random.default_rng(4)
    e = rng.standard_normal(800)
    d = 0.1 + e + 0.6 * np.r_[0.0, e[:-1]]  # autocorrelated differential
    a, b = d + 1.0, np.ones_like(d)
    ours = diebold_mariano(a, b, lags=lags)
    maxlags = newey_west_lags(d.size) if lags is None else lags
    res = sm.OLS(d, np.ones_like(d)).fit(cov_type="HAC", cov_kwds={"maxlags": maxlags, "use_correction": False})
    assert ours.stat == pytest.approx(res.tvalues[0], rel=1e-10)
    assert ours.pvalue == pytest.approx(res.pvalues[0], rel=1e-8)
    assert ours.lags == maxlags and ours.mean_diff == pytest.approx(d.mean())


def test_dm_power_and_size() -> None:
    """The true variance beats a noisy one (p ≪ 0.05); two equally good forecasts are not told apart."""
    rng = np.random.default_rng(8)
    n = 2000
    true_var = np.exp(rng.standard_normal(n) * 0.5) * 1e-3
    proxy = true_var * rng.chisquare(1, n)
    noisy = true_var * np.exp(rng.standard_normal(n) * 0.5)
    assert diebold_mariano(qlike_loss(proxy, noisy), qlike_loss(proxy, true_var)).pvalue < 1e-6
    other = true_var * np.exp(rng.standard_normal(n) * 0.5)
    assert diebold_mariano(qlike_loss(proxy, noisy), qlike_loss(proxy, other)).pvalue > 0.01


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return sample_prices("1d").iloc[:900]


@pytest.fixture(scope="module")
def result(sample: pd.DataFrame):
    return vol_backtest(sample, start="2019-09-01", refit_every=50)


def test_backtest_payload(result, sample: pd.DataFrame) -> None:
    d = result.to_dict()
    assert set(d) >= {"n", "models", "best", "improvement_vs_ewma", "dm_pvalue"}
    assert set(d["models"]) == {"ewma", "garch", "gjr", "har"}
    assert d["n"] == len(sample.loc["2019-09-01":]) and result.excluded == 0
    assert result.proxy == "garman_klass"
    q = {k: v["qlike"] for k, v in d["models"].items()}
    assert d["best"] == min(q, key=q.get)
    assert d["improvement_vs_ewma"] == pytest.approx(1 - q[d["best"]] / q["ewma"])
    assert (d["dm_pvalue"] is None) == (d["best"] == "ewma")
    f = result.forecasts
    assert list(f.columns) == ["ewma", "garch", "gjr", "har", "proxy"]
    assert (f[["ewma", "garch", "gjr", "har"]] > 0).all().all()
    assert f.index[0] == pd.Timestamp("2019-09-01", tz="UTC")
    # Scores recomputed by hand from the forecasts.
    assert q["har"] == pytest.approx(float(np.mean(qlike_loss(f["proxy"], f["har"]))), rel=1e-12)
    assert "QLIKE" in result.summary()


def test_no_look_ahead(sample: pd.DataFrame, result) -> None:
    """Rewriting the last 100 bars (a ×3 crash-and-recover) changes no earlier forecast."""
    changed = sample.copy()
    changed.iloc[-100:, :4] = changed.iloc[-100:, :4] * 3.0
    other = vol_backtest(changed, start="2019-09-01", refit_every=50)
    # Forecasts up to and including the one *for* the first changed bar are made before it.
    until = sample.index[-100]
    cols = ["ewma", "garch", "gjr", "har"]
    pd.testing.assert_frame_equal(other.forecasts.loc[:until, cols], result.forecasts.loc[:until, cols], rtol=1e-12)
    assert not np.allclose(other.forecasts[cols].iloc[-1], result.forecasts[cols].iloc[-1])


def test_close_only_falls_back_to_squared_returns(sample: pd.DataFrame) -> None:
    proxy, name = variance_proxy(sample[["close"]])
    assert name == "squared_return"
    assert proxy.iloc[0] == pytest.approx(np.log(sample["close"].iloc[1] / sample["close"].iloc[0]) ** 2)
    res = vol_backtest(sample[["close"]], start="2020-03-01", models=("ewma", "har"))
    assert res.proxy == "squared_return" and set(res.models) == {"ewma", "har"}


def test_zero_proxy_bars_are_counted_not_scored(sample: pd.DataFrame) -> None:
    flat = sample.iloc[:400].copy()
    day = flat.index[350]
    flat.loc[day, ["open", "high", "low", "close"]] = flat["close"].iloc[349]
    res = vol_backtest(flat, start=flat.index[300], models=("ewma",))
    assert res.excluded == 1 and res.n == 100 - 1  # bars 300…399 scored, the flat one left out


def test_errors(sample: pd.DataFrame) -> None:
    with pytest.raises(SolvencyInputError, match="unknown model"):
        vol_backtest(sample, models=("ewma", "lstm"))
    with pytest.raises(SolvencyInputError, match="too little data"):
        vol_backtest(sample.iloc[:200])
    with pytest.raises(SolvencyInputError, match="too little data"):
        vol_backtest(sample, start="2030-01-01")
    with pytest.raises(SolvencyInputError, match="increasing time order"):
        vol_backtest(sample.iloc[::-1])
    with pytest.raises(SolvencyInputError, match="start date"):
        vol_backtest(sample, start="last tuesday")
