"""FHS tail moves: no look-ahead, seasonality, coverage on simulated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solvency.errors import SolvencyInputError
from solvency.market.fhs import FHSModel, fhs_tail_moves, seasonal_factors


def _hourly(n: int, seed: int = 0, season: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2022-01-01", periods=n + 1, freq="1h", tz="UTC")
    hour_vol = 1.0 + (0.8 * np.sin(np.arange(24) / 24 * 2 * np.pi) if season else 0.0)
    var = np.empty(n)
    r = np.empty(n)
    v = 1e-5
    for t in range(n):  # GARCH(1,1)-t hourly, as crypto hours behave
        v = 2e-7 + 0.08 * (r[t - 1] ** 2 if t else 0) + 0.9 * v
        var[t] = v
        r[t] = np.sqrt(v) * rng.standard_t(5) * np.sqrt(3 / 5) * hour_vol[idx[t + 1].hour]
    close = 1000 * np.exp(np.concatenate([[0], np.cumsum(r)]))
    return pd.DataFrame({"close": close}, index=idx)


def test_no_look_ahead() -> None:
    """Margins set up to bar t do not change when everything after t is replaced."""
    prices = _hourly(4000)
    full = fhs_tail_moves(prices, coverage=0.99, horizon=3 * 3600, model=FHSModel(warmup=500))
    cut = 3000
    other = prices.copy()
    other.iloc[cut + 1 :, 0] = other.iloc[cut + 1 :, 0].to_numpy()[::-1] * 3.0
    changed = fhs_tail_moves(other, coverage=0.99, horizon=3 * 3600, model=FHSModel(warmup=500))
    a = full["margin_log"].iloc[: cut - 1].to_numpy()
    b = changed["margin_log"].iloc[: cut - 1].to_numpy()
    assert np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=0)
    assert not np.allclose(full["margin_log"].iloc[-200:], changed["margin_log"].iloc[-200:])


def test_seasonal_factors_use_only_the_past() -> None:
    x = np.ones(48)
    slot = np.arange(48) % 24
    x[slot == 5] = 3.0
    per_bar, tables = seasonal_factors(x, slot, slots=24, refresh=24)
    assert np.all(per_bar[:24] == 1.0)  # not enough history yet
    x2 = x.copy()
    x2[30:] = 100.0
    assert np.array_equal(seasonal_factors(x2, slot, slots=24, refresh=24)[0][:24], per_bar[:24])
    assert tables.shape == (48, 24)


def test_coverage_on_simulated_garch() -> None:
    prices = _hourly(20_000, seed=3)
    fr = fhs_tail_moves(prices, coverage=0.99, horizon=3600, model=FHSModel(warmup=1000)).dropna()
    rate = float((fr["move"].abs() > fr["margin_log"]).mean())
    assert 0.007 < rate < 0.013


def test_too_short_history() -> None:
    with pytest.raises(SolvencyInputError, match="need more than"):
        fhs_tail_moves(_hourly(200), coverage=0.99, horizon=3600)
