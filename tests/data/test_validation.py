"""validate_prices on hand-made frames: each kind of issue at its exact time, and invariants."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.data.validation import FATAL_KINDS, KINDS, ValidationRules, validate_prices
from solvency.errors import DataFormatError
from solvency.jsonutil import dumps

T0 = pd.Timestamp("2024-01-01", tz="UTC")


def walk(n: int = 200, *, seed: int = 7, step: str = "1h", vol: float = 0.01, ohlc: bool = True) -> pd.DataFrame:
    """A clean geometric random walk with consistent OHLC bars."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, vol, n)))
    index = pd.date_range(T0, periods=n, freq=step, tz="UTC", name="time")
    if not ohlc:
        return pd.DataFrame({"close": close}, index=index)
    opn = np.r_[100.0, close[:-1]]
    wick = np.abs(rng.normal(0.0, vol / 3, (2, n)))
    high = np.maximum(opn, close) * np.exp(wick[0])
    low = np.minimum(opn, close) * np.exp(-wick[1])
    return pd.DataFrame({"open": opn, "high": high, "low": low, "close": close}, index=index)


def at(i: int, step: str = "1h") -> pd.Timestamp:
    return T0 + i * pd.Timedelta(step)


def kinds_times(report) -> list[tuple[str, pd.Timestamp]]:
    return [(i.kind, i.time) for i in report.issues]


def test_clean_walk_has_no_issue() -> None:
    report = validate_prices(walk())
    assert report.issues == [] and report.ok
    assert report.rows == 200 and report.frequency == "1h" and report.step_seconds == 3600
    assert report.start == T0 and report.end == at(199)


def test_non_finite_and_non_positive_rows_with_times_rows_and_fields() -> None:
    df = walk(50)
    df.iloc[10, df.columns.get_loc("close")] = np.nan
    df.iloc[20, df.columns.get_loc("low")] = np.inf
    df.iloc[30, df.columns.get_loc("close")] = -5.0
    df.iloc[31, df.columns.get_loc("open")] = 0.0
    report = validate_prices(df)
    assert not report.ok
    got = [(i.kind, i.time, i.row, i.field) for i in report.issues]
    assert got == [
        ("non_finite", at(10), 11, "close"),
        ("non_finite", at(20), 21, "low"),
        ("non_positive", at(30), 31, "close"),
        ("non_positive", at(31), 32, "open"),
    ]
    assert all(i.fatal for i in report.issues)
    assert "NaN" in report.issues[0].detail and "-5" in report.issues[2].detail
    # A bad row is not also reported as a gap or a spike.
    assert {i.kind for i in report.issues} <= FATAL_KINDS


def test_duplicates_name_the_repeated_row_and_whether_prices_differ() -> None:
    df = walk(30)
    dup_same = df.iloc[[5]]
    dup_diff = df.iloc[[9]] * 1.01  # a re-download with other prices (still a consistent bar)
    df = pd.concat([df.iloc[:6], dup_same, df.iloc[6:10], dup_diff, df.iloc[10:]])
    report = validate_prices(df)
    dups = report.of_kind("duplicate")
    assert [(i.time, i.row) for i in dups] == [(at(5), 7), (at(9), 12)]
    assert "repeats row 6 (same prices)" in dups[0].detail
    assert "repeats row 11" in dups[1].detail and "different prices: open" in dups[1].detail
    assert not report.ok and kinds_times(report) == [("duplicate", at(5)), ("duplicate", at(9))]


def test_unsorted_rows_reported_once_each_and_not_as_gaps() -> None:
    df = walk(40)
    order = list(range(40))
    order[12], order[13] = order[13], order[12]  # one swapped pair
    report = validate_prices(df.iloc[order])
    assert kinds_times(report) == [("unsorted", at(12))]
    assert report.issues[0].row == 14 and "after" in report.issues[0].detail


def test_newest_first_rows_are_reported_by_file_row() -> None:
    df = walk(20)
    df.attrs["rows"] = np.arange(20, 0, -1)  # as the loader records a reversed, newest-first file
    df.iloc[3, df.columns.get_loc("close")] = np.nan
    report = validate_prices(df)
    assert [(i.time, i.row) for i in report.issues] == [(at(3), 17)]


def test_gaps_with_first_missing_time_and_count() -> None:
    df = walk(100).drop(index=[at(i) for i in (10, 11, 12, 50)])
    report = validate_prices(df)
    gaps = report.of_kind("gap")
    assert [(g.time, g.bars) for g in gaps] == [(at(10), 3), (at(50), 1)]
    assert report.ok and "3 missing 1h bars" in gaps[0].detail
    assert gaps[0].row == 11  # the first row after the gap (rows 1..10 are 00:00..09:00)


def test_step_override_and_off_grid_stamp() -> None:
    df = walk(48, step="1h")
    idx = df.index.tolist()
    idx[20] = idx[20] + pd.Timedelta(minutes=5)
    df.index = pd.DatetimeIndex(idx, name="time")
    report = validate_prices(df)
    assert kinds_times(report) == [("off_grid", at(20) + pd.Timedelta(minutes=5))]
    assert "5 m after the 1h grid" in report.issues[0].detail
    two_hourly = validate_prices(walk(48, step="2h"), step="1h")
    assert len(two_hourly.of_kind("gap")) == 47 and two_hourly.frequency == "1h"


def test_irregular_snapshots_are_one_issue() -> None:
    df = walk(300, ohlc=False)
    jitter = np.random.default_rng(0).integers(-20, 20, 300)
    df.index = pd.DatetimeIndex(df.index + pd.to_timedelta(jitter, unit="s"), name="time")
    report = validate_prices(df)
    off = report.of_kind("off_grid")
    assert len(off) == 1 and off[0].bars is not None and off[0].bars > 150 and "irregular" in off[0].detail
    assert report.ok


def test_close_spike_that_reverts() -> None:
    df = walk(200, ohlc=False)
    df.iloc[120, 0] *= 50.0
    report = validate_prices(df)
    assert [(i.kind, i.time, i.field) for i in report.issues] == [("spike", at(120), "close")]
    assert "single-bar spike" in report.issues[0].detail


def test_a_move_that_stays_is_not_a_spike() -> None:
    df = walk(200, ohlc=False)
    df.iloc[120:, 0] *= 0.5  # a crash that does not revert
    assert validate_prices(df).issues == []


def test_high_alone_spike_like_dai() -> None:
    df = walk(200, vol=0.001)  # a stablecoin-quiet series
    df.iloc[150, df.columns.get_loc("high")] = 3.67 * df["close"].iloc[150]
    df.iloc[151, df.columns.get_loc("low")] = 0.5 * df["close"].iloc[151]
    report = validate_prices(df)
    assert [(i.kind, i.time, i.field) for i in report.issues] == [
        ("spike", at(150), "high"),
        ("spike", at(151), "low"),
    ]
    assert "above" in report.issues[0].detail and "below" in report.issues[1].detail


def test_small_wick_is_not_a_spike() -> None:
    df = walk(200, vol=0.001)
    df.iloc[150, df.columns.get_loc("high")] = 1.03 * df["close"].iloc[150]  # 3 %: under spike_min
    assert validate_prices(df).issues == []
    tight = ValidationRules(spike_min=0.01)
    assert [i.kind for i in validate_prices(df, rules=tight).issues] == ["spike"]


def test_stale_run() -> None:
    df = walk(300, ohlc=False)
    df.iloc[100:112, 0] = df["close"].iloc[99]  # the close of 09:00 repeated for 12 more bars
    df["volume"] = 1.0
    df.iloc[100:112, df.columns.get_loc("volume")] = 0.0
    report = validate_prices(df)
    assert [(i.kind, i.time, i.bars) for i in report.issues] == [("stale", at(99), 13)]
    assert "volume is 0 on 12 of the 12 repeats" in report.issues[0].detail


def test_short_repeats_are_not_stale() -> None:
    df = walk(300, ohlc=False)
    df.iloc[100:102, 0] = df["close"].iloc[99]  # 3 equal closes: below the 3-repeat floor
    assert validate_prices(df).issues == []


def test_ohlc_inconsistent_with_tolerance() -> None:
    df = walk(50)
    c = df.columns.get_loc
    df.iloc[5, c("low")] = max(df["open"].iloc[5], df["close"].iloc[5]) * 1.001
    df.iloc[6, c("high")] = (df["open"].iloc[6] + df["close"].iloc[6]) / 2  # inside the body, above the low
    df.iloc[7, c("low")] = min(df["open"].iloc[7], df["close"].iloc[7]) * (1 + 1e-12)  # float noise
    report = validate_prices(df)
    got = [(i.kind, i.time, i.field) for i in report.issues]
    assert got == [("ohlc_inconsistent", at(5), "low"), ("ohlc_inconsistent", at(6), "high")]
    assert report.ok


def test_to_dict_shape_and_json() -> None:
    df = walk(60)
    df.iloc[3, df.columns.get_loc("close")] = np.nan
    out = json.loads(dumps(validate_prices(df).to_dict()))
    assert list(out) == ["rows", "start", "end", "frequency", "issues", "ok"]
    assert out["ok"] is False and out["frequency"] == "1h" and out["start"] == "2024-01-01T00:00:00Z"
    issue = out["issues"][0]
    assert {"kind", "time", "detail"} <= set(issue) and issue["time"] == "2024-01-01T03:00:00Z"
    assert issue["fatal"] is True and issue["row"] == 4


def test_degenerate_frames() -> None:
    empty = pd.DataFrame({"close": []}, index=pd.DatetimeIndex([], tz="UTC"))
    report = validate_prices(empty)
    assert report.rows == 0 and report.ok and report.start is None and report.frequency is None
    one = pd.DataFrame({"close": [1.0]}, index=pd.DatetimeIndex([T0]))  # naive: taken as UTC
    assert validate_prices(one).start == T0
    with pytest.raises(DataFormatError, match="no close"):
        validate_prices(pd.DataFrame({"price": [1.0]}, index=pd.DatetimeIndex([T0])))


def test_summary_mentions_counts_and_verdict() -> None:
    df = walk(60)
    df.iloc[3, df.columns.get_loc("close")] = -1.0
    text = validate_prices(df).summary()
    assert "non_positive 1" in text and "FATAL" in text


# -------------------------------------------------------------------------------------------- properties

prices = st.one_of(
    st.floats(min_value=1e-6, max_value=1e9),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -1.0, 1e308, 5e-324]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.lists(st.tuples(st.integers(0, 400), prices, prices, prices, prices), min_size=0, max_size=60),
    ohlc=st.booleans(),
)
def test_validation_never_raises(data: list[tuple], ohlc: bool) -> None:
    index = pd.DatetimeIndex([T0 + pd.Timedelta(hours=h) for h, *_ in data], name="time")
    cols = {"open": [r[1] for r in data], "high": [r[2] for r in data], "low": [r[3] for r in data]}
    frame = pd.DataFrame(({**cols} if ohlc else {}) | {"close": [r[4] for r in data]}, index=index)
    report = validate_prices(frame)
    assert report.rows == len(data)
    assert {i.kind for i in report.issues} <= set(KINDS)
    assert report.ok == (not any(i.fatal for i in report.issues))
    json.loads(dumps(report.to_dict()))  # always serialisable


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    power=st.integers(-20, 20),
    n=st.integers(2, 150),
    corrupt=st.lists(st.tuples(st.integers(0, 149), st.sampled_from(["nan", "neg", "x50", "high", "stale"]))),
)
def test_scaling_prices_keeps_kinds_and_times(seed: int, power: int, n: int, corrupt: list) -> None:
    # Powers of two scale floats exactly, so every ratio (and log return) is bit-for-bit the same.
    df = walk(n, seed=seed)
    c = df.columns.get_loc
    for i, what in corrupt:
        if i >= n:
            continue
        if what == "nan":
            df.iloc[i, c("close")] = np.nan
        elif what == "neg":
            df.iloc[i, c("low")] = -df["low"].iloc[i]
        elif what == "x50":
            df.iloc[i] = df.iloc[i] * 50
        elif what == "high":
            df.iloc[i, c("high")] *= 4
        else:
            df.iloc[i : i + 8, c("close")] = df["close"].iloc[i]
    scaled = df * 2.0**power
    base = validate_prices(df)
    other = validate_prices(scaled)
    assert [(i.kind, i.time, i.field) for i in base.issues] == [(i.kind, i.time, i.field) for i in other.issues]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 400), vol=st.sampled_from([1e-4, 0.01, 0.05]))
def test_random_walk_has_no_fatal_issue(seed: int, n: int, vol: float) -> None:
    report = validate_prices(walk(n, seed=seed, vol=vol))
    assert report.ok
    assert not report.of_kind("gap") and not report.of_kind("ohlc_inconsistent")


def test_scaling_by_an_arbitrary_constant_on_a_realistic_series() -> None:
    df = walk(500, seed=3)
    df.iloc[200] *= 50
    df.iloc[300, df.columns.get_loc("close")] = np.nan
    base = [(i.kind, i.time) for i in validate_prices(df).issues]
    assert base == [("non_finite", at(300)), ("spike", at(200))]
    assert [(i.kind, i.time) for i in validate_prices(df * 1234.567).issues] == base
