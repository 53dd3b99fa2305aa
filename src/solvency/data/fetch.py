"""Real fetchers for public market-data endpoints that need no key.

=========== ================================================ ============================ ===================
source      endpoint                                         intervals                    paging
=========== ================================================ ============================ ===================
binance     ``GET /api/v3/klines`` (api.binance.com)         1m 3m 5m 15m 30m 1h 2h 4h    1,000 klines a page,
                                                             6h 8h 12h 1d 3d 1w           forward by startTime
coinbase    ``GET /products/{id}/candles``                   1m 5m 15m 1h 6h 1d           300 candles a window,
            (api.exchange.coinbase.com)                                                   newest first
coingecko   ``GET /api/v3/coins/{id}/market_chart/range``    1h 1d                        windows sized so the
                                                                                          automatic granularity
                                                                                          is the one asked
deribit     ``GET /api/v2/public/get_volatility_index_data`` 1s 1m 1h 12h 1d              backwards by
            (DVOL)                                                                        ``continuation``
=========== ================================================ ============================ ===================

Conventions: bars are labelled by their **open** time in UTC; the range is half-open, bars with
``start <= time < end``. Pages that overlap (Coinbase may answer candles before the asked start) are
merged keeping one row per time, and how many repeats were merged is reported. Empty pages are normal
(Coinbase publishes no candle for a bucket without trades) and do not stop the walk through windows.

CoinGecko has no OHLC here: its ``market_chart/range`` gives price snapshots whose spacing it chooses from
the span asked (up to 1 day from now: 5-minutely; 1-90 days: hourly; more than 90 days: daily at 00:00
UTC). Windows are therefore at most 89 days for hourly data and stretched back to at least 91 days for
daily data, then trimmed; each snapshot is labelled with the nearest grid time (CoinGecko stamps hourly
points a few seconds to minutes after the hour), keeping the snapshot closest to it. Its
``total_volumes`` is a rolling 24-hour volume, not a per-bar volume, so it is not written as ``volume``.
The keyless API serves only about the past year of history; an older range is refused with CoinGecko's
own message.

Client-side rate limits (token buckets) stay under each venue's published public limits: Binance 5
requests/s, Coinbase 3/s, CoinGecko 10/min, Deribit 5/s. Retries, backoff and ``Retry-After`` are those of
:mod:`solvency.data.http`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd

from solvency.data.http import JsonClient, RetryPolicy
from solvency.data.loading import (
    BINANCE_KLINE_COLUMNS,
    COINBASE_CANDLE_COLUMNS,
    DERIBIT_DVOL_COLUMNS,
    load_prices,
    normalise_prices,
)
from solvency.data.validation import ValidationReport, validate_prices
from solvency.data.writing import write_prices
from solvency.errors import FetchError, SolvencyInputError
from solvency.units import format_duration, parse_duration

DAY = 86_400


@dataclass(frozen=True)
class Source:
    """A public endpoint: where it is, the bar lengths it serves (seconds → its own code), its rate limit."""

    name: str
    base_url: str
    intervals: dict[int, str]
    rate: float
    burst: int
    page_size: int


SOURCES: dict[str, Source] = {
    "binance": Source(
        "binance",
        "https://api.binance.com",
        {
            s: format_duration(s)
            for s in (60, 180, 300, 900, 1800, 3600, 7200, 14400, 21600, 28800, 43200, DAY, 3 * DAY, 7 * DAY)
        },
        rate=5.0,
        burst=5,
        page_size=1000,
    ),
    "coinbase": Source(
        "coinbase",
        "https://api.exchange.coinbase.com",
        {s: str(s) for s in (60, 300, 900, 3600, 21600, DAY)},
        rate=3.0,
        burst=3,
        page_size=300,
    ),
    "coingecko": Source(
        "coingecko",
        "https://api.coingecko.com",
        {3600: "hourly", DAY: "daily"},
        rate=10.0 / 60.0,
        burst=1,
        page_size=0,
    ),
    "deribit": Source(
        "deribit",
        "https://www.deribit.com",
        {1: "1", 60: "60", 3600: "3600", 43200: "43200", DAY: "1D"},
        rate=5.0,
        burst=5,
        page_size=1000,
    ),
}
"""The sources :func:`fetch_prices` knows."""


@dataclass
class FetchResult:
    """Bars fetched from a source, and what it took.

    Attributes
    ----------
    frame
        Normalised as :func:`~solvency.data.loading.load_prices` returns it, sorted, within ``[start, end)``.
    source, symbol, interval
        What was asked (symbol as sent to the source; interval as ``"1h"``).
    start, end
        The half-open range asked (UTC).
    pages
        Answers received (including empty ones).
    requests, retries
        HTTP requests sent (retries included) and retries among them.
    merged_repeats
        Rows returned more than once by overlapping pages, merged into one.
    """

    frame: pd.DataFrame
    source: str
    symbol: str
    interval: str
    start: pd.Timestamp
    end: pd.Timestamp
    pages: int = 0
    requests: int = 0
    retries: int = 0
    merged_repeats: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the bars)."""
        idx = self.frame.index
        return {
            "source": self.source,
            "symbol": self.symbol,
            "interval": self.interval,
            "start": self.start,
            "end": self.end,
            "rows": len(self.frame),
            "first": idx[0] if len(idx) else None,
            "last": idx[-1] if len(idx) else None,
            "pages": self.pages,
            "requests": self.requests,
            "retries": self.retries,
            "merged_repeats": self.merged_repeats,
            "notes": self.notes,
        }


def fetch_prices(
    source: str,
    symbol: str,
    *,
    interval: str | int,
    start: Any,
    end: Any,
    transport: httpx.BaseTransport | None = None,
    policy: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    seed: int | np.random.Generator | None = None,
    on_page: Callable[[int], None] | None = None,
) -> FetchResult:
    """Fetch bars of ``symbol`` from a public ``source`` over ``[start, end)``.

    Parameters
    ----------
    source
        ``"binance"``, ``"coinbase"``, ``"coingecko"`` or ``"deribit"``.
    symbol
        Binance ``ETHUSDT`` (``ETH/USDT`` accepted); Coinbase product ``ETH-USD``; CoinGecko coin id with
        an optional quote, ``ethereum`` or ``ethereum/eur`` (default ``usd``); Deribit currency ``BTC`` or
        ``ETH`` (the DVOL index).
    interval
        Bar length, ``"1h"``, ``"1d"`` … (seconds accepted); must be one the source serves.
    start, end
        Dates or times (ISO strings, ``datetime``, ``Timestamp``); naive means UTC; ``end`` excluded.
    transport
        httpx transport; ``httpx.MockTransport`` in tests, the network when None.
    policy, clock, sleep, seed
        Retry policy, time functions and jitter seed (see :mod:`solvency.data.http`).
    on_page
        Called with the number of rows of each answer (progress bars).

    Raises
    ------
    SolvencyInputError
        Unknown source, unsupported interval, bad dates, or no bar in the range.
    FetchError
        The source failed after all retries, or refused the request (its message is passed on).
    """
    spec = _source(source)
    step = parse_duration(interval)
    if step not in spec.intervals:
        served = ", ".join(format_duration(s) for s in spec.intervals)
        raise SolvencyInputError(
            f"{spec.name} does not serve {format_duration(step)} bars", hint=f"use one of {served}"
        )
    t0, t1 = _time(start, "start"), _time(end, "end")
    if t1 <= t0:
        raise SolvencyInputError(f"--end {t1} is not after --start {t0}")
    symbol = _symbol(spec.name, symbol)
    client = JsonClient(
        spec.name,
        spec.base_url,
        rate=spec.rate,
        burst=spec.burst,
        policy=policy,
        transport=transport,
        clock=clock,
        sleep=sleep,
        seed=seed,
    )
    walk = {"binance": _binance, "coinbase": _coinbase, "coingecko": _coingecko, "deribit": _deribit}[spec.name]
    with client:
        table, pages, notes = walk(client, spec, symbol, step, t0, t1, on_page or (lambda n: None))
    if table.empty:
        raise SolvencyInputError(
            f"{spec.name} returned no {format_duration(step)} bars for {symbol} in [{t0}, {t1})",
            hint="check the symbol and the dates (was it listed then?)",
        )
    frame, merged = _finish(table, spec.name, symbol, t0, t1)
    if frame.empty:
        raise SolvencyInputError(f"{spec.name} returned bars for {symbol}, but none in [{t0}, {t1})")
    return FetchResult(
        frame=frame,
        source=spec.name,
        symbol=symbol,
        interval=format_duration(step),
        start=t0,
        end=t1,
        pages=pages,
        requests=client.stats.requests,
        retries=client.stats.retries,
        merged_repeats=merged,
        notes=notes,
    )


def fetch_to_file(
    source: str, symbol: str, *, out: str | Path, **kwargs: Any
) -> tuple[FetchResult, ValidationReport, Path]:
    """:func:`fetch_prices`, then write the bars to ``out`` and validate the file as read back.

    The format follows the suffix (CSV by default, ``.parquet``, ``.json``); the file is always written,
    and the report says whether it is usable as it is.
    """
    result = fetch_prices(source, symbol, **kwargs)
    path = write_prices(result.frame, out)
    report = validate_prices(load_prices(path))
    return result, report, path


# --------------------------------------------------------------------------------------------- sources


def _binance(client: JsonClient, spec: Source, symbol: str, step: int, t0, t1, on_page) -> tuple:
    step_ms = step * 1000
    cursor, end_ms = _ms(t0), _ms(t1)
    rows: list[list] = []
    pages = 0
    while cursor < end_ms:
        page = client.get(
            "/api/v3/klines",
            {
                "symbol": symbol,
                "interval": spec.intervals[step],
                "startTime": cursor,
                "endTime": end_ms - 1,
                "limit": spec.page_size,
            },
        )
        pages += 1
        page = _rows(page, 12, spec.name)
        on_page(len(page))
        if not page:
            break
        rows.extend(page)
        nxt = int(page[-1][0]) + step_ms
        if len(page) < spec.page_size or nxt <= cursor:
            break
        cursor = nxt
    return pd.DataFrame(rows, columns=BINANCE_KLINE_COLUMNS), pages, []


def _coinbase(client: JsonClient, spec: Source, symbol: str, step: int, t0, t1, on_page) -> tuple:
    rows: list[list] = []
    pages = 0
    empty = 0
    # Buckets are aligned on the granularity; both ends of a request are inclusive, at most 300 buckets.
    first = -(-_s(t0) // step) * step
    last = -(-_s(t1) // step) * step - step
    while first <= last:
        stop = min(first + (spec.page_size - 1) * step, last)
        page = client.get(
            f"/products/{symbol}/candles",
            {"granularity": spec.intervals[step], "start": _iso(first), "end": _iso(stop)},
        )
        pages += 1
        page = _rows(page, 6, spec.name)
        on_page(len(page))
        empty += not page
        rows.extend(page)
        first = stop + step
    notes = [f"{empty} of {pages} windows had no candle (no trades)"] if empty else []
    return pd.DataFrame(rows, columns=COINBASE_CANDLE_COLUMNS), pages, notes


def _coingecko(client: JsonClient, spec: Source, symbol: str, step: int, t0, t1, on_page) -> tuple:
    coin, _, quote = symbol.partition("/")
    window, minimum = (89 * DAY, 2 * DAY) if step == 3600 else (365 * DAY, 91 * DAY)
    points: list[list] = []
    pages = 0
    a, end_s = _s(t0), _s(t1)
    while a < end_s:
        b = min(a + window, end_s)
        ask_from = min(a, b - minimum)
        doc = client.get(
            f"/api/v3/coins/{coin}/market_chart/range", {"vs_currency": quote or "usd", "from": ask_from, "to": b}
        )
        pages += 1
        if not isinstance(doc, dict) or not isinstance(doc.get("prices"), list):
            raise FetchError(f"coingecko: unexpected answer (no 'prices' list): {str(doc)[:200]}")
        page = _rows(doc["prices"], 2, spec.name)
        on_page(len(page))
        points.extend(page)
        a = b
    if not points:
        return pd.DataFrame(columns=["timestamp", "close"]), pages, []
    arr = np.asarray(points, dtype="float64")
    ms = arr[:, 0].astype("int64")
    spacing = np.median(np.diff(np.unique(ms))) / 1000.0 if np.unique(ms).size > 1 else step
    if not 0.5 * step <= spacing <= 1.5 * step:
        raise FetchError(
            f"coingecko: answered points every {format_duration(spacing)}, not {format_duration(step)}",
        )
    step_ms = step * 1000
    grid = np.rint(ms / step_ms).astype("int64") * step_ms
    offset = np.abs(ms - grid)
    # One snapshot per grid time: the one closest to it.
    order = np.lexsort((offset, grid))
    first = np.r_[True, grid[order][1:] != grid[order][:-1]]
    keep = order[first]
    moved = int(np.count_nonzero(offset[keep]))
    table = pd.DataFrame({"timestamp": grid[keep], "close": arr[keep, 1]})
    notes = [f"{moved} snapshot times moved to the nearest {format_duration(step)} grid time"] if moved else []
    if len(points) > len(keep):
        notes.append(f"{len(points) - len(keep)} snapshots left out: another was closer to the same grid time")
    return table, pages, notes


def _deribit(client: JsonClient, spec: Source, symbol: str, step: int, t0, t1, on_page) -> tuple:
    start_ms, end_cur = _ms(t0), _ms(t1) - 1
    rows: list[list] = []
    pages = 0
    while True:
        doc = client.get(
            "/api/v2/public/get_volatility_index_data",
            {
                "currency": symbol,
                "start_timestamp": start_ms,
                "end_timestamp": end_cur,
                "resolution": spec.intervals[step],
            },
        )
        pages += 1
        result = doc.get("result") if isinstance(doc, dict) else None
        if not isinstance(result, dict):
            raise FetchError(f"deribit: unexpected answer (no 'result'): {str(doc)[:200]}")
        page = _rows(result.get("data") or [], 5, spec.name)
        on_page(len(page))
        rows.extend(page)
        cont = result.get("continuation")
        if not page or cont is None:
            break
        cont = int(cont)
        if cont >= end_cur or cont <= start_ms:  # no progress, or nothing older to ask for
            break
        end_cur = cont
    return pd.DataFrame(rows, columns=DERIBIT_DVOL_COLUMNS), pages, []


# --------------------------------------------------------------------------------------------- helpers


def _finish(table: pd.DataFrame, source: str, symbol: str, t0: pd.Timestamp, t1: pd.Timestamp) -> tuple:
    frame = normalise_prices(table, source=f"{source}:{symbol}")
    frame = frame.loc[(frame.index >= t0) & (frame.index < t1)]
    frame = frame.sort_index(kind="stable")
    repeats = frame.index.duplicated(keep="last")
    frame = frame.loc[~repeats].copy()
    frame.attrs.update(
        {"source": f"{source}:{symbol}", "series": "close", "reversed": False, "rows": np.arange(1, len(frame) + 1)}
    )
    return frame, int(repeats.sum())


def _rows(page: Any, width: int, name: str) -> list[list]:
    if not isinstance(page, list) or not all(isinstance(r, list) and len(r) >= width for r in page):
        raise FetchError(f"{name}: unexpected answer (expected a list of {width}-value rows): {str(page)[:200]}")
    return [r[:width] for r in page]


def _source(name: str) -> Source:
    key = str(name).strip().lower()
    if key not in SOURCES:
        raise SolvencyInputError(f"unknown source {name!r}", hint=f"use one of {', '.join(SOURCES)}")
    return SOURCES[key]


def _symbol(source: str, symbol: str) -> str:
    s = str(symbol).strip()
    if not s:
        raise SolvencyInputError("empty symbol")
    if source == "binance":
        return s.replace("/", "").replace("-", "").upper()
    if source == "coinbase":
        return s.replace("/", "-").upper()
    if source == "coingecko":
        return s.lower()
    return s.upper()


def _time(value: Any, name: str) -> pd.Timestamp:
    try:
        t = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise SolvencyInputError(f"--{name} {value!r} is not a date or time", hint="use e.g. 2024-01-31") from exc
    if pd.isna(t):
        raise SolvencyInputError(f"--{name} is missing")
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def _ms(t: pd.Timestamp) -> int:
    return int(t.as_unit("ns").value // 1_000_000)


def _s(t: pd.Timestamp) -> int:
    return int(t.as_unit("ns").value // 1_000_000_000)


def _iso(seconds: int) -> str:
    return pd.Timestamp(seconds, unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
