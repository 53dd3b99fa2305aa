"""Replays: the oracle tightens step by step as the regime rises, within its guardrails, on real crashes."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solvency.data.loading import load_prices
from solvency.data.sample import sample_crash
from solvency.errors import SolvencyInputError
from solvency.oracle.config import REGIMES, load_oracle_config
from solvency.oracle.replay import ReplayResult, replay
from tests.conftest import ROOT
from tests.oracle._support import check_rows

EXAMPLE = ROOT / "examples" / "oracle.toml"
CONFIG = load_oracle_config(EXAMPLE)
CONFIG_DICT = tomllib.loads(EXAMPLE.read_text())


def assert_tightens_through_the_crash(result: ReplayResult, market: str = "aave-v3-weth", *, steps: int) -> None:
    rows = [{**u} for u in result.updates]
    check_rows(rows, CONFIG_DICT)  # every update within bounds, steps, delays and invariants
    frame = result.timeline_frame(market)
    level = frame["regime"].map(REGIMES.index)
    stressed = level >= REGIMES.index("stressed")
    assert stressed.any(), "the regime never rose"
    start = frame.index[np.argmax(stressed.to_numpy())]
    for name in ("ltv", "liquidation_threshold"):
        path = frame[name]
        assert path.iloc[-1] < path.iloc[0]
        # while the regime stays at stressed or above, the parameter only ever goes down
        both = stressed.to_numpy()[1:] & stressed.to_numpy()[:-1]
        rises = np.diff(path.to_numpy())[both]
        assert (rises <= 1e-12).all(), f"{name} rose during stress"
        downs = [u for u in result.updates if u["market"] == market and u["parameter"] == name and u["new"] < u["old"]]
        assert len(downs) >= steps, f"{name}: only {len(downs)} steps down"
        max_step = CONFIG.markets[market].rules[name].max_step
        assert all(u["old"] - u["new"] <= max_step + 1e-12 for u in downs)
        assert path[path.index >= start].min() <= path.iloc[0] - (steps - 1) * max_step + 1e-9


def test_sample_crash_replay() -> None:
    prices = sample_crash("1h", days_before=3, days_after=2)
    result = replay(prices, CONFIG, asset="ETH")
    assert_tightens_through_the_crash(result, steps=5)
    assert sum(result.rejected_ticks.values()) == 0
    frame = result.timeline_frame("aave-v3-weth")
    assert list(frame.columns[:7]) == ["price", "sigma", "sigma_short", "sigma_long", "drawdown", "regime", "ltv"]
    assert frame.index.tz is not None and len(frame) == len(prices)
    d = result.to_dict()
    assert d["guardrail_clamps"] == sum(d["guardrail_clamps_by_rule"].values()) > 0


def test_bad_rows_are_refused_by_the_feed_guards() -> None:
    prices = sample_crash("1h", days_before=1)
    prices.iloc[10, prices.columns.get_loc("close")] = math.nan
    prices.iloc[20, prices.columns.get_loc("close")] = -1.0
    prices.iloc[30, prices.columns.get_loc("close")] *= 100  # every "source" agrees on it: a jump, confirmed
    result = replay(prices, CONFIG, asset="ETH")
    assert result.rejected_ticks["non_finite"] == 3 and result.rejected_ticks["non_positive"] == 3


def test_replay_needs_an_asset_and_two_bars() -> None:
    prices = sample_crash("1h")
    with pytest.raises(SolvencyInputError, match="several assets"):
        replay(prices, CONFIG)
    with pytest.raises(SolvencyInputError, match="not in the config"):
        replay(prices, CONFIG, asset="DOGE")
    with pytest.raises(SolvencyInputError, match="two bars"):
        replay(prices.iloc[:1], CONFIG, asset="ETH")


def test_implied_vol_input_raises_sigma() -> None:
    prices = sample_crash("1h", days_before=2)
    index = prices.index[:12]
    iv = pd.Series(np.full(len(index), 2.5), index=index)  # 250 % implied vol before the crash
    base = replay(prices, CONFIG, asset="ETH").timeline_frame("aave-v3-weth")
    with_iv = replay(prices, CONFIG, asset="ETH", implied_vol=iv).timeline_frame("aave-v3-weth")
    assert with_iv["sigma"].iloc[5] == pytest.approx(2.5)
    assert with_iv["regime"].iloc[5] == "crisis" and base["regime"].iloc[5] != "crisis"


REAL = [
    ("intraday/coinapi_ETHUSD_10m_2020-03-12.csv", 15),
    ("intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv", 15),
    ("intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv", 8),
]


@pytest.mark.realdata
@pytest.mark.parametrize(("name", "steps"), REAL)
def test_real_crash_replays(real_data: Path, name: str, steps: int) -> None:
    result = replay(load_prices(real_data / name), CONFIG, asset="ETH")
    assert_tightens_through_the_crash(result, steps=steps)
    assert result.summary()["aave-v3-weth"]["max_regime"] == "crisis"
