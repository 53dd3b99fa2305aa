"""HAR-RV: OLS equals statsmodels; iterated forecasts equal a direct recursion and a Monte Carlo check."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from solvency.errors import SolvencyInputError
from solvency.market.har import DAILY_LAGS, fit_har, har_design, har_forecast, har_lags, walk_forward_har


def simulated_rv(n: int = 1500, seed: int = 11) -> np.ndarray:
    """A log-HAR process with known coefficients (Corsi-like persistence) and Gaussian errors."""
    rng = np.random.default_rng(seed)
    c, bd, bw, bm, s = -0.9, 0.35, 0.35, 0.2, 0.6
    x = list(np.full(30, c / (1 - bd - bw - bm)))
    for _ in range(n):
        x.append(c + bd * x[-1] + bw * np.mean(x[-7:]) + bm * np.mean(x[-30:]) + s * rng.standard_normal())
    return np.exp(np.array(x[30:]))


def test_design_is_trailing_means() -> None:
    x = np.arange(1.0, 41.0)
    d = har_design(x, (1, 7, 30))
    assert np.isnan(d[28, 3]) and not np.isnan(d[29, 3])
    assert d[35].tolist() == [1.0, 36.0, np.mean(x[29:36]), np.mean(x[6:36])]


@pytest.mark.parametrize("log", [True, False])
def test_ols_equals_statsmodels(log: bool) -> None:
    rv = simulated_rv()
    fit = fit_har(rv, log=log)
    y = np.log(rv) if log else rv
    # statsmodels, with the regressors built here by plain loops (independent of har_design).
    rows = [[y[t], np.mean(y[t - 6 : t + 1]), np.mean(y[t - 29 : t + 1])] for t in range(29, y.size - 1)]
    res = sm.OLS(y[30:], sm.add_constant(np.array(rows))).fit()
    assert fit.coef == pytest.approx(res.params, rel=1e-9)
    assert fit.resid_var == pytest.approx(res.scale, rel=1e-9)
    assert fit.nobs == res.nobs
    if log:  # the simulated slopes and long-run mean (c / (1 - Σb) = -9) are recovered
        assert fit.coef[1:] == pytest.approx([0.35, 0.35, 0.2], abs=0.15)
        assert fit.coef[0] / (1 - fit.coef[1:].sum()) == pytest.approx(-9.0, abs=0.3)


def test_forecast_iterates_the_regression() -> None:
    rv = simulated_rv()
    fit = fit_har(rv, log=False)
    hist = list(rv)
    expected = []
    for _ in range(5):
        c, bd, bw, bm = fit.coef
        nxt = c + bd * hist[-1] + bw * np.mean(hist[-7:]) + bm * np.mean(hist[-30:])
        expected.append(nxt)
        hist.append(nxt)
    assert har_forecast(fit, rv, 5) == pytest.approx(expected, rel=1e-12)


def test_log_forecast_mean_matches_monte_carlo() -> None:
    """E[RV_{t+h}] = exp(m_h + ½ v_h) with ψ-weight variances, against simulation of the fitted model."""
    rv = simulated_rv()
    fit = fit_har(rv)
    steps, paths = 10, 40_000
    rng = np.random.default_rng(5)
    x = np.tile(np.log(rv[-30:]), (paths, 1))
    c, bd, bw, bm = fit.coef
    sims = []
    for _ in range(steps):
        nxt = c + bd * x[:, -1] + bw * x[:, -7:].mean(1) + bm * x[:, -30:].mean(1)
        nxt = nxt + np.sqrt(fit.resid_var) * rng.standard_normal(paths)
        x = np.column_stack([x[:, 1:], nxt])
        sims.append(np.exp(nxt).mean())
    assert har_forecast(fit, rv, steps) == pytest.approx(sims, rel=0.03)
    one = har_forecast(fit, rv, 1)[0]
    m1 = c + bd * np.log(rv[-1]) + bw * np.log(rv[-7:]).mean() + bm * np.log(rv[-30:]).mean()
    assert one == pytest.approx(np.exp(m1 + 0.5 * fit.resid_var), rel=1e-12)


def test_walk_forward_uses_only_the_past() -> None:
    rv = simulated_rv(600)
    got = walk_forward_har(rv, start=400)
    for t in (400, 457, 599):
        assert got[t - 400] == pytest.approx(har_forecast(fit_har(rv[:t]), rv[:t], 1)[0], rel=1e-12)
    changed = rv.copy()
    changed[500:] *= 10  # the future must not move earlier forecasts
    assert walk_forward_har(changed, start=400)[:100] == pytest.approx(got[:100], rel=1e-12)
    assert (got > 0).all()


def test_zero_range_bars_are_floored_and_counted() -> None:
    rv = simulated_rv(400)
    rv[[50, 90]] = 0.0
    fit = fit_har(rv)
    assert fit.floored == 2
    assert fit.floor == pytest.approx(1e-3 * np.median(rv[rv > 0]))


def test_lags_and_errors() -> None:
    assert har_lags(86_400) == DAILY_LAGS
    assert har_lags(600) == (1, 144, 1008, 4320)
    with pytest.raises(SolvencyInputError, match="at least"):
        fit_har(np.ones(20))
    with pytest.raises(SolvencyInputError, match="non-negative"):
        fit_har(np.r_[np.ones(100), -1.0])
    with pytest.raises(SolvencyInputError, match="zero on every bar"):
        fit_har(np.zeros(100))
