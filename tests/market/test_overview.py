"""market_overview(): every model at every horizon, consistent with volatility() called directly."""

from __future__ import annotations

import pytest

from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError
from solvency.jsonutil import dumps
from solvency.market.overview import market_overview
from solvency.market.volatility import volatility


def test_overview_matches_volatility() -> None:
    prices = sample_prices("1d").iloc[:800]
    ov = market_overview(prices, models=("ewma", "har"), horizons=("1d", "10d"), backtest_bars=None, markov=False)
    d = ov.to_dict()
    assert d["models"]["har"]["sigma_horizon"]["10d"] == pytest.approx(
        volatility(prices, model="har", horizon="10d").sigma_horizon, rel=1e-12
    )
    assert d["bars"] == 800 and d["bar"] == "1d" and d["backtest"] is None and d["markov"] is None
    assert d["regime"] == volatility(prices).regime
    assert d["loss_tails"]["evt"]["es99"] > d["loss_tails"]["normal"]["es99"]
    dumps(d)  # JSON-ready
    with pytest.raises(SolvencyInputError, match="horizon"):
        market_overview(prices, horizons=())
