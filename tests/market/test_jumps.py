"""Jump detection (Lee-Mykland) and the jump law: recovery on simulated jump-diffusions with known parameters,
the test's size on pure diffusions, closed forms against numerical integration, and the ETH estimate.

Reference values come from scipy, independently of the estimator: a downward jump of ``η·E`` sds on top of a
N(0, 1) diffusive return is ``exponnorm(K=η)`` in size, so the share of jumps the test can see is
``exponnorm.sf(u*, η)`` and their mean excess over ``u*`` is ``exponnorm``'s conditional expectation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from solvency.data.loading import load_prices
from solvency.errors import SolvencyInputError
from solvency.market.jumps import (
    ETH_HOURLY_JUMPS,
    ETH_HOURLY_RATE,
    LM_C,
    JumpLaw,
    JumpRateCurve,
    bipower_sd,
    detect_jumps,
    estimate_jump_law,
    estimate_jump_rate,
    fit_rate_curve,
    lm_critical,
    lm_window,
)
from solvency.market.returns import log_returns
from solvency.units import SECONDS_PER_YEAR

HOUR = 3600
BARS_PER_YEAR = 8760


def jump_diffusion(n: int, *, sd: float, rate: float, eta: float, shift: float, seed: int) -> tuple[np.ndarray, int]:
    """Hourly log returns: N(0, sd²) plus downward jumps ``sd·(shift + eta·E)`` at ``rate`` per year."""
    rng = np.random.default_rng(seed)
    r = sd * rng.standard_normal(n)
    hit = rng.random(n) < rate / BARS_PER_YEAR
    r[hit] -= sd * (shift + eta * rng.standard_exponential(int(hit.sum())))
    return r, int(hit.sum())


def test_bipower_sd_matches_a_plain_loop() -> None:
    r = np.random.default_rng(1).standard_normal(60)
    k = 9
    got = bipower_sd(r, k)
    for i in range(r.size):
        if i < k - 1:
            assert math.isnan(got[i])
            continue
        pairs = [abs(r[j]) * abs(r[j - 1]) for j in range(i - k + 2, i)]
        assert len(pairs) == k - 2
        assert got[i] == pytest.approx(math.sqrt(sum(pairs) / (k - 2) * math.pi / 2), rel=1e-12)


def test_window_follows_lee_mykland_rule() -> None:
    assert lm_window(HOUR) == 94  # sqrt(8760)
    assert lm_window(86_400) == 19  # sqrt(365); LM use 16 for 252 trading days


def test_critical_value_is_the_gumbel_quantile() -> None:
    # With the Gumbel limit, P(max|L| > crit) = α for n i.i.d. |Z|/c: check the approximation against the exact
    # law of the maximum of n half-normals, 1 − (1 − 2·Φ(−c·crit))^n, within the known slow convergence.
    for n in (10_000, 70_000):
        crit = lm_critical(n, 0.01)
        exact = 1 - (1 - 2 * stats.norm.sf(LM_C * crit)) ** n
        assert 0.003 < exact < 0.02
    assert lm_critical(70_000, 0.05) < lm_critical(70_000, 0.01)


def test_few_false_detections_on_a_pure_diffusion() -> None:
    # The level is for the whole sample: over 100 diffusions of 5,000 bars, about α of them show any jump.
    rng = np.random.default_rng(5)
    with_any = sum(detect_jumps(0.01 * rng.standard_normal(5_000), step=HOUR).down.any() for _ in range(100))
    assert with_any <= 5


def test_recovers_a_kou_tail_with_known_parameters() -> None:
    # 20 years of hourly bars, 60 downward jumps a year of Exp(mean 4 sds): the test sees those beyond u*.
    rate, eta = 60.0, 4.0
    r, _ = jump_diffusion(20 * BARS_PER_YEAR, sd=0.01, rate=rate, eta=eta, shift=0.0, seed=11)
    est = estimate_jump_law(r, step=HOUR)
    u = est.law.threshold
    seen = rate * stats.exponnorm.sf(u, eta)
    excess = stats.exponnorm.expect(lambda x: x - u, args=(eta,), lb=u, conditional=True)
    assert est.n_down > 200
    assert est.law.intensity == pytest.approx(seen, abs=3 * est.intensity_se)
    assert est.law.mean_excess == pytest.approx(excess, abs=3 * est.mean_excess_se)
    assert est.n_up <= 2  # no upward jumps were simulated


def test_recovers_a_law_in_its_own_form() -> None:
    # Jumps of 8 + Exp(2.5) sds, every one above u* ≈ 5.4: all are seen, mean excess = 8 − u* + 2.5.
    rate = 30.0
    r, n_true = jump_diffusion(15 * BARS_PER_YEAR, sd=0.02, rate=rate, eta=2.5, shift=8.0, seed=3)
    est = estimate_jump_law(r, step=HOUR)
    assert est.n_down == pytest.approx(n_true, rel=0.05)
    assert est.law.intensity == pytest.approx(rate, abs=3 * est.intensity_se)
    assert est.law.mean_excess == pytest.approx(8.0 - est.law.threshold + 2.5, abs=3 * est.mean_excess_se)


def test_segments_are_tested_separately_and_keep_their_times() -> None:
    idx = pd.date_range("2024-01-01", periods=3_000, freq="h", tz="UTC")
    r, _ = jump_diffusion(6_000, sd=0.01, rate=200.0, eta=3.0, shift=6.0, seed=2)
    a, b = pd.Series(r[:3_000], idx), pd.Series(r[3_000:], idx + pd.Timedelta(days=400))
    test = detect_jumps([a, b], step=HOUR)
    assert test.n_tested == 2 * (3_000 - 93)  # each segment loses its own warm-up window
    jumps = test.jumps()
    assert isinstance(jumps.index, pd.DatetimeIndex) and jumps["down"].all()
    assert set(jumps.index) <= set(a.index) | set(b.index)


def test_compensator_and_moments_match_numerical_integration() -> None:
    law = JumpLaw(intensity=26.0, threshold=5.3, mean_excess=2.6, frequency=HOUR)
    for a in (0.0, 0.004, 0.05, 0.8):
        mgf, _ = integrate.quad(lambda x, a=a: math.exp(-a * (5.3 + 2.6 * x) - x), 0, math.inf)
        assert law.compensator(a) == pytest.approx(26.0 * (1 - mgf), rel=1e-9, abs=1e-12)
    m2, _ = integrate.quad(lambda x: (5.3 + 2.6 * x) ** 2 * math.exp(-x), 0, math.inf)
    assert law.size_moment(2) == pytest.approx(m2, rel=1e-9)
    assert law.variance_share == pytest.approx(26.0 * HOUR / (365 * 86_400) * m2, rel=1e-12)
    # total variance σ² = σ_c²·(1 + ψ)
    sc = law.diffusive_sigma(0.7)
    assert sc**2 * (1 + law.variance_share) == pytest.approx(0.49, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"intensity": -1.0, "threshold": 5.0, "mean_excess": 2.0},
        {"intensity": 1.0, "threshold": float("nan"), "mean_excess": 2.0},
        {"intensity": 1.0, "threshold": 5.0, "mean_excess": -2.0},
        {"intensity": 1.0, "threshold": 5.0, "mean_excess": 2.0, "frequency": 0},
    ],
)
def test_law_refuses_bad_parameters(kwargs: dict[str, float]) -> None:
    with pytest.raises(SolvencyInputError):
        JumpLaw(**kwargs)


def test_detection_refuses_bad_returns() -> None:
    with pytest.raises(SolvencyInputError, match="finite"):
        detect_jumps(np.array([0.01, np.nan, 0.0] * 100), step=HOUR)
    with pytest.raises(SolvencyInputError, match="more than"):
        detect_jumps(np.zeros(50) + 0.01, step=HOUR)
    with pytest.raises(SolvencyInputError, match="none"):
        detect_jumps([], step=HOUR)
    with pytest.raises(SolvencyInputError, match="window"):
        detect_jumps(np.ones(100), step=HOUR, window=2)


def test_stale_prices_are_not_tested() -> None:
    # A run of identical closes gives σ̂ = 0: those bars are untested (NaN), never infinite jumps.
    r = 0.01 * np.random.default_rng(4).standard_normal(2_000)
    r[500:700] = 0.0
    r[650] = -0.05
    test = detect_jumps(r, step=HOUR)
    assert math.isnan(test.size[650]) and not test.down[650]
    assert test.n_tested < 2_000 - 93


@pytest.mark.realdata
def test_eth_hourly_estimate_is_the_embedded_default(real_data) -> None:
    hourly = real_data / "hourly"
    segs = [log_returns(load_prices(hourly / f"binance_ETHUSDT_1h_{p}.csv")) for p in ("2017-2021", "2021-2025")]
    est = estimate_jump_law(segs, step=HOUR)
    d = ETH_HOURLY_JUMPS
    assert est.law.intensity == pytest.approx(d.intensity, abs=0.005)
    assert est.law.threshold == pytest.approx(d.threshold, abs=0.0005)
    assert est.law.mean_excess == pytest.approx(d.mean_excess, abs=0.0005)
    assert est.law.frequency == d.frequency
    # Black Thursday's worst hour: ETH −20.9 % (log −0.234) in the bar of 2020-03-12 10:00 UTC, over 15 sds
    bt = est.test.jumps().loc[pd.Timestamp("2020-03-12 10:00", tz="UTC")]
    assert bool(bt["down"]) and bt["size_sd"] < -15
    assert bt["log_return"] == pytest.approx(math.log(1 - 0.209), abs=0.005)
    # BTC on the same hours: the same law within sampling error (the σ-unit law travels between assets)
    btc = estimate_jump_law(
        [log_returns(load_prices(hourly / f"binance_BTCUSDT_1h_{p}.csv")) for p in ("2017-2021", "2021-2025")],
        step=HOUR,
    )
    se = math.hypot(est.intensity_se, btc.intensity_se)
    assert abs(btc.law.intensity - est.law.intensity) < 2.5 * se
    assert abs(btc.law.mean_excess - est.law.mean_excess) < 2.5 * math.hypot(est.mean_excess_se, btc.mean_excess_se)


# ------------------------------------------------------------------------------- rate by volatility level


def test_rate_curve_clips_and_rejects_bad_parameters() -> None:
    c = JumpRateCurve(coef=10.0, exponent=-1.0, sigma_min=0.25, sigma_max=2.0)
    np.testing.assert_allclose(c(np.array([0.1, 0.25, 0.5, 2.0, 8.0])), [40.0, 40.0, 20.0, 5.0, 5.0])
    assert c.max_rate == 40.0
    assert JumpRateCurve(coef=10.0, exponent=0.5, sigma_min=0.25, sigma_max=4.0).max_rate == pytest.approx(20.0)
    for bad in ({"exponent": -2.0}, {"coef": -1.0}, {"sigma_min": 0.0}, {"sigma_min": 3.0}):
        with pytest.raises(SolvencyInputError):
            JumpRateCurve(**{"coef": 10.0, "exponent": -1.0, "sigma_min": 0.25, "sigma_max": 2.0, **bad})
    law = JumpLaw(26.0, 5.0, 2.0, rate_curve=c)
    np.testing.assert_allclose(law.rate(np.array([0.5, 1.0])), [20.0, 10.0])
    np.testing.assert_allclose(JumpLaw(26.0, 5.0, 2.0).rate(np.array([0.5, 1.0])), [26.0, 26.0])
    assert law.to_dict()["rate"]["exponent"] == -1.0 and JumpLaw(26.0, 5.0, 2.0).to_dict()["rate"] == "pooled"


def test_rate_fit_is_the_poisson_maximum_likelihood() -> None:
    """Bars with a known λ(s) = 20·s^−1.2: the fit is the likelihood's maximum found by a general optimiser
    (scipy, Nelder-Mead on the same likelihood) and recovers the truth within its standard errors."""
    rng = np.random.default_rng(7)
    dt = HOUR / SECONDS_PER_YEAR
    s = np.exp(rng.normal(math.log(0.6), 0.5, 400_000))
    y = rng.random(s.size) < 20.0 * s**-1.2 * dt
    fit = fit_rate_curve(s, y, HOUR)

    def nll(p: np.ndarray) -> float:
        eta = p[0] + p[1] * np.log(s)
        return -float(np.sum(y * eta - dt * np.exp(eta)))

    ref = optimize.minimize(nll, [math.log(10.0), -0.5], method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-9})
    assert fit.curve.exponent == pytest.approx(ref.x[1], abs=1e-4)
    assert math.log(fit.curve.coef) == pytest.approx(ref.x[0], abs=1e-4)
    assert abs(fit.curve.exponent + 1.2) < 3 * fit.exponent_se
    assert abs(fit.curve.coef - 20.0) < 3 * fit.coef_se
    assert fit.curve.sigma_min == pytest.approx(np.quantile(s, 0.01))
    assert fit.p_value > 0.001 and fit.dof == 8 and len(fit.bins) == 10
    assert fit.bins["n_jumps"].sum() == y.sum() and fit.pooled == pytest.approx(y.sum() / (s.size * dt))
    # a flat rate gives a flat fit
    flat = fit_rate_curve(s, rng.random(s.size) < 30.0 * dt, HOUR)
    assert abs(flat.curve.exponent) < 3 * flat.exponent_se


def test_rate_by_level_recovered_from_a_simulated_jump_diffusion() -> None:
    """End to end through the Lee-Mykland test: volatility regimes of 500 hours at levels 0.2–2.5, jumps of
    7 + Exp(3) local sds (all far above the critical value) at λ(σ) = 15·σ^−1 a year."""
    rng = np.random.default_rng(11)
    n_regimes, length = 240, 500
    level = np.exp(rng.uniform(math.log(0.2), math.log(2.5), n_regimes))
    sigma = np.repeat(level, length)
    sd = sigma * math.sqrt(HOUR / SECONDS_PER_YEAR)
    r = sd * rng.standard_normal(sigma.size)
    hit = rng.random(sigma.size) < 15.0 / sigma * HOUR / SECONDS_PER_YEAR
    r[hit] -= sd[hit] * (7.0 + 3.0 * rng.standard_exponential(int(hit.sum())))
    test = detect_jumps(r, step=HOUR)
    fit = estimate_jump_rate(test, HOUR)
    assert abs(fit.curve.exponent + 1.0) < 3 * fit.exponent_se
    assert abs(fit.curve.coef - 15.0) < 3 * fit.coef_se + 0.1 * 15.0  # + the bipower window's lag at regime shifts


def test_rate_fit_rejects_too_few_jumps() -> None:
    with pytest.raises(SolvencyInputError, match="jumps"):
        fit_rate_curve(np.full(1000, 0.5), np.zeros(1000, bool), HOUR)
    with pytest.raises(SolvencyInputError, match="> 0"):
        fit_rate_curve(np.zeros(1000), np.ones(1000, bool), HOUR)


@pytest.mark.realdata
def test_eth_hourly_rate_by_level_is_the_embedded_default(real_data) -> None:
    hourly = real_data / "hourly"
    segs = [log_returns(load_prices(hourly / f"binance_ETHUSDT_1h_{p}.csv")) for p in ("2017-2021", "2021-2025")]
    fit = estimate_jump_rate(estimate_jump_law(segs, step=HOUR).test, HOUR)
    c = ETH_HOURLY_RATE
    assert ETH_HOURLY_JUMPS.rate_curve is c
    assert fit.curve.coef == pytest.approx(c.coef, abs=0.005)
    assert fit.curve.exponent == pytest.approx(c.exponent, abs=0.0005)
    assert fit.curve.sigma_min == pytest.approx(c.sigma_min, abs=0.00005)
    assert fit.curve.sigma_max == pytest.approx(c.sigma_max, abs=0.0005)
    assert fit.p_value > 0.5  # the power law describes the deciles (χ² 5.2 on 8)
    obs = fit.bins["observed_per_year"].to_numpy()
    assert obs[0] > 2.5 * obs[-1]  # the calmest tenth has far more jumps than the most volatile
