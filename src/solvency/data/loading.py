"""Reading price files in the shapes real users have.

One entry point, :func:`load_prices`, reads CSV, Parquet or JSON with no per-file options:

* the time column may be called ``date``, ``time``, ``timestamp``, ``open_time``, ``datetime``,
  ``open_time_utc``, ``time_period_start`` or ``Unix Timestamp`` (any case), and hold ISO-8601 strings or
  epoch seconds / milliseconds / microseconds / nanoseconds (the unit is detected from the magnitude);
* OHLC columns may be spelled ``close``, ``Close``, ``price_close``, ``close_price`` …;
* rows may be oldest-first or newest-first (a newest-first file is reversed, and that is recorded);
* JSON may be a list of records, a dict of columns, or a raw API answer (Binance klines, Coinbase candles,
  CoinGecko ``market_chart``, Deribit ``get_volatility_index_data``).

The loader normalises shape only. It never drops, sorts or repairs rows: quality problems (non-positive
prices, NaN, duplicates, unsorted rows, gaps, spikes) are the business of :mod:`solvency.data.validation`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.errors import DataFormatError

PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close")
"""The OHLC fields, in order."""

# Candidate time columns, in order of preference. Order matters where a file has several: the Ethereum
# gas files carry a broken 12-hour ``datetime`` beside a correct ``timestamp``; Coinbase exports carry
# ``Unix Timestamp`` beside a local-looking ``Date``.
TIME_COLUMNS: tuple[str, ...] = (
    "time_period_start",
    "open_time",
    "open_time_utc",
    "timestamp",
    "unix_timestamp",
    "time",
    "date",
    "datetime",
    "ts_ms",
    "timestamp_x",
    "harvest_time",
)

ALIASES: dict[str, tuple[str, ...]] = {
    "open": ("open", "price_open", "open_price", "o"),
    "high": ("high", "price_high", "high_price", "h"),
    "low": ("low", "price_low", "low_price", "l"),
    # DVOL indices publish their value as ``dvol_close`` (daily) or ``iv_30d`` (hourly).
    "close": ("close", "price_close", "close_price", "c", "price", "dvol_close", "iv_30d"),
    "volume": ("volume", "volume_traded", "volume_base", "total_volume", "vol", "v"),
}


class SeveralSeriesError(DataFormatError):
    """A file holds several price-like series and no close column; ``candidates`` lists them."""

    def __init__(self, message: str, *, candidates: list[str], **kwargs: Any) -> None:
        self.candidates = list(candidates)
        super().__init__(message, **kwargs)


_NULL_TOKENS = {"", "null", "nan", "none", "na", "n/a", "-"}


def _norm(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


# ----------------------------------------------------------------------------------------------- public


def load_prices(path: str | Path, *, column: str | None = None) -> pd.DataFrame:
    """Load a price file into a normalised frame.

    Parameters
    ----------
    path
        CSV (``.csv``, ``.txt``, ``.csv.gz``), Parquet (``.parquet``, needs the ``[parquet]`` extra) or
        JSON (``.json``) file.
    column
        The series to use as ``close`` where a file holds several (e.g. ``"bid_price"``, ``"avgGasDay"``).
        Matched case-insensitively. Without it, a file with no close-like column and several numeric
        columns is refused with the list of candidates.

    Returns
    -------
    pandas.DataFrame
        Index: ``DatetimeIndex`` in UTC named ``time``, in file order (newest-first files reversed).
        Columns: ``close`` and, where present, ``open``, ``high``, ``low``, ``volume`` as float64 (prices in
        the quote asset). ``attrs`` holds ``source`` (the path), ``series`` (the column used as close),
        ``reversed`` (whether the file was newest-first) and ``rows`` (1-based data-row numbers in the
        file, aligned with the frame, for error messages).

    Raises
    ------
    DataFormatError
        The file cannot be read, or has no time column / no usable price column, or a cell cannot be
        parsed (named by row).
    """
    path = Path(path)
    table = read_table(path)
    return normalise_prices(table, source=str(path), column=column)


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV / Parquet / JSON file into a raw frame of strings and numbers (no interpretation).

    Raises
    ------
    DataFormatError
        The file is missing, empty, not decodable or not a table.
    """
    path = Path(path)
    if not path.exists():
        raise DataFormatError("file not found", path=path)
    if path.is_dir():
        raise DataFormatError("is a directory, not a file", path=path)
    suffixes = "".join(path.suffixes[-2:]).lower()
    try:
        if suffixes.endswith(".parquet") or suffixes.endswith(".pq"):
            return _read_parquet(path)
        raw = path.read_bytes()
        if suffixes.endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        if suffixes.endswith(".json") or suffixes.endswith(".json.gz"):
            return _read_json(raw, path)
        return _read_csv(raw, path)
    except DataFormatError:
        raise
    except (OSError, ValueError, UnicodeDecodeError, EOFError, TypeError, KeyError, IndexError) as exc:
        raise DataFormatError(f"cannot read file: {exc}", path=path) from exc


def normalise_prices(table: pd.DataFrame, *, source: str = "<frame>", column: str | None = None) -> pd.DataFrame:
    """Turn a raw table (as from :func:`read_table`) into the normalised price frame of :func:`load_prices`."""
    if table.shape[0] == 0:
        raise DataFormatError("file has no data rows", path=source)
    names = {_norm(c): c for c in table.columns}
    time_key = next((k for k in TIME_COLUMNS if k in names), None)
    if time_key is None:
        raise DataFormatError(
            f"no time column among {list(table.columns)}",
            path=source,
            hint=f"name the time column one of {', '.join(TIME_COLUMNS)}",
        )
    times = parse_times(table[names[time_key]], source=source, column=str(names[time_key]))

    out: dict[str, np.ndarray] = {}
    if column is not None:
        key = _norm(column)
        if key not in names:
            raise DataFormatError(f"column {column!r} not found; columns are {list(table.columns)}", path=source)
        out["close"] = _numeric(table[names[key]], source=source, column=str(names[key]))
        series = str(names[key])
    else:
        for field, aliases in ALIASES.items():
            key = next((a for a in aliases if a in names), None)
            if key is not None:
                out[field] = _numeric(table[names[key]], source=source, column=str(names[key]))
                if field == "close":
                    series = str(names[key])
        if "close" not in out:
            candidates = _numeric_candidates(table, exclude={names[time_key]})
            if len(candidates) == 1:
                series = str(candidates[0])
                out = {"close": _numeric(table[candidates[0]], source=source, column=series)}
            elif not candidates:
                raise DataFormatError(f"no price column among {list(table.columns)}", path=source)
            else:
                raise SeveralSeriesError(
                    f"several series and no close column: {', '.join(map(str, candidates))}",
                    path=source,
                    hint="choose one with column=NAME (CLI: --column NAME)",
                    candidates=[str(c) for c in candidates],
                )
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(times, name="time"))
    frame = frame[[c for c in (*PRICE_FIELDS, "volume") if c in frame.columns]]
    rows = np.arange(1, len(frame) + 1)
    reversed_ = _is_newest_first(frame.index)
    if reversed_:
        frame = frame.iloc[::-1]
        rows = rows[::-1].copy()
    frame.attrs.update({"source": source, "series": series, "reversed": reversed_, "rows": rows})
    return frame


def available_series(path: str | Path) -> list[str]:
    """Numeric columns of a file that could serve as a price series (for ``--column`` hints)."""
    table = read_table(path)
    names = {_norm(c): c for c in table.columns}
    time_cols = {names[k] for k in TIME_COLUMNS if k in names}
    return [str(c) for c in _numeric_candidates(table, exclude=time_cols)]


def parse_times(
    values: pd.Series | Sequence[Any], *, source: str = "<frame>", column: str = "time"
) -> pd.DatetimeIndex:
    """Parse a time column into a UTC ``DatetimeIndex``.

    Numbers are epoch timestamps whose unit is detected from the magnitude of the largest value:
    below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds. Strings are
    ISO-8601 (a trailing ``UTC`` or ``Z`` is accepted); naive times are taken as UTC.

    Raises
    ------
    DataFormatError
        Naming the first row whose value cannot be parsed.
    """
    series = pd.Series(values).reset_index(drop=True)
    if series.isna().any():
        row = int(np.flatnonzero(series.isna().to_numpy())[0]) + 1
        raise DataFormatError(f"missing time in column {column!r}", path=source, row=row)
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.notna().all() and len(series) > 0:
        arr = numeric.to_numpy(dtype="float64")
        if not np.isfinite(arr).all():
            row = int(np.flatnonzero(~np.isfinite(arr))[0]) + 1
            raise DataFormatError(f"non-finite epoch time in column {column!r}", path=source, row=row)
        _, scale = _epoch_unit(float(np.max(np.abs(arr))))
        # Integer nanoseconds keep microsecond epochs with fractional parts exact enough (sub-µs).
        ns = np.round(arr * scale).astype("int64")
        out = pd.to_datetime(ns, unit="ns", utc=True)
        return pd.DatetimeIndex(out)
    text = series.astype(str).str.strip()
    text = text.str.replace(r"\s*UTC$", "+00:00", regex=True)
    try:
        parsed = pd.to_datetime(text, utc=True, format="ISO8601")
    except (ValueError, TypeError, OverflowError):
        parsed = pd.to_datetime(text, utc=True, format="mixed", errors="coerce")
        if parsed.isna().any():
            row = int(np.flatnonzero(parsed.isna().to_numpy())[0]) + 1
            raise DataFormatError(
                f"cannot parse time {text.iloc[row - 1]!r} in column {column!r}", path=source, row=row
            ) from None
    return pd.DatetimeIndex(parsed)


# ---------------------------------------------------------------------------------------------- helpers


def _epoch_unit(magnitude: float) -> tuple[str, float]:
    """Unit of an epoch timestamp from its magnitude, and the factor to nanoseconds."""
    if magnitude < 1e11:
        return "s", 1e9
    if magnitude < 1e14:
        return "ms", 1e6
    if magnitude < 1e17:
        return "us", 1e3
    return "ns", 1.0


def _numeric(values: pd.Series, *, source: str, column: str) -> np.ndarray:
    """Convert a column to float64; null tokens become NaN, anything else unparseable is an error."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    text = values.astype("string").str.strip()
    numbers = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    bad = numbers.isna() & ~text.isna() & ~text.str.lower().isin(_NULL_TOKENS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy(dtype=bool))[0]) + 1
        raise DataFormatError(
            f"not a number in column {column!r}: {text.iloc[row - 1]!r}",
            path=source,
            row=row,
            hint="fix or remove the row; empty cells and 'null' are read as missing",
        )
    return numbers.to_numpy(dtype="float64", na_value=np.nan)


def _numeric_candidates(table: pd.DataFrame, exclude: set[Any]) -> list[Any]:
    skip = {"trade_count", "trades", "trades_count", "doc_count", "count", "market_cap", "close_time"}
    volume_like = set(ALIASES["volume"]) | {
        "quote_volume",
        "volume_usdt",
        "taker_buy_base",
        "taker_buy_quote",
    }
    out = []
    for col in table.columns:
        key = _norm(col)
        if col in exclude or key in skip or key in volume_like or key in TIME_COLUMNS:
            continue
        values = pd.to_numeric(table[col], errors="coerce")
        if values.notna().mean() > 0.5:
            out.append(col)
    return out


def _is_newest_first(index: pd.DatetimeIndex) -> bool:
    if len(index) < 2:
        return False
    steps = np.diff(index.asi8)
    return bool(index[0] > index[-1] and (steps < 0).sum() > (steps > 0).sum())


def _read_csv(raw: bytes, path: Path) -> pd.DataFrame:
    text = raw.decode("utf-8-sig")
    if not text.strip():
        raise DataFormatError("file is empty", path=path)
    if "\x00" in text:
        raise DataFormatError("file is binary, not CSV text", path=path)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=None, engine="python", dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        row = int(match.group(1)) - 1 if match else None
        raise DataFormatError(f"malformed CSV: {exc}", path=path, row=row) from exc
    except (csv.Error, pd.errors.EmptyDataError) as exc:
        raise DataFormatError(f"malformed CSV: {exc}", path=path) from exc
    if frame.shape[1] < 2:
        raise DataFormatError(f"expected a time column and a price column, found {list(frame.columns)}", path=path)
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise DataFormatError(
            "reading Parquet needs pyarrow", path=path, hint="pip install 'solvency[parquet]'"
        ) from exc
    try:
        return pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow raises many types (ArrowInvalid, OSError …) on corrupt files
        raise DataFormatError(f"cannot read Parquet: {exc}", path=path) from exc


def _read_json(raw: bytes, path: Path) -> pd.DataFrame:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"invalid JSON: {exc}", path=path) from exc
    frame = json_to_table(doc)
    if frame is None:
        raise DataFormatError(
            "unrecognised JSON layout",
            path=path,
            hint="use a list of records, a dict of columns, or a raw Binance/Coinbase/CoinGecko/Deribit answer",
        )
    return frame


BINANCE_KLINE_COLUMNS = (
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "trades",
    "taker_buy_base",
    "taker_buy_quote",
    "ignore",
)
COINBASE_CANDLE_COLUMNS = ("time", "low", "high", "open", "close", "volume")
DERIBIT_DVOL_COLUMNS = ("timestamp", "open", "high", "low", "close")


def json_to_table(doc: Any) -> pd.DataFrame | None:
    """Interpret a decoded JSON document as a table, or return ``None`` if its layout is unknown.

    Known layouts: list of records; dict of equal-length columns; Binance klines (list of 12-element
    arrays); Coinbase Exchange candles (list of 6-element arrays ``[time, low, high, open, close, volume]``);
    CoinGecko ``market_chart`` (``{"prices": [[ms, price], …]}``); Deribit volatility index
    (``{"result": {"data": [[ms, o, h, l, c], …]}}``).
    """
    if isinstance(doc, dict) and isinstance(doc.get("result"), dict) and "data" in doc["result"]:
        doc = doc["result"]["data"]
        rows = [r for r in doc if isinstance(r, list)]
        if rows and all(len(r) == 5 for r in rows):
            return pd.DataFrame(rows, columns=DERIBIT_DVOL_COLUMNS)
        return None
    if isinstance(doc, dict) and isinstance(doc.get("prices"), list):
        rows = doc["prices"]
        if all(isinstance(r, list) and len(r) == 2 for r in rows):
            frame = pd.DataFrame(rows, columns=["timestamp", "close"])
            vols = doc.get("total_volumes")
            if isinstance(vols, list) and len(vols) == len(rows):
                frame["volume"] = [v[1] if isinstance(v, list) and len(v) == 2 else None for v in vols]
            return frame
        return None
    if isinstance(doc, dict) and doc and all(isinstance(v, list) for v in doc.values()):
        lengths = {len(v) for v in doc.values()}
        return pd.DataFrame(doc) if len(lengths) == 1 else None
    if isinstance(doc, list) and doc:
        if all(isinstance(r, dict) for r in doc):
            return pd.DataFrame.from_records(doc)
        if all(isinstance(r, list) for r in doc):
            widths = {len(r) for r in doc}
            if widths == {12}:
                return pd.DataFrame(doc, columns=BINANCE_KLINE_COLUMNS)
            if widths == {6}:
                return pd.DataFrame(doc, columns=COINBASE_CANDLE_COLUMNS)
    return None
