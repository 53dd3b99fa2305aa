"""Common-random-number stress paths: reproducible, linear in σ, fat-tailed at the horizon, martingale prices;
with jumps: the estimated law, total variance kept, common random numbers across σ."""

from __future__ import annotations

import hashlib
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from solvency.calibrate.stress_paths import StressPaths
from solvency.errors import SolvencyInputError
from solvency.market.jumps import JumpLaw, JumpRateCurve
from solvency.market.vol_mixture import ETH_VOL_MIXTURE as LAWM
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


# ----------------------------------------------------------------------- level-dependent rate (thinning)

CURVE = JumpRateCurve(coef=13.72, exponent=-1.112, sigma_min=0.2009, sigma_max=2.573)
LEVEL = JumpLaw(intensity=26.44, threshold=5.317, mean_excess=2.651, frequency=3600, rate_curve=CURVE)


def _slow_thinned(sp: StressPaths, sigma: float) -> np.ndarray:
    """Reference: path by path, candidate by candidate, the model of the module docstring written out."""
    dt = sp.step / SECONDS_PER_YEAR
    out = np.empty((sp.n_paths, sp.n_steps + 1))
    levels = sp.levels(sigma)
    for p in range(sp.n_paths):
        s, w = levels[p], sp._w[p]
        lam = float(CURVE(s))
        a = s * math.sqrt(LEVEL.bar_years)
        comp = lam * (1 - math.exp(-a * LEVEL.threshold) / (1 + a * LEVEL.mean_excess))
        jumps = np.zeros(sp.n_steps)
        for c in np.flatnonzero(sp._cand_path == p):
            if sp._cand_u[c] < lam:  # U·λ_max < λ(s)
                jumps[sp._cand_cell[c] % sp.n_steps] += sp._cand_size[c]
        z = sp._walk[p] / (w * math.sqrt(dt))  # the path's cumulated normals
        t = np.arange(sp.n_steps + 1)
        out[p] = s * math.sqrt(dt) * z - 0.5 * s * s * dt * t + comp * dt * t
        out[p, 1:] -= a * np.cumsum(jumps)
    return out


@pytest.mark.parametrize("mixture", [None, "measured"])
def test_thinned_paths_match_a_slow_reference(mixture) -> None:
    mix = LAWM if mixture else None
    sp = StressPaths(300, 24, 3600, mixture=mix, jumps=LEVEL, seed=8)
    assert sp.level
    for sigma in (0.3, 0.9, 2.5):
        np.testing.assert_allclose(sp.log_returns(sigma), _slow_thinned(sp, sigma), rtol=1e-10, atol=1e-12)


def test_thinned_jumps_nest_across_sigma_and_follow_the_level_rate() -> None:
    sp = StressPaths(6000, 72, 3600, mixture=LAWM, jumps=LEVEL, seed=3)
    kept = [sp.kept(s) for s in (0.2, 0.5, 1.0, 2.0)]
    for low, high in itertools.pairwise(kept):
        assert not np.any(high & ~low)  # a jump kept at a higher σ is kept at every lower σ
    assert kept[0].sum() > kept[-1].sum()
    # the kept count of each path is Poisson(λ(level)·horizon): its total against Σ λ(s_p)·T
    years = sp.horizon / SECONDS_PER_YEAR
    for sigma, k in zip((0.2, 1.0), (kept[0], kept[2]), strict=True):
        expected = float(CURVE(sp.levels(sigma)).sum() * years)
        assert abs(k.sum() - expected) < 4 * math.sqrt(expected)
    # same draws as the diffusion-only paths: the walk is untouched by the jump candidates
    plain = StressPaths(6000, 72, 3600, mixture=LAWM, seed=3)
    np.testing.assert_array_equal(plain._walk, sp._walk)


def test_thinned_paths_are_martingales_and_keep_the_total_variance() -> None:
    # Student-t mixture: each path's diffusive level solves s²·(1 + λ(s)·Δ·E[J²]) = (σ·w_p)²
    sp = StressPaths(2000, 12, 3600, tail_df=4.0, jumps=LEVEL, seed=2)
    kappa = LEVEL.bar_years * LEVEL.size_moment(2)
    for sigma in (0.1, 0.8, 3.0):
        s = sp.levels(sigma)
        np.testing.assert_allclose(s * s * (1 + kappa * CURVE(s)), (sigma * sp._w) ** 2, rtol=1e-12)
    assert np.all(np.diff(sp.levels(0.8)[np.argsort(sp._w)]) >= 0)
    assert np.all(sp.levels(0.0) == 0.0) and np.all(sp.log_returns(0.0) == 0.0)
    # measured mixture: the level is σ·R_p, the mixture's draw itself
    mixed = StressPaths(2000, 12, 3600, mixture=LAWM, jumps=LEVEL, seed=2)
    np.testing.assert_array_equal(mixed.levels(0.7), 0.7 * mixed._w)
    # E S_T = S_0: per path, E[exp(jumps + compensator)] = 1 exactly; over 200,000 paths within sampling error
    big = StressPaths(200_000, 6, 3600, tail_df=math.inf, jumps=LEVEL, seed=4)
    growth = np.exp(big.log_returns(1.5)[:, -1])
    assert abs(growth.mean() - 1.0) < 4 * growth.std() / math.sqrt(growth.size)


def test_pooled_and_jumpless_paths_are_bit_for_bit_those_of_the_previous_commit() -> None:
    """sha256 of the log returns computed by commit 60c0f21's code (before the level-dependent rate) with the same
    arguments: jumps none / the pooled ETH law × the measured / Student-t mixture."""
    pooled = JumpLaw(intensity=26.44, threshold=5.317, mean_excess=2.651, frequency=3600)
    expected = {
        (False, True): "c5b6e086549e5ac68a510bb410ce71dbc591006569e2801f32202378559e93da",
        (False, False): "d9145d780f38e1e6adc743d3a1e94fabac0928ff85054e4cb38dba1383ab7256",
        (True, True): "d7b3989ae441e2d3ba0d08ae04dbcb6cfa3a9baaaac8af04866e977e60b899d0",
        (True, False): "06e8972681efdbfef9d4af84c9bbb9f6a4d3540c0d6240f15ee9670804c7c73a",
    }
    for (jumps, mixed), digest in expected.items():
        sp = StressPaths(700, 24, 3600, mixture=LAWM if mixed else None, jumps=pooled if jumps else None, seed=11)
        assert hashlib.sha256(sp.log_returns(0.9).tobytes()).hexdigest() == digest


def test_spec_selects_the_level_or_the_pooled_rate() -> None:
    from solvency.calibrate.setup import jump_info, jump_law
    from solvency.config import JumpSpec, MarketSpec
    from solvency.market.jumps import ETH_HOURLY_JUMPS, ETH_HOURLY_RATE

    spec = MarketSpec()
    assert spec.calibration.jump_rate == "level" and jump_law(spec) is ETH_HOURLY_JUMPS
    assert jump_law(spec).rate_curve is ETH_HOURLY_RATE and jump_info(spec)["rate"]["exponent"] < 0
    spec.calibration.jump_rate = "pooled"
    pooled = jump_law(spec)
    assert pooled.rate_curve is None and pooled.intensity == ETH_HOURLY_JUMPS.intensity
    assert jump_info(spec)["rate"] == "pooled"
    spec.calibration.jump_rate = "level"
    spec.calibration.jumps = JumpSpec(mean_excess=3.0)
    assert jump_law(spec).rate_curve is ETH_HOURLY_RATE and jump_law(spec).mean_excess == 3.0
    spec.calibration.jumps = JumpSpec(intensity=40.0)  # a stated rate is a pooled one
    assert jump_law(spec).rate_curve is None and jump_law(spec).intensity == 40.0
    spec.calibration.jumps = "none"
    assert jump_law(spec) is None
    with pytest.raises(ValueError):
        MarketSpec.model_validate({"calibration": {"jump_rate": "fast"}})
