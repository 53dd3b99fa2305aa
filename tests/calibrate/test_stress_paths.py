"""Common-random-number stress paths: reproducible, linear in σ, fat-tailed at the horizon, martingale prices;
with jumps: the estimated law, total variance kept, common random numbers across σ."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from solvency.calibrate.stress_paths import StressPaths
from solvency.errors import SolvencyInputError
from solvency.market.jumps import JumpLaw
from solvency.sim.montecarlo import PATH_BLOCK
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


# ------------------------------------------------------------------------------------------------- jumps

LAW = JumpLaw(intensity=26.44, threshold=5.317, mean_excess=2.651, frequency=3600)


def test_jumps_leave_the_diffusion_draws_alone_and_none_is_the_old_model() -> None:
    plain, jumpy = StressPaths(700, 24, 3600, seed=9), StressPaths(700, 24, 3600, jumps=LAW, seed=9)
    np.testing.assert_array_equal(plain._walk, jumpy._walk)  # jumps are drawn after the normals of each block
    zero = StressPaths(700, 24, 3600, jumps=JumpLaw(0.0, 5.0, 2.0), seed=9)
    np.testing.assert_array_equal(plain.prices(0.6, 10.0), zero.prices(0.6, 10.0))
    again = StressPaths(700, 24, 3600, jumps=LAW, seed=9)
    np.testing.assert_array_equal(jumpy.prices(0.6, 10.0), again.prices(0.6, 10.0))
    # a path depends on its seed and block only: the first block is the same in a larger run
    big = StressPaths(PATH_BLOCK + 50, 24, 3600, jumps=LAW, seed=9)
    n = min(PATH_BLOCK, 700)
    np.testing.assert_array_equal(big.prices(0.6, 10.0)[:n], jumpy.prices(0.6, 10.0)[:n])


def test_jumps_are_common_random_numbers_scaled_by_sigma() -> None:
    sp = StressPaths(400, 24, 3600, jumps=LAW, seed=5)
    dt = 3600 / SECONDS_PER_YEAR
    t = np.arange(25)

    def shocks(sigma: float) -> np.ndarray:  # ln S_t/S_0 without its deterministic drift, per unit σ_c
        sc = sp.diffusive_sigma(sigma)
        a = LAW.scale(sc) * sp._w
        drift = -(sc * sc) * sp._drift[:, None] * t + (LAW.compensator(a) * dt)[:, None] * t
        return (sp.log_returns(sigma) - drift) / sc

    np.testing.assert_allclose(shocks(0.3), shocks(2.0), rtol=1e-10, atol=1e-12)
    assert sp.diffusive_sigma(0.8) == pytest.approx(0.8 / math.sqrt(1 + LAW.variance_share))


def test_jump_paths_keep_total_variance_martingale_and_the_law() -> None:
    # Gaussian mixture off (tail_df = inf) to see the jump part clearly.
    n, steps, sigma = 40_000, 72, 1.0
    sp = StressPaths(n, steps, 3600, tail_df=math.inf, jumps=LAW, seed=3)
    lr = sp.log_returns(sigma)
    horizon = steps * 3600 / SECONDS_PER_YEAR
    assert np.var(lr[:, -1]) == pytest.approx(sigma**2 * horizon, rel=0.05)  # σ is the total volatility
    assert np.exp(lr[:, -1]).mean() == pytest.approx(1.0, abs=0.003)  # E S_T = S_0
    # jump counts per path: Poisson(λ·T); sizes beyond the threshold: Exp(θ) in diffusive sds of an hour
    inc = np.diff(sp._jump_sum, axis=1)
    lam_t = LAW.intensity * horizon  # two jumps in one hour are rare (λ·dt = 0.003): a step with a jump has one
    assert (inc > 0).sum() / n == pytest.approx(lam_t, rel=0.05)
    assert np.mean(inc[inc > 0] - LAW.threshold) == pytest.approx(LAW.mean_excess, rel=0.05)
    # the worst hour: a jump path's worst 1-hour fall beats the diffusion's far more often than by chance
    plain = StressPaths(n, steps, 3600, tail_df=math.inf, seed=3).log_returns(sigma)
    worst, worst_plain = np.diff(lr, axis=1).min(axis=1), np.diff(plain, axis=1).min(axis=1)
    hourly = sp.diffusive_sigma(sigma) * math.sqrt(3600 / SECONDS_PER_YEAR)
    assert np.mean(worst < -LAW.threshold * hourly) > 0.8 * (1 - math.exp(-lam_t))  # a jump, less the noise
    assert np.mean(worst_plain < -LAW.threshold * hourly) < 1e-3


def test_estimated_mixture_is_stratified_deterministic_and_keeps_the_diffusion() -> None:
    """Stratified multipliers: one path in each 1/n of probability, every seed the same tail up to a stratum;
    the diffusion and jumps are the Student-t paths' draws without the χ²; σ·R is the path's diffusive σ."""
    from solvency.market.vol_mixture import ETH_VOL_MIXTURE as LAWM

    n = 2_000
    a = StressPaths(n, 6, 3600, mixture=LAWM, jumps=LAW, seed=5)
    assert np.array_equal(a.log_returns(0.7), StressPaths(n, 6, 3600, mixture=LAWM, jumps=LAW, seed=5).log_returns(0.7))
    scale = math.sqrt(1.0 + LAW.variance_share)  # w = R·σ/σ_c
    r = np.sort(a._w / scale)
    # the sorted multipliers sit in consecutive strata: R_(i) between F⁻¹(i/n) and F⁻¹((i+1)/n)
    i = np.arange(n)
    assert np.all(r >= LAWM.ppf(i / n) - 1e-12) and np.all(r <= LAWM.ppf((i + 1) / n) + 1e-12)
    b = StressPaths(n, 6, 3600, mixture=LAWM, jumps=LAW, seed=6)
    assert not np.array_equal(a._w, b._w)
    assert np.abs(np.sort(b._w) - np.sort(a._w)).max() <= scale * np.diff(LAWM.ppf(np.linspace(0, 1, n + 1))).max()
    assert np.mean(r**2) == pytest.approx(LAWM.mean_square(), rel=0.002)  # stratified: far tighter than 1/sqrt(n)
    # the diffusion: the same normals as the Student-t paths, which draw a χ² first in each block
    t = StressPaths(n, 6, 3600, tail_df=4.0, seed=5)
    z_t = np.diff(t._walk, axis=1) / t._w[:, None]
    z_m = np.diff(a._walk, axis=1) / a._w[:, None]
    assert not np.allclose(z_t[:PATH_BLOCK], z_m[:PATH_BLOCK])  # the χ² shifts the block stream ...
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5).spawn(-(-n // PATH_BLOCK))[0]))
    np.testing.assert_allclose(
        z_m[:PATH_BLOCK], rng.standard_normal((PATH_BLOCK, 6)) * math.sqrt(3600 / SECONDS_PER_YEAR)
    )
    # ... and the path's diffusive volatility is σ·R
    np.testing.assert_allclose(a.diffusive_sigma(0.7) * a._w, 0.7 * (a._w / scale), rtol=1e-12)
