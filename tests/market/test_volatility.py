"""The volatility() facade: each model against its pieces computed independently; scale invariance."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency import api
from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError
from solvency.market.volatility import VolatilityResult, volatility


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    return sample_prices("1d").iloc[:1200]


@pytest.mark.parametrize("model", ["ewma", "garch", "gjr", "har"])
def test_payload(daily: pd.DataFrame, model: str) -> None:
    v = volatility(daily, model=model, horizon="7d")
    d = v.to_dict()
    assert list(d) == ["model", "sigma_annual", "sigma_horizon", "horizon", "regime", "tail"]
    assert d["horizon"] == "7d" and v.horizon == 7 * 86_400 and d["model"] == model
    assert d["regime"] in ("calm", "normal", "stressed", "crisis")
    assert set(d["tail"]) == {"var99", "es99", "var999", "es999", "xi"}
    t = v.tail
    assert 0 < t.var99 < t.es99 < t.es999 and t.var99 < t.var999 < t.es999
    assert 0.2 < v.sigma_annual < 3.0
    assert v.variance_path.size == 7
    assert model in v.summary()


def test_ewma_by_hand(daily: pd.DataFrame) -> None:
    r = np.diff(np.log(daily["close"].to_numpy()))
    var = np.mean(r[:30] ** 2)
    for x in r:  # RiskMetrics recursion, one step past the last return
        var = 0.94 * var + 0.06 * x * x
    v = volatility(daily, model="ewma", horizon="10d")
    assert v.sigma_annual == pytest.approx(math.sqrt(var * 365), rel=1e-12)
    assert v.sigma_horizon == pytest.approx(math.sqrt(var * 10), rel=1e-12)
    assert volatility(daily["close"], model="ewma").sigma_annual == pytest.approx(v.sigma_annual, rel=1e-12)


@pytest.mark.parametrize(("model", "o"), [("garch", 0), ("gjr", 1)])
def test_garch_horizon_from_arch(daily: pd.DataFrame, model: str, o: int) -> None:
    from arch import arch_model

    r = np.diff(np.log(daily["close"].to_numpy())) * 100
    res = arch_model(r, mean="Constant", vol="GARCH", p=1, o=o, q=1, dist="t", rescale=False).fit(disp="off")
    path = res.forecast(horizon=30, reindex=False).variance.to_numpy()[-1] / 1e4
    v = volatility(daily, model=model, horizon="30d")
    assert v.sigma_annual == pytest.approx(math.sqrt(path[0] * 365), rel=1e-8)
    assert v.sigma_horizon == pytest.approx(math.sqrt(path.sum()), rel=1e-8)
    # Fractional horizon: 36 h on daily bars is one bar and half of the next.
    v36 = volatility(daily, model=model, horizon="36h")
    assert v36.sigma_horizon == pytest.approx(math.sqrt(path[0] + 0.5 * path[1]), rel=1e-8)
    assert v36.to_dict()["horizon"] == "36h"


def test_har_matches_fit(daily: pd.DataFrame) -> None:
    from solvency.market.har import fit_har
    from solvency.market.realized import garman_klass_variance

    o, h, lo, c = (daily[k].to_numpy() for k in ("open", "high", "low", "close"))
    rv = garman_klass_variance(o, h, lo, c)[1:]
    fit = fit_har(rv, lags=(1, 7, 30))
    v = volatility(daily, model="har", horizon="5d")
    assert v.sigma_annual == pytest.approx(math.sqrt(fit.forecast(rv, 1)[0] * 365), rel=1e-12)
    assert v.sigma_horizon == pytest.approx(math.sqrt(fit.forecast(rv, 5).sum()), rel=1e-12)


def test_hourly_bars_annualise_by_bar_length() -> None:
    hourly = sample_prices("1h").loc["2019-01-01":"2019-03-31"]
    v = volatility(hourly, model="ewma", horizon="1d")
    r = np.diff(np.log(hourly["close"].to_numpy()))
    lam = 0.94 ** (1 / 24)
    var = np.mean(r[:30] ** 2)
    for x in r:
        var = lam * var + (1 - lam) * x * x
    assert v.step == 3600
    assert v.sigma_annual == pytest.approx(math.sqrt(var * 8760), rel=1e-12)
    assert v.sigma_horizon == pytest.approx(math.sqrt(var * 24), rel=1e-12)
    assert volatility(hourly, model="gjr", horizon="1d").variance_path.size == 24


def test_short_history_degrades_with_notes() -> None:
    short = sample_prices("1d").iloc[:60]
    v = volatility(short, model="ewma")
    assert v.tail is None and v.to_dict()["tail"]["var99"] is None
    assert any("tail" in n for n in v.notes)
    with pytest.raises(SolvencyInputError, match="at least 100"):
        volatility(short, model="garch")
    with pytest.raises(SolvencyInputError, match="HAR on 1d bars needs at least"):
        volatility(short.iloc[:30], model="har")


def test_errors(daily: pd.DataFrame) -> None:
    with pytest.raises(SolvencyInputError, match="unknown model"):
        volatility(daily, model="svm")
    with pytest.raises(SolvencyInputError, match="time span"):
        volatility(daily, horizon="soon")
    bad = daily.copy()
    bad.iloc[500, bad.columns.get_loc("close")] = -1.0
    with pytest.raises(SolvencyInputError, match="not positive"):
        volatility(bad)
    head, tail = daily.iloc[:300].copy(), daily.iloc[299:400].copy()
    head.attrs, tail.attrs = {}, {}  # pandas cannot concat frames whose attrs hold arrays
    dup = pd.concat([head, tail])
    with pytest.raises(SolvencyInputError, match="increasing time order") as err:
        volatility(dup)
    assert err.value.time == str(daily.index[299])


def test_api_export() -> None:
    assert api.volatility is volatility and api.VolatilityResult is VolatilityResult


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(factor=st.floats(1e-4, 1e4), model=st.sampled_from(["ewma", "garch", "gjr", "har"]))
def test_invariant_to_price_units(daily: pd.DataFrame, factor: float, model: str) -> None:
    """Only log returns and log ranges enter, so price units cancel. EWMA and HAR are closed-form (equal to
    1e-9); GARCH estimates are only determined to the optimiser's tolerance (last-ulp differences in the
    returns move the maximum-likelihood parameters by ~1e-6 relative), hence 1e-4 there."""
    rel = 1e-4 if model in ("garch", "gjr") else 1e-9
    base = volatility(daily.iloc[:700], model=model, horizon="3d")
    scaled = daily.iloc[:700].copy()
    scaled[["open", "high", "low", "close"]] *= factor
    other = volatility(scaled, model=model, horizon="3d")
    assert other.sigma_annual == pytest.approx(base.sigma_annual, rel=rel)
    assert other.sigma_horizon == pytest.approx(base.sigma_horizon, rel=rel)
    assert other.regime == base.regime
    for key, value in base.tail.to_dict().items():
        assert other.tail.to_dict()[key] == pytest.approx(value, rel=10 * rel)
