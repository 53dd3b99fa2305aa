"""GARCH helpers equal ``arch`` called directly: parameters, conditional variances, forecasts, walk-forward."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError
from solvency.market.garch import (
    GarchParams,
    arch_model_for,
    fit_garch,
    garch_backcast,
    garch_filter,
    garch_forecast,
    horizon_variance,
    walk_forward_garch,
)


@pytest.fixture(scope="module")
def returns() -> np.ndarray:
    return np.diff(np.log(sample_prices("1d")["close"].to_numpy()))[:1200]


def _arch(r: np.ndarray, kind: str, o: int):
    from arch import arch_model

    # Written out independently of arch_model_for: percent returns, constant mean, GARCH(1,o,1), Student t.
    return arch_model(r * 100, mean="Constant", vol="GARCH", p=1, o=o, q=1, dist="t", rescale=False)


@pytest.mark.parametrize(("kind", "o"), [("garch", 0), ("gjr", 1)])
def test_fit_equals_arch(returns: np.ndarray, kind: str, o: int) -> None:
    fit = fit_garch(returns, kind=kind)
    res = _arch(returns, kind, o).fit(disp="off")
    ref = res.params.to_numpy()
    assert fit.converged
    assert fit.params.to_arch() == pytest.approx(ref, rel=1e-9)
    assert fit.params.mu == pytest.approx(ref[0] / 100, rel=1e-9)
    assert fit.params.omega == pytest.approx(ref[1] / 1e4, rel=1e-9)
    assert fit.sigma2 == pytest.approx(res.conditional_volatility**2 / 1e4, rel=1e-10)
    assert fit.std_resid == pytest.approx(res.std_resid, rel=1e-9)
    for h in (1, 5, 30):
        ref_fc = res.forecast(horizon=h, reindex=False).variance.to_numpy()[-1] / 1e4
        assert fit.forecast(h) == pytest.approx(ref_fc, rel=1e-10)
    if kind == "garch":
        assert fit.params.gamma == 0.0


@pytest.mark.parametrize("kind", ["garch", "gjr"])
def test_loglikelihood_is_the_student_t_density(returns: np.ndarray, kind: str) -> None:
    """Independent check of the unscaling: sum of unit-variance Student-t log densities of the returns."""
    fit = fit_garch(returns, kind=kind)
    p = fit.params
    nu = p.nu
    sd = np.sqrt(fit.sigma2)
    k = math.sqrt(nu / (nu - 2))  # a unit-variance t is a standard t divided by k
    ll = np.sum(stats.t.logpdf((returns - p.mu) / sd * k, nu) + np.log(k / sd))
    assert fit.loglikelihood == pytest.approx(ll, rel=1e-10)


def test_backcast_is_archs(returns: np.ndarray) -> None:
    model = arch_model_for(returns, "garch")
    model.fit(disp="off")
    assert garch_backcast(returns) == pytest.approx(model._backcast / 1e4, rel=1e-13)


@pytest.mark.parametrize(("kind", "o"), [("garch", 0), ("gjr", 1)])
def test_filter_equals_arch_fix(returns: np.ndarray, kind: str, o: int) -> None:
    """Fixed parameters on a longer sample: the filter equals arch's fix() variances and its next forecast."""
    params = GarchParams(kind, 5e-4, 1.2e-4, 0.09, 0.04 if kind == "gjr" else 0.0, 0.85, 4.5)  # type: ignore[arg-type]
    fixed = _arch(returns, kind, o).fix(params.to_arch())
    got = garch_filter(returns, params)
    assert got[:-1] == pytest.approx(fixed.conditional_volatility**2 / 1e4, rel=1e-12)
    nxt = fixed.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0] / 1e4
    assert got[-1] == pytest.approx(nxt, rel=1e-12)


def test_filter_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(3)
    r = rng.standard_normal(300) * 0.03
    p = GarchParams("gjr", 1e-3, 2e-5, 0.05, 0.1, 0.88, 6.0)
    bc = 9e-4
    s2 = [p.omega + (p.alpha + p.gamma / 2 + p.beta) * bc]
    for x in r:
        e = x - p.mu
        s2.append(p.omega + (p.alpha + p.gamma * (e < 0)) * e * e + p.beta * s2[-1])
    assert garch_filter(r, p, backcast=bc) == pytest.approx(np.array(s2), rel=1e-12)


def test_forecast_closed_form_and_horizon() -> None:
    p = GarchParams("gjr", 0.0, 1e-5, 0.06, 0.08, 0.86, 5.0)  # φ = 0.96, σ̄² = 2.5e-4
    f = garch_forecast(p, 5e-4, 40)
    assert f[0] == 5e-4
    assert f[10] == pytest.approx(2.5e-4 + 0.96**10 * 2.5e-4, rel=1e-12)
    assert f[-1] < f[0]  # mean-reverts down towards σ̄²: not sqrt-time
    assert horizon_variance(f, 2.5) == pytest.approx(f[0] + f[1] + 0.5 * f[2], rel=1e-12)
    assert horizon_variance(f, 1) == f[0]
    flat = garch_forecast(GarchParams("garch", 0.0, 0.0, 0.06, 0.0, 0.94, 5.0), 4e-4, 5)
    assert flat == pytest.approx([4e-4] * 5)


@pytest.mark.parametrize(("kind", "o"), [("garch", 0), ("gjr", 1)])
def test_walk_forward_equals_arch_refit_and_fix(returns: np.ndarray, kind: str, o: int) -> None:
    """Each block: arch fitted on r[:t_k], then arch's fix(params) one-step forecast on r[:t] for every t."""
    r = returns[:400]
    start, every = 300, 40
    got, info = walk_forward_garch(r, kind=kind, start=start, refit_every=every, warm_start=False)
    assert info == {"fits": 3, "failed_fits": 0}
    ref = []
    for t in range(start, r.size):
        if (t - start) % every == 0:
            params = _arch(r[:t], kind, o).fit(disp="off").params.to_numpy()
        fixed = _arch(r[:t], kind, o).fix(params)
        ref.append(fixed.forecast(horizon=1, reindex=False).variance.to_numpy()[-1, 0] / 1e4)
    # arch recomputes its backcast from r[:t]'s mean at every t; its effect decays as β^t (< 1e-9 here).
    assert got == pytest.approx(np.array(ref), rel=1e-8)


def test_warm_start_reaches_the_same_optimum(returns: np.ndarray) -> None:
    cold, _ = walk_forward_garch(returns[:500], kind="gjr", start=400, refit_every=50, warm_start=False)
    warm, _ = walk_forward_garch(returns[:500], kind="gjr", start=400, refit_every=50, warm_start=True)
    assert warm == pytest.approx(cold, rel=1e-3)


def test_bad_inputs() -> None:
    with pytest.raises(SolvencyInputError, match="at least 100"):
        fit_garch(np.zeros(20))
    with pytest.raises(SolvencyInputError, match="not finite"):
        fit_garch(np.r_[np.zeros(200), np.nan])
    with pytest.raises(SolvencyInputError, match="kind"):
        fit_garch(np.random.default_rng(0).standard_normal(200) * 0.01, kind="egarch")  # type: ignore[arg-type]
    with pytest.raises(SolvencyInputError, match="start"):
        walk_forward_garch(np.zeros(300), start=10)
