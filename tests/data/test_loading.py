"""Loader: every real shape, epoch units, newest-first files, clear errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.data.loading import load_prices, parse_times
from solvency.errors import DataFormatError, SolvencyInputError


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1583712000, "2020-03-09T00:00:00"),  # seconds
        (1583712000000, "2020-03-09T00:00:00"),  # milliseconds (Coinbase export)
        (1583712000000000, "2020-03-09T00:00:00"),  # microseconds
        (1583712000000000000, "2020-03-09T00:00:00"),  # nanoseconds
    ],
)
def test_epoch_unit_detected(value: int, expected: str) -> None:
    parsed = parse_times([value, value + 1])
    assert parsed[0] == pd.Timestamp(expected, tz="UTC")
    assert str(parsed.tz) == "UTC"


def test_fractional_microseconds_keep_order() -> None:
    # Risk DAO's bid/ask file stores epoch µs as floats with a fractional part.
    parsed = parse_times([1609460068912307.2, 1609460127950823.8])
    assert parsed[0] == pd.Timestamp("2021-01-01 00:14:28.9123072", tz="UTC")
    assert parsed[1] > parsed[0]


@pytest.mark.parametrize(
    "text",
    ["2020-03-12T00:00:00.0000000Z", "2020-03-12 00:00:00 UTC", "2020-03-12 00:00:00+00:00", "2020-03-12"],
)
def test_iso_variants(text: str) -> None:
    assert parse_times([text])[0] == pd.Timestamp("2020-03-12", tz="UTC")


def test_offsets_converted_to_utc() -> None:
    assert parse_times(["2020-03-12 02:00:00+02:00"])[0] == pd.Timestamp("2020-03-12 00:00", tz="UTC")


def test_newest_first_reversed_with_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "Date,Close\n2020-01-03,3\n2020-01-02,2\n2020-01-01,1\n")
    df = load_prices(path)
    assert list(df["close"]) == [1.0, 2.0, 3.0]
    assert df.attrs["reversed"] is True
    assert list(df.attrs["rows"]) == [3, 2, 1]


def test_unsorted_rows_are_kept_in_file_order(tmp_path: Path) -> None:
    # The loader never sorts: disorder is for validation to report.
    path = write(tmp_path, "p.csv", "date,close\n2020-01-01,1\n2020-01-03,3\n2020-01-02,2\n2020-01-04,4\n")
    df = load_prices(path)
    assert list(df["close"]) == [1.0, 3.0, 2.0, 4.0]
    assert df.attrs["reversed"] is False


def test_column_variants_and_choice(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.csv",
        "time_period_start,price_open,price_high,price_low,price_close\n"
        "2020-03-12T00:00:00.0000000Z,1,2,0.5,1.5\n2020-03-12T00:10:00.0000000Z,1.5,2,1,1.2\n",
    )
    df = load_prices(path)
    assert list(df.columns) == ["open", "high", "low", "close"]
    several = write(tmp_path, "s.csv", "timestamp,bid_price,ask_price\n1,1,2\n2,1,2\n")
    with pytest.raises(DataFormatError, match="several series") as err:
        load_prices(several)
    assert "--column" in str(err.value)
    assert list(load_prices(several, column="ASK_PRICE")["close"]) == [2.0, 2.0]


def test_null_tokens_become_nan_but_text_is_an_error(tmp_path: Path) -> None:
    ok = write(tmp_path, "a.csv", "Date,Close\n2020-01-01,1\n2020-01-02,null\n")
    assert np.isnan(load_prices(ok)["close"].iloc[1])
    bad = write(tmp_path, "b.csv", "Date,Close\n2020-01-01,1\n2020-01-02,abc\n")
    with pytest.raises(DataFormatError) as err:
        load_prices(bad)
    assert err.value.row == 2
    assert "abc" in str(err.value) and "b.csv" in str(err.value)


def test_bad_time_names_row(tmp_path: Path) -> None:
    bad = write(tmp_path, "b.csv", "date,close\n2020-01-01,1\nyesterday,2\n")
    with pytest.raises(DataFormatError) as err:
        load_prices(bad)
    assert err.value.row == 2


@pytest.mark.parametrize("content", ["", "date,close\n", "just one column\n1\n2\n"])
def test_empty_and_degenerate(tmp_path: Path, content: str) -> None:
    with pytest.raises(DataFormatError):
        load_prices(write(tmp_path, "e.csv", content))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="not found"):
        load_prices(tmp_path / "nope.csv")


def test_json_layouts(tmp_path: Path) -> None:
    klines = [
        [1759622400000, "4487.16", "4575.0", "4467.05", "4531.54", "1", 1759636799999, "1", 1, "1", "1", "0"],
        [1759636800000, "4531.55", "4615.0", "4529.0", "4605.97", "1", 1759651199999, "1", 1, "1", "1", "0"],
    ]
    candles = [
        [1583715600, 200.6, 206.81, 203.27, 204.8, 1608.2],
        [1583712000, 197.01, 206.8, 199.66, 203.27, 3933.1],
    ]
    gecko = {
        "prices": [[1583712000000, 203.0], [1583798400000, 201.0]],
        "total_volumes": [[1, 5.0], [2, 6.0]],
    }
    dvol = {"result": {"data": [[1667692800000, 56, 58, 55, 56.76], [1667779200000, 57, 60, 56, 59.48]]}}
    records = [{"date": "2020-01-01", "close": 1}, {"date": "2020-01-02", "close": 2}]
    columns = {"date": ["2020-01-01", "2020-01-02"], "close": [1, 2]}
    expected_close = {"k": 4531.54, "c": 203.27, "g": 203.0, "d": 56.76, "r": 1.0, "cols": 1.0}
    for name, doc in {
        "k": klines,
        "c": candles,
        "g": gecko,
        "d": dvol,
        "r": records,
        "cols": columns,
    }.items():
        df = load_prices(write(tmp_path, f"{name}.json", json.dumps(doc)))
        assert df["close"].iloc[0] == pytest.approx(expected_close[name]), name
        assert df.index.is_monotonic_increasing, name
    with pytest.raises(DataFormatError, match="unrecognised JSON"):
        load_prices(write(tmp_path, "x.json", json.dumps({"a": 1})))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".json", ".parquet", ".txt"]))
def test_random_bytes_raise_only_input_errors(tmp_path: Path, blob: bytes, suffix: str) -> None:
    path = tmp_path / f"r{suffix}"
    path.write_bytes(blob)
    try:
        df = load_prices(path)
    except SolvencyInputError:
        return
    assert "close" in df.columns and isinstance(df.index, pd.DatetimeIndex)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list("date,clos\n0123456789.-:TZ ")), max_size=200))
def test_random_csv_text_raises_only_input_errors(tmp_path: Path, text: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    try:
        df = load_prices(path)
    except SolvencyInputError:
        return
    # whatever it accepts is a price frame on a time index, never a half-parsed table
    assert "close" in df.columns and isinstance(df.index, pd.DatetimeIndex) and len(df) > 0


SHAPES = {
    # file: (rows, first time, first close) read off the files with a text editor
    "daily/binance_ETHUSDT_1d.csv": (3142, "2017-08-17", 302.0),
    "daily/coingecko_ETH-USD_1d.csv": (3804, "2015-08-07", 2.83),
    "daily/yahoo_DAI-USD_1d.csv": (1087, "2019-11-22", 0.992598),
    "hourly/binance_ETHUSDT_1h_2017-2021.csv": (33413, "2017-08-17 04:00", 300.79),
    "hourly/binance_ETHUSDT_1h_2021-2025.csv": (35037, "2021-08-21 21:00", 3251.13),
    "intraday/coinapi_ETHUSD_10m_2020-03-12.csv": (144, "2020-03-12 00:00", 194.52),
    "intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv": (192, "2020-03-09 00:00", 203.27),
    "intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv": (66, "2025-10-05 00:00", 4531.54),
    "options/deribit_DVOL-ETH_1h_2025.csv": (4321, "2025-06-15 22:00", 78.66),
}


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_real_shapes(real_data: Path, name: str) -> None:
    rows, first, close = SHAPES[name]
    df = load_prices(real_data / name)
    assert len(df) == rows
    assert df.index[0] == pd.Timestamp(first, tz="UTC")
    assert df["close"].iloc[0] == pytest.approx(close)


@pytest.mark.realdata
def test_every_price_file_loads(real_data: Path) -> None:
    files = sorted(p for d in ("daily", "hourly", "intraday") for p in (real_data / d).glob("*.csv"))
    assert len(files) >= 20
    for path in files:
        column = "avgGasDay" if "gasprice" in path.name else None  # gas files hold several series
        df = load_prices(path, column=column)
        assert len(df) > 50, path
        assert str(df.index.tz) == "UTC", path


@pytest.mark.realdata
def test_known_facts(real_data: Path) -> None:
    # DATA README: ETH on 2020-03-12 (Binance daily): open 194.61, low 101.20, close 107.82.
    eth = load_prices(real_data / "daily/binance_ETHUSDT_1d.csv")
    day = eth.loc[pd.Timestamp("2020-03-12", tz="UTC")]
    assert (day["open"], day["low"], day["close"]) == (194.61, 101.20, 107.82)
    # Gas file: the `timestamp` column is used (the 12-hour `datetime` would make duplicates).
    gas = load_prices(real_data / "intraday/ethereum_gasprice_10m_2020-03-12.csv", column="avgGasDay")
    assert gas.index.is_unique and gas.index[-1] == pd.Timestamp("2020-03-12 23:50", tz="UTC")
