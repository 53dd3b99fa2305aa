"""Margin walk-forward backtest: real hourly ETH and BTC 2021-2025 at 99 % over one hour."""

from __future__ import annotations

import pytest

from solvency.calibrate.margin_backtest import margin_backtest
from solvency.data.loading import load_prices
from solvency.errors import SolvencyInputError

from ..market.test_fhs import _hourly


@pytest.mark.realdata
@pytest.mark.parametrize("asset", ["ETH", "BTC"])
def test_dynamic_margin_passes_both_tests_on_real_hourly_data(real_data, asset) -> None:
    prices = load_prices(real_data / "hourly" / f"binance_{asset}USDT_1h_2021-2025.csv")
    r = margin_backtest(prices, coverage=0.99, horizon=3600)
    assert r.observations > 33_000
    assert r.kupiec_p > 0.05 and r.christoffersen_p > 0.05 and r.passed
    # the static margin with the same average level is exceeded more often, and in clusters
    assert r.static_margin == pytest.approx(r.mean_margin, rel=0.01)
    assert r.static_exceedances > r.exceedances
    assert r.static_christoffersen_p < 0.05
    d = r.to_dict()
    assert set(d) == {
        "observations",
        "exceedances",
        "expected",
        "exceedance_rate",
        "kupiec_p",
        "christoffersen_p",
        "mean_margin",
        "static",
        "pass",
    }
    assert set(d["static"]) == {"margin", "exceedances", "kupiec_p", "christoffersen_p"}


def test_multi_bar_horizon_uses_non_overlapping_windows() -> None:
    prices = _hourly(6000, seed=1)
    one = margin_backtest(prices, coverage=0.99, horizon=3600)
    four = margin_backtest(prices, coverage=0.99, horizon=4 * 3600)
    assert four.observations == pytest.approx(one.observations / 4, abs=2)
    assert four.mean_margin > 1.5 * one.mean_margin


def test_sub_bar_horizon_cannot_be_backtested() -> None:
    with pytest.raises(SolvencyInputError, match="shorter than the bar"):
        margin_backtest(_hourly(3000), coverage=0.99, horizon=600)
