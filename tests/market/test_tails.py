"""EVT tails: the McNeil-Frey formulas against closed forms, and estimates against true quantiles."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from solvency.errors import SolvencyInputError
from solvency.market.tails import GpdTail, fit_gpd_tail, historical_var_es, normal_var_es, tail_risk


@pytest.mark.parametrize("xi", [0.3, 0.0, -0.2])
def test_formulas_equal_the_mixture_quantile_and_integrated_es(xi: float) -> None:
    """A tail P(L > x) = p_u · GPD_sf(x − u): VaR from scipy's isf, ES by integrating VaR over (q, 1)."""
    tail = GpdTail(xi=xi, beta=0.02, threshold=0.05, n_exceed=50, n=1000)
    p_u = 0.05
    for q in (0.99, 0.999):
        var = 0.05 + stats.genpareto.isf((1 - q) / p_u, xi, scale=0.02)
        assert tail.var(q) == pytest.approx(var, rel=1e-10)
        es = integrate.quad(lambda a: 0.05 + stats.genpareto.isf((1 - a) / p_u, xi, scale=0.02), q, 1)[0] / (1 - q)
        assert tail.es(q) == pytest.approx(es, rel=1e-7)


def test_infinite_mean_tail() -> None:
    assert GpdTail(1.2, 0.01, 0.03, 50, 1000).es(0.99) == math.inf


def test_normal_closed_form() -> None:
    x = np.random.default_rng(1).normal(0.001, 0.04, 5000)
    mu, sd = x.mean(), x.std(ddof=1)
    var, es = normal_var_es(x, 0.99)
    assert var == pytest.approx(stats.norm.ppf(0.99, mu, sd), rel=1e-12)
    # ES as the conditional mean of the normal beyond VaR, by numerical integration.
    es_num = integrate.quad(lambda v: v * stats.norm.pdf(v, mu, sd), var, np.inf)[0] / 0.01
    assert es == pytest.approx(es_num, rel=1e-8)


def test_historical_on_a_known_sample() -> None:
    x = np.arange(1.0, 1001.0)  # quantile 0.99 with linear interpolation: 990.01
    var, es = historical_var_es(x, 0.99)
    assert var == pytest.approx(990.01)
    assert es == pytest.approx(np.mean(np.arange(991.0, 1001.0)))


@pytest.mark.parametrize("nu", [3.0, 5.0])
def test_student_t_true_quantiles(nu: float) -> None:
    """On Student-t losses (ξ = 1/ν) EVT recovers the true VaR/ES closely; the normal understates them."""
    x = stats.t.rvs(nu, size=100_000, random_state=np.random.default_rng(int(nu)))
    t = tail_risk(x)
    assert t.xi == pytest.approx(1 / nu, abs=0.08)
    for q, var, es in ((0.99, t.var99, t.es99), (0.999, t.var999, t.es999)):
        q_true = stats.t.ppf(q, nu)
        es_true = stats.t.pdf(q_true, nu) / (1 - q) * (nu + q_true**2) / (nu - 1)
        assert var == pytest.approx(q_true, rel=0.05)
        assert es == pytest.approx(es_true, rel=0.08)
    assert t.es99 > t.normal["es99"]
    assert t.var999 > t.normal["var999"]


def test_pareto_losses() -> None:
    """Exact Pareto losses (tail index 2.5): P(L > x) = x^-2.5, so VaR_q = (1-q)^(-1/2.5)."""
    alpha = 2.5
    x = stats.pareto.rvs(alpha, size=50_000, random_state=np.random.default_rng(3))
    fit = fit_gpd_tail(x)
    assert fit.xi == pytest.approx(1 / alpha, abs=0.06)
    assert fit.var(0.999) == pytest.approx(0.001 ** (-1 / alpha), rel=0.06)
    es_true = alpha / (alpha - 1) * 0.001 ** (-1 / alpha)
    assert fit.es(0.999) == pytest.approx(es_true, rel=0.1)


def test_scale_and_dict() -> None:
    x = np.random.default_rng(2).standard_t(4, 5000)
    one, two = tail_risk(x), tail_risk(x, scale=2.0)
    assert two.var99 == pytest.approx(2 * one.var99) and two.xi == one.xi
    assert set(one.to_dict()) == {"var99", "es99", "var999", "es999", "xi"}


def test_errors() -> None:
    with pytest.raises(SolvencyInputError, match="exceed"):
        fit_gpd_tail(np.random.default_rng(0).standard_normal(100))
    with pytest.raises(SolvencyInputError, match="not finite"):
        tail_risk(np.r_[np.ones(1000), np.nan])
    with pytest.raises(SolvencyInputError, match="below the POT threshold"):
        GpdTail(0.2, 1.0, 1.0, 50, 1000).var(0.9)
