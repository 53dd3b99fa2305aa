"""Regimes: the documented rules on hand-made indicators; crashes are crises; Markov states ordered by variance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError
from solvency.market.regimes import (
    REGIMES,
    RegimeThresholds,
    classify_regimes,
    current_regime,
    markov_regimes,
    regime_indicators,
)


def closes(values: np.ndarray, start: str = "2024-01-01") -> pd.Series:
    idx = pd.date_range(start, periods=len(values), freq="D", tz="UTC", name="time")
    return pd.Series(values, index=idx, name="close")


def test_indicators_by_hand() -> None:
    rng = np.random.default_rng(0)
    r = rng.standard_normal(200) * 0.02
    p = closes(100 * np.exp(np.cumsum(np.r_[0.0, r])))
    ind = regime_indicators(p)
    r2 = np.r_[np.nan, r**2]
    t = 150
    assert ind["vol_short"].iloc[t] == pytest.approx(np.sqrt(np.mean(r2[t - 6 : t + 1]) * 365))
    assert ind["vol_long"].iloc[t] == pytest.approx(np.sqrt(np.mean(r2[t - 89 : t + 1]) * 365))
    assert ind["drawdown"].iloc[t] == pytest.approx(1 - p.iloc[t] / p.iloc[t - 29 : t + 1].max())


def test_rules() -> None:
    rng = np.random.default_rng(1)
    quiet = rng.standard_normal(120) * 0.01
    p = closes(100 * np.exp(np.cumsum(np.r_[0.0, quiet])))
    assert current_regime(p) in ("calm", "normal")
    # Volatility ×5 for a week: ratio well above 2 → crisis.
    wild = np.r_[quiet, rng.standard_normal(7) * 0.05 * np.array([1, -1] * 3 + [1])]
    assert current_regime(closes(100 * np.exp(np.cumsum(np.r_[0.0, wild])))) == "crisis"
    # A slow 30 % slide without a vol spike: drawdown alone makes it stressed (≥ 25 %, < 40 %).
    slide = np.r_[quiet * 0.5, np.full(25, np.log(0.7) / 25)]
    reg_ind = regime_indicators(closes(100 * np.exp(np.cumsum(np.r_[0.0, slide]))))
    assert reg_ind["drawdown"].iloc[-1] == pytest.approx(0.3, abs=0.02)
    assert (
        current_regime(
            closes(100 * np.exp(np.cumsum(np.r_[0.0, slide]))),
            thresholds=RegimeThresholds(stressed_ratio=99, crisis_ratio=99),
        )
        == "stressed"
    )


def test_implied_vol_raises_the_regime() -> None:
    rng = np.random.default_rng(2)
    p = closes(100 * np.exp(np.cumsum(np.r_[0.0, rng.standard_normal(150) * 0.01])))
    base = current_regime(p)
    realized = regime_indicators(p)["vol_long"].iloc[-1]
    iv = pd.Series([realized * 2.0], index=[p.index[-3]])  # options price twice the realized vol
    assert current_regime(p, iv) == "crisis" and base != "crisis"
    with pytest.raises(SolvencyInputError, match="fraction"):
        regime_indicators(p, pd.Series([55.0], index=[p.index[-1]]))


def test_sample_crashes_are_crises() -> None:
    reg = classify_regimes(sample_prices("1d"))
    assert reg.loc["2020-03-12"] == "crisis"
    assert reg.loc["2021-05-19"] == "crisis"
    share = reg.value_counts(normalize=True)
    assert share["crisis"] < 0.1 and share["normal"] > 0.3
    assert list(reg.cat.categories) == list(REGIMES)


def test_hourly_bars_use_time_windows() -> None:
    hourly = sample_prices("1h").loc["2020-02-01":"2020-03-31"]
    ind = regime_indicators(hourly)
    assert ind["vol_short"].iloc[: 7 * 24 - 1].isna().all() and not np.isnan(ind["vol_short"].iloc[7 * 24])
    assert classify_regimes(hourly).loc["2020-03-13"].eq("crisis").all()


def test_too_short() -> None:
    with pytest.raises(SolvencyInputError, match="too few bars"):
        current_regime(closes(np.linspace(100, 101, 5)))


def test_markov_states_ordered_by_variance() -> None:
    rng = np.random.default_rng(3)
    r = np.r_[rng.standard_normal(400) * 0.01, rng.standard_normal(200) * 0.06, rng.standard_normal(400) * 0.01]
    m = markov_regimes(closes(100 * np.exp(np.cumsum(np.r_[0.0, r]))), k_regimes=2)
    assert m.converged
    assert m.volatility["calm"] == pytest.approx(0.01 * np.sqrt(365), rel=0.15)
    assert m.volatility["stressed"] == pytest.approx(0.06 * np.sqrt(365), rel=0.15)
    assert (m.regime.iloc[450:590] == "stressed").mean() > 0.9
    assert (m.regime.iloc[650:] == "calm").mean() > 0.9
    assert m.current == "calm"
    assert m.transition.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert m.probabilities.sum(axis=1).to_numpy() == pytest.approx(1.0)
