"""Common-random-number stress paths: reproducible, linear in σ, fat-tailed at the horizon, martingale prices."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from solvency.calibrate.stress_paths import StressPaths
from solvency.errors import SolvencyInputError
from solvency.units import SECONDS_PER_YEAR


def test_same_seed_same_paths_and_sigma_scales_the_shocks() -> None:
    a, b = StressPaths(300, 12, 3600, seed=3), StressPaths(300, 12, 3600, seed=3)
    assert np.array_equal(a.prices(0.8, 100.0), b.prices(0.8, 100.0))
    assert not np.array_equal(a.prices(0.8, 100.0), StressPaths(300, 12, 3600, seed=4).prices(0.8, 100.0))
    # common random numbers: ln S_t/S_0 + σ²·(w²·dt/2)·t is the same draw times σ at every σ
    compensator = a._drift[:, None] * np.arange(13)  # w²·dt/2·t per unit σ²
    shock = {s: (a.log_returns(s) + s * s * compensator) / s for s in (0.3, 0.8, 2.0)}
    np.testing.assert_allclose(shock[0.3], shock[2.0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(shock[0.8], shock[2.0], rtol=1e-12, atol=1e-15)


def test_horizon_returns_are_student_t_and_prices_martingales() -> None:
    nu, sigma, n_steps, step = 4.0, 0.8, 24, 3600
    sp = StressPaths(40_000, n_steps, step, tail_df=nu, seed=1)
    r = sp.log_returns(sigma)[:, -1]
    horizon_sd = sigma * math.sqrt(n_steps * step / SECONDS_PER_YEAR)
    z = (r + 0.5 * horizon_sd**2) / horizon_sd  # remove the (small) drift
    assert np.std(z) == pytest.approx(1.0, rel=0.05)
    # 1 % quantile of a unit-variance t(4): t.ppf(0.01, 4)·sqrt(2/4)
    assert np.quantile(z, 0.01) == pytest.approx(stats.t.ppf(0.01, nu) * math.sqrt((nu - 2) / nu), rel=0.08)
    prices = sp.prices(sigma, 100.0)[:, -1, 0]
    assert prices.mean() == pytest.approx(100.0, rel=0.005)


def test_gaussian_limit() -> None:
    sp = StressPaths(20_000, 4, 3600, tail_df=math.inf, seed=2)
    r = sp.log_returns(1.0)[:, -1]
    assert stats.kurtosis(r) == pytest.approx(0.0, abs=0.15)


@pytest.mark.parametrize("args", [(0, 10, 60), (10, 0, 60), (10, 10, 0)])
def test_refuses_empty(args: tuple[int, int, int]) -> None:
    with pytest.raises(SolvencyInputError):
        StressPaths(*args)


def test_refuses_infinite_variance_and_bad_sigma() -> None:
    with pytest.raises(SolvencyInputError, match="tail_df"):
        StressPaths(10, 10, 60, tail_df=2.0)
    with pytest.raises(SolvencyInputError):
        StressPaths(10, 10, 60).prices(float("nan"), 1.0)
