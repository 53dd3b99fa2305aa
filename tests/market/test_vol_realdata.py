"""Real data (Binance daily, hourly; Deribit DVOL): the forecasting target, fat tails, regimes on known crashes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from solvency.data.loading import load_prices
from solvency.market.backtest import vol_backtest
from solvency.market.garch import fit_garch
from solvency.market.regimes import classify_regimes
from solvency.market.returns import log_returns
from solvency.market.tails import tail_risk
from solvency.market.volatility import volatility

pytestmark = pytest.mark.realdata


def daily(real_data: Path, sym: str):
    return load_prices(real_data / "daily" / f"binance_{sym}USDT_1d.csv")


@pytest.fixture(scope="module")
def backtests(real_data: Path) -> dict:
    return {sym: vol_backtest(daily(real_data, sym), start="2019-01-01") for sym in ("ETH", "BTC", "SOL")}


@pytest.mark.slow
def test_best_model_beats_ewma_on_two_of_three(backtests: dict) -> None:
    """Walk-forward from 2019: best ≥ 5 % better QLIKE than EWMA with Diebold-Mariano p < 0.05 on ≥ 2 of 3."""
    met = {
        sym: bt.improvement_vs_ewma >= 0.05 and bt.dm_pvalue is not None and bt.dm_pvalue < 0.05
        for sym, bt in backtests.items()
    }
    assert sum(met.values()) >= 2, {s: bt.summary() for s, bt in backtests.items()}
    for bt in backtests.values():
        assert bt.proxy == "garman_klass" and bt.excluded == 0
        assert bt.start.strftime("%Y-%m-%d") >= "2019-01-01"
        assert bt.best == "har"  # the range information is what beats EWMA
        assert bt.fit_info["garch"]["failed_fits"] == 0


def test_eth_fat_tails(real_data: Path) -> None:
    """EVT ES99 of ETH daily losses exceeds the normal ES99 (and is close to the historical one)."""
    losses = -log_returns(daily(real_data, "ETH")).to_numpy()
    t = tail_risk(losses)
    assert t.xi > 0.1  # a power-law tail
    assert t.es99 > 1.3 * t.normal["es99"]
    assert t.es99 == pytest.approx(t.historical["es99"], rel=0.15)
    assert t.var999 > t.normal["var999"]


def test_black_thursday_is_a_crisis(real_data: Path) -> None:
    reg = classify_regimes(daily(real_data, "ETH"))
    assert (reg.loc["2020-03-12":"2020-03-20"] == "crisis").all()
    assert reg.loc["2025-10-10":"2025-10-14"].isin(["stressed", "crisis"]).all()


def test_garch_on_eth_equals_arch(real_data: Path) -> None:
    from arch import arch_model

    r = log_returns(daily(real_data, "ETH")).to_numpy()
    fit = fit_garch(r, kind="gjr")
    res = arch_model(r * 100, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="t", rescale=False).fit(disp="off")
    assert fit.params.to_arch() == pytest.approx(res.params.to_numpy(), rel=1e-9)
    assert fit.forecast(10) == pytest.approx(res.forecast(horizon=10, reindex=False).variance.to_numpy()[-1] / 1e4)


def test_hourly_file_and_dvol(real_data: Path) -> None:
    hourly = load_prices(real_data / "hourly" / "binance_ETHUSDT_1h_2021-2025.csv")
    v = volatility(hourly, model="har", horizon="1d")
    assert v.step == 3600 and 0.2 < v.sigma_annual < 2.0
    assert v.regime in ("calm", "normal", "stressed", "crisis") and v.tail is not None
    btc = daily(real_data, "BTC")
    dvol = load_prices(real_data / "options" / "deribit_DVOL-BTC_1d.csv")["close"] / 100
    with_iv = volatility(btc, model="ewma", horizon="1d", implied_vol=dvol)
    assert with_iv.regime in ("calm", "normal", "stressed", "crisis")
    assert np.isfinite(with_iv.sigma_annual)
