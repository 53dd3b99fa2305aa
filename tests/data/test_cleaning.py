"""clean_prices: each rule, every change listed, and the cleaned series validates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.data.cleaning import clean_prices
from solvency.data.loading import load_prices
from solvency.data.resolve import prices_or_sample
from solvency.data.validation import validate_prices
from solvency.data.writing import write_prices
from solvency.errors import DataQualityError, SolvencyInputError
from tests.data.test_validation import at, walk


def test_bad_rows_dropped_and_listed() -> None:
    df = walk(60)
    c = df.columns.get_loc
    df.iloc[10, c("close")] = np.nan
    df.iloc[20, c("low")] = -1.0
    clean, changes = clean_prices(df)
    assert [(x.time, x.row, x.action, x.kind) for x in changes] == [
        (at(10), 11, "dropped", "non_finite"),
        (at(20), 21, "dropped", "non_positive"),
    ]
    assert len(clean) == 58 and at(10) not in clean.index
    after = validate_prices(clean)
    assert after.ok and [(i.kind, i.time) for i in after.issues] == [("gap", at(10)), ("gap", at(20))]
    assert list(clean.attrs["rows"][9:11]) == [10, 12]  # the source rows it kept


def test_duplicates_keep_the_later_row_in_the_file() -> None:
    df = walk(30)
    later = df.iloc[[7]].copy()
    later["close"] *= 1.001
    df = pd.concat([df.iloc[:8], later, df.iloc[8:]])  # rows 8 (first) and 9 (later) share 07:00
    clean, changes = clean_prices(df)
    assert [(x.row, x.action, x.kind) for x in changes] == [(8, "dropped", "duplicate")]
    assert "kept row 9" in changes[0].reason
    assert clean.loc[at(7), "close"] == later["close"].iloc[0]


def test_duplicates_prefer_a_valid_row() -> None:
    df = walk(30)
    bad = df.iloc[[7]].copy()
    bad["close"] = np.nan
    df = pd.concat([df.iloc[:8], bad, df.iloc[8:]])  # the later copy is the broken one
    clean, changes = clean_prices(df)
    assert [(x.row, x.action, x.kind) for x in changes] == [(9, "dropped", "non_finite")]
    assert np.isfinite(clean.loc[at(7), "close"])


def test_sorting_moves_only_the_displaced_rows() -> None:
    df = walk(40)
    order = list(range(40))
    order.insert(5, order.pop(30))  # row 30 moved up to position 5
    clean, changes = clean_prices(df.iloc[order])
    assert [(x.time, x.row, x.action) for x in changes] == [(at(30), 6, "moved")]
    assert clean.index.is_monotonic_increasing and len(clean) == 40
    assert validate_prices(clean).issues == []


def test_whole_bar_times_fifty_is_repaired_field_by_field() -> None:
    df = walk(200)
    original = df.iloc[120].copy()
    df.iloc[120] = df.iloc[120] * 50
    clean, changes = clean_prices(df)
    fields = sorted(x.field for x in changes)
    assert all(x.time == at(120) and x.action == "repaired" for x in changes)
    assert {"close", "open", "high", "low"} <= set(fields)
    prev_c, next_c = clean["close"].iloc[119], clean["close"].iloc[121]
    assert clean["close"].iloc[120] == pytest.approx(np.sqrt(prev_c * next_c))
    assert clean["open"].iloc[120] == prev_c
    assert abs(np.log(clean["close"].iloc[120] / original["close"])) < 0.05
    assert validate_prices(clean).issues == []


def test_high_spike_clamped_and_kept_when_asked() -> None:
    df = walk(200, vol=0.001)
    df.iloc[150, df.columns.get_loc("high")] = 3.67 * df["close"].iloc[150]
    clean, changes = clean_prices(df)
    assert [(x.time, x.field, x.action) for x in changes] == [(at(150), "high", "repaired")]
    assert clean["high"].iloc[150] == max(df["open"].iloc[150], df["close"].iloc[150])
    assert changes[0].old == df["high"].iloc[150]
    kept, none = clean_prices(df, repair_spikes=False)
    assert none == [] and kept["high"].iloc[150] == df["high"].iloc[150]


def test_ohlc_inconsistency_clamped() -> None:
    df = walk(50)
    body_top = max(df["open"].iloc[5], df["close"].iloc[5])
    df.iloc[5, df.columns.get_loc("low")] = body_top * 1.001
    clean, changes = clean_prices(df)
    assert [(x.time, x.field, x.kind) for x in changes] == [(at(5), "low", "ohlc_inconsistent")]
    assert clean["low"].iloc[5] == min(df["open"].iloc[5], df["close"].iloc[5])


def test_gaps_and_stale_runs_are_left_alone() -> None:
    df = walk(300).drop(index=[at(50)])
    df.iloc[100:112, df.columns.get_loc("close")] = df["close"].iloc[99]
    df.iloc[100:112, df.columns.get_loc("open")] = df["close"].iloc[99]
    df.iloc[100:112, df.columns.get_loc("high")] = df["close"].iloc[99]
    df.iloc[100:112, df.columns.get_loc("low")] = df["close"].iloc[99]
    clean, changes = clean_prices(df)
    assert changes == [] and clean.equals(df)


def test_report_of_another_frame_is_refused() -> None:
    with pytest.raises(SolvencyInputError, match="not this frame"):
        clean_prices(walk(10), validate_prices(walk(11)))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    corrupt=st.lists(
        st.tuples(st.integers(0, 119), st.sampled_from(["nan", "neg", "dup", "swap", "x50", "high"])), max_size=8
    ),
)
def test_cleaned_frames_validate_and_every_touched_row_is_listed(seed: int, corrupt: list) -> None:
    df = walk(120, seed=seed)
    c = df.columns.get_loc
    for i, what in corrupt:
        if what == "nan":
            df.iloc[i, c("close")] = np.nan
        elif what == "neg":
            df.iloc[i, c("open")] = -1.0
        elif what == "x50":
            df.iloc[i, :4] = df.iloc[i, :4] * 50
        elif what == "high":
            df.iloc[i, c("high")] *= 5
    order = list(range(120))
    for i, what in corrupt:
        if what == "dup":
            order.append(i)
        elif what == "swap" and i + 1 < 120:
            order[i], order[i + 1] = order[i + 1], order[i]
    frame = df.iloc[order].copy()
    frame.attrs["rows"] = np.arange(1, len(order) + 1)
    clean, changes = clean_prices(frame)
    after = validate_prices(clean)
    assert after.ok
    assert {i.kind for i in after.issues} <= {"gap", "stale", "off_grid"}
    # Rows that disappeared are exactly the dropped ones.
    kept = set(clean.attrs["rows"].tolist())
    dropped = {x.row for x in changes if x.action == "dropped"}
    assert kept | dropped == set(range(1, len(order) + 1)) and not kept & dropped
    # Values that changed are exactly the repaired ones.
    source = frame.copy()
    source["__row"] = frame.attrs["rows"]
    source = source.set_index("__row")
    repaired = {(x.row, x.field) for x in changes if x.action == "repaired"}
    for row, values in zip(clean.attrs["rows"], clean[["open", "high", "low", "close"]].to_numpy(), strict=True):
        for f, v in zip(["open", "high", "low", "close"], values, strict=True):
            if (int(row), f) not in repaired:
                assert v == source.loc[row, f]


def test_prices_or_sample_refuses_fatal_and_passes_warnings(tmp_path) -> None:
    df = walk(100)
    df.iloc[[10, 11, 12, 13, 14, 15, 16], df.columns.get_loc("close")] = np.nan
    path = write_prices(df, tmp_path / "bad.csv")
    with pytest.raises(DataQualityError) as err:
        prices_or_sample(path)
    text = str(err.value)
    assert "7 fatal data problems" in text and "non_finite at 2024-01-01 10:00 (row 11)" in text
    assert "and 2 more" in text and "solvency data check" in text and "--clean" in text
    gappy = write_prices(walk(100).drop(index=[at(40)]), tmp_path / "gap.csv")
    frame = prices_or_sample(gappy)
    assert frame.attrs["quality"] == {"gap": 1}
    assert len(prices_or_sample(path, validate=False)) == 100
    assert len(prices_or_sample(None)) == 3000  # the embedded sample


def test_write_read_round_trip_exact(tmp_path) -> None:
    df = walk(50)
    df["volume"] = np.linspace(0, 1, 50) / 3
    for suffix in (".csv", ".json", ".parquet"):
        back = load_prices(write_prices(df, tmp_path / f"x{suffix}"))
        assert back.index.equals(df.index.as_unit(back.index.unit))
        np.testing.assert_array_equal(back.to_numpy(), df.to_numpy())
