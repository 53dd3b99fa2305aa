"""The oracle's parameter path in the stress engine: timing (no look-ahead), the static baseline, and the real
replays of the issue (Black Thursday at 10 minutes and 1 hour, 10 Oct 2025 at 4 hours)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solvency.config import MarketSpec
from solvency.data.loading import load_prices
from solvency.data.sample import sample_crash
from solvency.errors import SolvencyInputError
from solvency.oracle.config import load_oracle_config
from solvency.oracle.replay import replay
from solvency.oracle.stress import oracle_schedule, point_times, stress_replay
from solvency.sim.paths import Replay
from solvency.sim.stress import simulate_lending, with_conditions
from tests.conftest import ROOT

CONFIG = load_oracle_config(ROOT / "examples" / "oracle.toml")
MARKET = "aave-v3-weth"
RULES = CONFIG.markets[MARKET].rules


def utc(*hhmm: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([pd.Timestamp(f"2020-03-12 {t}", tz="UTC") for t in hhmm])


def small_spec() -> MarketSpec:
    spec = MarketSpec()
    spec.book.positions = 600
    spec.book.debt_total = 1e8
    return spec


# ---------------------------------------------------------------------------------------------- timing


def test_a_value_applies_from_the_first_point_after_its_publication() -> None:
    # published after the closes at 00:10, 00:20, 00:30; the simulator's points every 10 minutes from 00:00
    timeline = pd.DataFrame(
        {"liquidation_threshold": [0.83, 0.80, 0.79], "liquidation_bonus": [0.05, 0.055, 0.06]},
        index=utc("00:10", "00:20", "00:30"),
    )
    points = utc("00:00", "00:10", "00:20", "00:30", "00:40")
    initial = {"liquidation_threshold": 0.85, "liquidation_bonus": 0.04}
    s = oracle_schedule(timeline, points, asset="WETH", initial=initial)
    # the point at 00:10 is the close the oracle reacts to: it still runs under the values before it
    assert s.lt.tolist() == [0.85, 0.85, 0.83, 0.80, 0.79]
    assert s.lb.tolist() == [0.04, 0.04, 0.05, 0.055, 0.06]
    late = oracle_schedule(timeline, points, asset="WETH", initial=initial, delay=600)
    assert late.lt.tolist() == [0.85, 0.85, 0.85, 0.83, 0.80]
    between = oracle_schedule(timeline, utc("00:15", "00:25"), asset="WETH", initial=initial)
    assert between.lt.tolist() == [0.83, 0.80]
    with pytest.raises(SolvencyInputError, match="delay"):
        oracle_schedule(timeline, points, asset="WETH", initial=initial, delay=-1)
    with pytest.raises(SolvencyInputError, match="no"):
        oracle_schedule(timeline[["liquidation_threshold"]], points, asset="WETH", initial=initial)


def test_point_times_are_observation_times() -> None:
    prices = sample_crash("1h").iloc[:5]
    bar = pd.Timedelta(hours=1)
    with_open = point_times(Replay(prices, assets=["WETH"]), prices)
    # the first point is the first bar's open; then each close at its bar's end
    assert with_open[0] == prices.index[0] and (with_open[1:] == prices.index + bar).all()
    closes = prices[["close"]]
    close_only = point_times(Replay(closes, assets=["WETH"]), closes)
    assert (close_only == prices.index + bar).all()  # the first close, at the first bar's end
    ohlc = point_times(Replay(prices, assets=["WETH"], intrabar="ohlc"), prices)
    assert ohlc[3] == prices.index[0] + bar and ohlc[-1] == prices.index[-1] + bar


def test_no_look_ahead() -> None:
    """The parameters at a point depend only on closes observed before it: replaying a prefix of the file
    gives the same path on the prefix's points."""
    prices = sample_crash("1h", days_before=2)
    full = replay(prices, CONFIG, asset="ETH")
    times = point_times(Replay(prices, assets=["WETH"]), prices)
    initial = CONFIG.markets[MARKET].params
    path = oracle_schedule(full.timeline_frame(MARKET), times, asset="WETH", initial=initial)
    assert np.ptp(path.lt) > 0.05  # the oracle moves during the crash
    for n in (30, 50, 60):
        part = prices.iloc[:n]
        head = replay(part, CONFIG, asset="ETH")
        short = oracle_schedule(head.timeline_frame(MARKET), times[: n + 1], asset="WETH", initial=initial)
        assert np.array_equal(short.lt, path.lt[: n + 1]) and np.array_equal(short.lb, path.lb[: n + 1])
    # and the close at a point does not move that point's parameters: changing the last close changes nothing
    moved = prices.copy()
    moved.iloc[-1, moved.columns.get_loc("close")] *= 0.5
    again = replay(moved, CONFIG, asset="ETH")
    shifted = oracle_schedule(again.timeline_frame(MARKET), times, asset="WETH", initial=initial)
    assert np.array_equal(shifted.lt, path.lt)


# ----------------------------------------------------------------------------------- oracle vs static


def test_static_is_the_plain_replay_and_the_oracle_path_is_what_the_oracle_published() -> None:
    prices = sample_crash("1h", days_before=2)
    spec = small_spec()
    out = stress_replay(prices, CONFIG, asset="ETH", market=spec)
    plain = simulate_lending(with_conditions(spec, "current"), prices=prices)
    for name in ("bad_debt", "liquidations", "volume", "repaid", "insolvent", "shortfall"):
        assert np.array_equal(getattr(out.static.output, name), getattr(plain.output, name)), name
    # the oracle's run is a plain run with its published path, shifted by one point
    timeline = replay(prices, CONFIG, asset="ETH").timeline_frame(MARKET)
    lt = out.schedule.lt
    assert lt[0] == lt[1] == CONFIG.markets[MARKET].params["liquidation_threshold"]
    assert np.array_equal(lt[2:], timeline["liquidation_threshold"].to_numpy()[:-1])
    # within the guardrails: bounds, steps, the LT·(1+LB) invariant
    rule_lt, rule_lb = RULES["liquidation_threshold"], RULES["liquidation_bonus"]
    assert rule_lt.min <= lt.min() and lt.max() <= rule_lt.max
    assert rule_lb.min <= out.schedule.lb.min() and out.schedule.lb.max() <= rule_lb.max
    assert np.abs(np.diff(lt)).max() <= rule_lt.max_step + 1e-12
    assert (lt * (1 + out.schedule.lb)).max() <= CONFIG.markets[MARKET].invariants.max_lt_bonus + 1e-12
    # the path is applied: the oracle's run is the simulator under that schedule, and lowering LT liquidates
    # debt the static parameters leave alone
    assert lt.min() < 0.75
    scheduled = simulate_lending(with_conditions(spec, "current"), prices=prices, schedule=out.schedule)
    assert np.array_equal(scheduled.output.shortfall, out.oracle.output.shortfall)
    assert np.array_equal(scheduled.output.repaid, out.oracle.output.repaid)
    assert out.oracle.output.repaid[0] > 1.1 * out.static.output.repaid[0]
    d = out.to_dict()
    assert d["oracle"]["bad_debt"] == out.oracle.bad_debt.mean and d["static"]["bad_debt"] == out.static.bad_debt.mean
    assert d["oracle_path"]["lt"]["min"] == lt.min() and d["no_more_bad_debt"] == (d["extra_bad_debt"] <= 0)
    assert d["static_params"] == {"liquidation_threshold": 0.83, "liquidation_bonus": 0.05}


def test_stress_input_errors() -> None:
    prices = sample_crash("1h", days_before=1)
    with pytest.raises(SolvencyInputError, match="unknown conditions"):
        stress_replay(prices, CONFIG, asset="ETH", conditions="calm")
    with pytest.raises(SolvencyInputError, match="not a market of ETH"):
        stress_replay(prices, CONFIG, asset="ETH", oracle_market="aave-v3-wbtc", market=small_spec())


# ------------------------------------------------------------------------------------------ real data

REPLAYS = {
    "black-thursday-10m": ("coinapi_ETHUSD_10m_2020-03-12.csv", "ethereum_gasprice_10m_2020-03-12.csv", "close"),
    "black-thursday-1h": ("coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv", None, "close"),
    "oct-2025-4h": ("binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv", None, "close"),
    "oct-2025-4h-ohlc": ("binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv", None, "ohlc"),
}
GAS_COLUMN = {"current": "avgGasDay", "congested-2020": "90.0 Perc"}


@pytest.mark.realdata
@pytest.mark.parametrize("conditions", ["current", "congested-2020"])
@pytest.mark.parametrize("case", list(REPLAYS))
def test_real_replays_take_no_more_bad_debt_under_the_oracle(real_data: Path, case: str, conditions: str) -> None:
    """Done-when of issue 6: the oracle lowers LT step by step and the stress engine shows no more bad debt
    under its path than under static parameters (5,000 synthetic positions, $1 B of debt, LT 0.83, LB 0.05)."""
    file, gas, intrabar = REPLAYS[case]
    intraday = real_data / "intraday"
    out = stress_replay(
        load_prices(intraday / file),
        CONFIG,
        asset="ETH",
        conditions=conditions,
        gas=None if gas is None else intraday / gas,
        gas_column=GAS_COLUMN[conditions],
        intrabar=intrabar,
    )
    lt = out.schedule.lt
    assert lt.min() < 0.70 and np.abs(np.diff(lt)).max() <= RULES["liquidation_threshold"].max_step + 1e-12
    oracle, static = out.oracle.bad_debt.mean, out.static.bad_debt.mean
    assert oracle <= static, (case, conditions, oracle, static)
    if case.startswith("black-thursday"):  # where static parameters lose money, the oracle's path loses less
        assert static > 1e6 and oracle < static
