"""Offline stand-ins for the public endpoints, answering in their documented formats.

Formats (from each venue's API reference):

* Binance ``GET /api/v3/klines``: a list of 12-value arrays ``[open_time_ms, "open", "high", "low", "close",
  "volume", close_time_ms, "quote_volume", trades, "taker_buy_base", "taker_buy_quote", "0"]``, oldest
  first, at most ``limit`` (≤ 1000) with ``startTime <= open_time <= endTime``; errors ``{"code", "msg"}``.
* Coinbase Exchange ``GET /products/{id}/candles``: ``[[time_s, low, high, open, close, volume], …]``
  newest first, at most 300 buckets (more is refused with HTTP 400); buckets without trades are absent and
  a few may precede ``start``.
* CoinGecko ``GET /api/v3/coins/{id}/market_chart/range``: ``{"prices": [[ms, p]], "market_caps": …,
  "total_volumes": …}``; spacing automatic: hourly for 1-90 days (stamped a few seconds after the hour),
  daily at 00:00 beyond 90 days.
* Deribit ``GET /api/v2/public/get_volatility_index_data``: ``{"jsonrpc": "2.0", "result": {"data":
  [[ms, o, h, l, c], …], "continuation": ms | null}}``; 1,000 candles at most, the newest ones, with
  ``continuation`` to send as the next ``end_timestamp``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import httpx
import pandas as pd


def price(t_s: float) -> float:
    """A smooth positive test price at time ``t_s`` (epoch seconds)."""
    return 100.0 * math.exp(0.05 * math.sin(t_s / 86_400.0) + 0.01 * math.cos(t_s / 3_600.0))


@dataclass
class FakeClock:
    """Monotonic clock that only moves when someone sleeps; records the sleeps."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def binance(request: httpx.Request, *, listed_from_ms: int = 0) -> httpx.Response:
    q = request.url.params
    if q["symbol"] != "ETHUSDT":
        return httpx.Response(400, json={"code": -1121, "msg": "Invalid symbol."})
    units = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
    step_ms = int(q["interval"][:-1]) * units[q["interval"][-1]]
    start, end, limit = int(q["startTime"]), int(q["endTime"]), int(q["limit"])
    assert limit <= 1000
    first = max(-(-start // step_ms) * step_ms, listed_from_ms)
    rows = []
    t = first
    while t <= end and len(rows) < limit:
        p = price(t / 1000)
        rows.append(
            [
                t,
                f"{p:.2f}",
                f"{p * 1.01:.2f}",
                f"{p * 0.99:.2f}",
                f"{p:.2f}",
                "10.5",
                t + step_ms - 1,
                "1050",
                7,
                "5",
                "500",
                "0",
            ]
        )
        t += step_ms
    return httpx.Response(200, json=rows)


def coinbase(request: httpx.Request, *, no_trades: tuple[int, int] | None = None, early: int = 2) -> httpx.Response:
    q = request.url.params
    g = int(q["granularity"])
    start = int(pd.Timestamp(q["start"]).timestamp())
    end = int(pd.Timestamp(q["end"]).timestamp())
    if (end - start) // g + 1 > 300:
        return httpx.Response(
            400,
            json={
                "message": "granularity too small for the requested time range. Count of aggregations requested "
                "exceeds 300"
            },
        )
    out = []
    for t in range(start - early * g, end + 1, g):  # a few candles before the asked start, as documented
        if no_trades and no_trades[0] <= t < no_trades[1]:
            continue
        p = price(t)
        out.append([t, round(p * 0.99, 2), round(p * 1.01, 2), round(p, 2), round(p, 2), 12.5])
    return httpx.Response(200, json=out[::-1])  # newest first


def coingecko(request: httpx.Request, *, stamp_offset_ms: int = 12_345) -> httpx.Response:
    q = request.url.params
    a, b = int(q["from"]), int(q["to"])
    span = b - a
    if span > 90 * 86_400:
        step, offset = 86_400, 0
    elif span >= 86_400:
        step, offset = 3_600, stamp_offset_ms
    else:
        step, offset = 300, 0
    first = -(-a // step) * step
    prices = [[t * 1000 + offset, price(t)] for t in range(first, b + 1, step)]
    return httpx.Response(
        200,
        json={
            "prices": prices,
            "market_caps": [[ms, p * 1e8] for ms, p in prices],
            "total_volumes": [[ms, 1e9] for ms, _ in prices],
        },
    )


def deribit(request: httpx.Request, *, page: int = 1000, overlap: bool = True) -> httpx.Response:
    q = request.url.params
    res = q["resolution"]
    step_ms = 86_400_000 if res == "1D" else int(res) * 1000
    start, end = int(q["start_timestamp"]), int(q["end_timestamp"])
    times = list(range(-(-start // step_ms) * step_ms, end + 1, step_ms))
    chunk = times[-page:]
    more = len(times) > page
    data = [
        [t, price(t / 1000) / 2, price(t / 1000) / 2 + 1, price(t / 1000) / 2 - 1, price(t / 1000) / 2] for t in chunk
    ]
    cont = (chunk[0] if overlap else chunk[0] - 1) if more else None
    return httpx.Response(
        200, json={"jsonrpc": "2.0", "result": {"data": data, "continuation": cont}, "usIn": 1, "usOut": 2}
    )
