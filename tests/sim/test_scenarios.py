"""Named scenarios: the registry, and every shipped knot recomputed from the real data files it cites."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solvency.data.loading import load_prices
from solvency.errors import SolvencyInputError
from solvency.sim.paths import FLAT
from solvency.sim.scenarios import SCENARIOS, get_scenario, scenario_names

REQUIRED = [
    "black-thursday-2020",
    "may-2021",
    "luna-2022",
    "steth-depeg-2022",
    "ftx-2022",
    "usdc-depeg-2023",
    "aug-2024",
    "oct-2025",
]


def test_registry_has_the_required_scenarios_with_sources() -> None:
    assert set(REQUIRED) <= set(scenario_names())
    for name in REQUIRED:
        s = get_scenario(name)
        assert s.sources and all(src for src in s.sources)
        assert 0 < s.liquidity <= 1 and s.gas_multiplier >= 1 and s.vol > 0
        facts = s.facts()
        assert 0 < facts["drawdown"] < 1 and facts["horizon_hours"] > 0
    with pytest.raises(SolvencyInputError, match="choose one of"):
        get_scenario("black-monday-1987")


def test_headline_numbers_of_the_design() -> None:
    bt = get_scenario("black-thursday-2020")
    assert bt.shapes["ETH"].log_level(np.array([24 * 3600]))[0] == pytest.approx(math.log(107.82 / 194.61), abs=1e-3)
    assert bt.drawdown == pytest.approx(1 - 86.00 / 194.61, abs=1e-3)  # low 86 on the 13th
    assert bt.oracle_delay == 3600
    oct25 = get_scenario("oct-2025")
    assert oct25.drawdown == pytest.approx(1 - 3435.00 / 4368.09, abs=1e-3)


def test_shapes_for_wrapped_stable_and_other_assets() -> None:
    s = get_scenario("steth-depeg-2022")
    assert s.shape_for("wstETH") is s.shapes["STETH"]
    assert s.shape_for("WETH") is s.shapes["ETH"]
    assert s.shape_for("USDT") is FLAT
    assert s.shape_for("LINK") is s.shapes["ETH"]  # unnamed risky assets follow the primary
    # USDC at 0.8775 after 60 h: ETH priced in USDC is ETH/USD ÷ USDC/USD
    usdc = get_scenario("usdc-depeg-2023")
    model = usdc.model(["WETH"], 1500.0, quote="USDC", step=3600)
    t = np.array([60 * 3600.0])
    eth_usd = usdc.shapes["ETH"].log_level(t)[0]
    assert model.shapes[0].log_level(t)[0] == pytest.approx(eth_usd - math.log(0.8775), abs=1e-9)


# --------------------------------------------------------------------------------------- from the data


def _hourly_eth(root: Path) -> pd.DataFrame:
    frames = [load_prices(root / f"hourly/binance_ETHUSDT_1h_{span}.csv") for span in ("2017-2021", "2021-2025")]
    both = pd.concat(frames)
    return both[~both.index.duplicated()].sort_index()


def knots_from_bars(frame: pd.DataFrame, start: str, hours: int, every: int, bar_hours: int) -> list[tuple]:
    """The method of the scenarios module: closes every ``every`` hours, plus the lowest low at mid-bar."""
    s = pd.Timestamp(start, tz="UTC")
    w = frame.loc[s : s + pd.Timedelta(hours=hours) - pd.Timedelta(seconds=1)]
    p0 = w["open"].iloc[0]
    end = ((w.index - s) / pd.Timedelta(hours=1)).to_numpy() + bar_hours
    knots = {0.0: 1.0}
    for offset, close in zip(end, w["close"], strict=True):
        if offset % every == 0:
            knots[float(offset)] = close / p0
    i = int(np.argmin(w["low"].to_numpy()))
    knots[float(end[i] - bar_hours / 2)] = w["low"].iloc[i] / p0
    return sorted(knots.items())


def knots_from_daily(frame: pd.DataFrame, start: str, days: int) -> list[tuple]:
    s = pd.Timestamp(start, tz="UTC")
    w = frame.loc[s : s + pd.Timedelta(days=days - 1)]
    p0 = w["open"].iloc[0]
    knots = {0.0: 1.0}
    for k, close in enumerate(w["close"]):
        knots[24.0 * (k + 1)] = close / p0
    i = int(np.argmin(w["low"].to_numpy()))
    knots[24.0 * i + 12] = w["low"].iloc[i] / p0
    return sorted(knots.items())


HOURLY = {
    "black-thursday-2020": ("2020-03-12", 48, 3),
    "may-2021": ("2021-05-19", 24, 2),
    "luna-2022": ("2022-05-05", 192, 12),
    "steth-depeg-2022": ("2022-06-10", 216, 12),
    "ftx-2022": ("2022-11-06", 120, 6),
    "usdc-depeg-2023": ("2023-03-09", 120, 6),
    "aug-2024": ("2024-08-02", 96, 6),
}


def assert_shape(shape, knots: list[tuple]) -> None:
    assert list(shape.hours) == pytest.approx([h for h, _ in knots])
    assert list(shape.ratios) == pytest.approx([r for _, r in knots], abs=6e-5)  # 4 decimals shipped


@pytest.mark.realdata
def test_eth_knots_recomputed_from_binance(real_data: Path) -> None:
    hourly = _hourly_eth(real_data)
    for name, (start, hours, every) in HOURLY.items():
        assert_shape(SCENARIOS[name].shapes["ETH"], knots_from_bars(hourly, start, hours, every, 1))
    four = load_prices(real_data / "intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv")
    assert_shape(SCENARIOS["oct-2025"].shapes["ETH"], knots_from_bars(four, "2025-10-10", 48, 4, 4))


@pytest.mark.realdata
def test_other_assets_recomputed_from_yahoo(real_data: Path) -> None:
    daily = real_data / "daily"
    cases = [
        ("usdc-depeg-2023", "USDC", "yahoo_USDC-USD_1d.csv", "2023-03-09", 5),
        ("steth-depeg-2022", "STETH", "yahoo_STETH-USD_1d.csv", "2022-06-10", 9),
        ("luna-2022", "UST", "yahoo_USTC-USD_1d.csv", "2022-05-05", 8),
    ]
    for name, asset, file, start, days in cases:
        assert_shape(SCENARIOS[name].shapes[asset], knots_from_daily(load_prices(daily / file), start, days))


@pytest.mark.realdata
def test_residual_volatility_and_gas_multipliers(real_data: Path) -> None:
    hourly = _hourly_eth(real_data)
    for name, (start, hours, _every) in HOURLY.items():
        shape = SCENARIOS[name].shapes["ETH"]
        s = pd.Timestamp(start, tz="UTC")
        w = hourly.loc[s : s + pd.Timedelta(hours=hours) - pd.Timedelta(seconds=1)]
        t = ((w.index - s) / pd.Timedelta(seconds=1)).to_numpy() + 3600
        resid = np.concatenate([[0.0], np.log(w["close"].to_numpy() / w["open"].iloc[0]) - shape.log_level(t)])
        vol = np.diff(resid).std(ddof=1) * math.sqrt(24 * 365)
        assert SCENARIOS[name].vol == pytest.approx(vol, abs=2e-3), name
    four = load_prices(real_data / "intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv")
    four = four.loc["2025-10-10":"2025-10-11"]
    parkinson = math.sqrt((np.log(four["high"] / four["low"]) ** 2 / (4 * math.log(2))).mean() * 6 * 365)
    assert SCENARIOS["oct-2025"].vol == pytest.approx(parkinson, abs=2e-3)
    for name, day in (("black-thursday-2020", "2020-03-12"), ("may-2021", "2021-05-19")):
        gas = load_prices(real_data / f"intraday/ethereum_gasprice_10m_{day}.csv", column="avgGasDay")["close"]
        ratio = gas.resample("1h").mean().max() / gas.iloc[:18].median()
        assert SCENARIOS[name].gas_multiplier == pytest.approx(ratio, rel=0.01), name


@pytest.mark.realdata
def test_binance_daily_facts(real_data: Path) -> None:
    """The numbers quoted in DESIGN §4.3 and the scenario docstrings, from the Binance daily file."""
    eth = load_prices(real_data / "daily/binance_ETHUSDT_1d.csv")
    bt = eth.loc["2020-03-12"]
    assert (bt["open"], bt["low"], bt["close"]) == (194.61, 101.20, 107.82)
    assert bt["close"] / eth.loc["2020-03-11", "close"] - 1 == pytest.approx(-0.446, abs=1e-3)
    assert eth.loc["2020-03-13", "low"] == 86.00
    oct10 = eth.loc["2025-10-10"]
    assert (oct10["open"], oct10["low"], oct10["close"]) == (4368.09, 3435.00, 3829.72)
