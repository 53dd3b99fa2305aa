"""Fetchers against offline stand-ins of the real endpoints (httpx.MockTransport, fake clock)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.data import fetch as fetch_module
from solvency.data.fetch import fetch_prices, fetch_to_file
from solvency.data.http import JsonClient, RateLimiter, RetryPolicy
from solvency.data.loading import load_prices
from solvency.errors import FetchError, SolvencyInputError
from tests.data import fakes

H = 3_600


class Recorder:
    """A MockTransport handler that records requests and can fail the first few."""

    def __init__(self, handler, failures: list | None = None) -> None:
        self.handler = handler
        self.failures = list(failures or [])
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        return self.handler(request)


def run(
    source: str, symbol: str, handler, *, clock: fakes.FakeClock | None = None, **kwargs
) -> fetch_module.FetchResult:
    clock = clock or fakes.FakeClock()
    return fetch_prices(
        source, symbol, transport=httpx.MockTransport(handler), clock=clock, sleep=clock.sleep, seed=1, **kwargs
    )


# ------------------------------------------------------------------------------------------- binance


def test_binance_pages_forward_by_start_time() -> None:
    rec = Recorder(fakes.binance)
    result = run("binance", "ETH/USDT", rec, interval="1h", start="2024-01-01", end="2024-04-15")
    n = (pd.Timestamp("2024-04-15") - pd.Timestamp("2024-01-01")) // pd.Timedelta("1h")
    assert len(result.frame) == n == 2520 and result.pages == 3 and result.requests == 3
    starts = [int(r.url.params["startTime"]) for r in rec.requests]
    assert starts[1] - starts[0] == 1000 * H * 1000  # next page starts one bar after the last received
    assert rec.requests[0].url.path == "/api/v3/klines" and rec.requests[0].url.params["limit"] == "1000"
    assert result.frame.index[0] == pd.Timestamp("2024-01-01", tz="UTC")
    assert result.frame.index[-1] == pd.Timestamp("2024-04-14 23:00", tz="UTC")
    assert list(result.frame.columns) == ["open", "high", "low", "close", "volume"]
    t = result.frame.index[5].value / 1e9
    assert result.frame["close"].iloc[5] == pytest.approx(fakes.price(t), abs=0.005)


def test_binance_single_short_page_and_listing_date() -> None:
    listed = int(pd.Timestamp("2024-01-03", tz="UTC").value // 1_000_000)
    rec = Recorder(functools.partial(fakes.binance, listed_from_ms=listed))
    result = run("binance", "ETHUSDT", rec, interval="1d", start="2023-12-01", end="2024-01-10")
    assert len(result.frame) == 7 and result.pages == 1
    assert result.frame.index[0] == pd.Timestamp("2024-01-03", tz="UTC")


def test_binance_empty_page_is_no_data() -> None:
    rec = Recorder(lambda r: httpx.Response(200, json=[]))
    with pytest.raises(SolvencyInputError, match="returned no 1h bars"):
        run("binance", "ETHUSDT", rec, interval="1h", start="2024-01-01", end="2024-01-02")
    assert len(rec.requests) == 1


def test_binance_bad_symbol_is_not_retried() -> None:
    rec = Recorder(fakes.binance)
    with pytest.raises(FetchError, match="HTTP 400: Invalid symbol"):
        run("binance", "NOPEUSDT", rec, interval="1h", start="2024-01-01", end="2024-01-02")
    assert len(rec.requests) == 1


# ------------------------------------------------------------------------------------------ retries


def test_429_with_retry_after_then_success() -> None:
    clock = fakes.FakeClock()
    rec = Recorder(fakes.binance, failures=[httpx.Response(429, headers={"Retry-After": "7"}, json={"code": -1003})])
    result = run("binance", "ETHUSDT", rec, clock=clock, interval="1h", start="2024-01-01", end="2024-01-02")
    assert len(result.frame) == 24 and result.retries == 1 and result.requests == 2
    assert 7.0 in clock.sleeps  # the server's wait, not our backoff


def test_500_storm_ends_in_fetch_error_with_exponential_backoff() -> None:
    clock = fakes.FakeClock()
    storm = [httpx.Response(503, text="<html>Service Unavailable</html>")] * 10
    rec = Recorder(fakes.binance, failures=storm)
    policy = RetryPolicy(attempts=5, base_delay=1.0, max_delay=4.0)
    with pytest.raises(FetchError, match="failed after 5 attempts; last: HTTP 503"):
        run("binance", "ETHUSDT", rec, clock=clock, policy=policy, interval="1h", start="2024-01-01", end="2024-01-02")
    assert len(rec.requests) == 5
    backoffs = [s for s in clock.sleeps if s >= 0.5]  # rate-limit waits are shorter
    caps = [1.0, 2.0, 4.0, 4.0]  # min(max_delay, base · 2^(k-1)); each wait in [cap/2, cap]
    assert len(backoffs) == 4
    for wait, cap in zip(backoffs, caps, strict=True):
        assert cap / 2 <= wait <= cap


def test_timeouts_and_connection_errors_are_retried() -> None:
    rec = Recorder(
        fakes.binance, failures=[httpx.ReadTimeout("slow"), httpx.ConnectError("refused"), httpx.Response(502)]
    )
    result = run("binance", "ETHUSDT", rec, interval="1h", start="2024-01-01", end="2024-01-02")
    assert result.retries == 3 and len(result.frame) == 24


def test_too_long_retry_after_stops_at_once() -> None:
    rec = Recorder(fakes.binance, failures=[httpx.Response(418, headers={"Retry-After": "7200"})] * 3)
    with pytest.raises(FetchError, match="asks to wait 7200 s"):
        run("binance", "ETHUSDT", rec, interval="1h", start="2024-01-01", end="2024-01-02")
    assert len(rec.requests) == 1


def test_retry_after_as_http_date() -> None:
    from solvency.data.http import _retry_after

    assert _retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now=1445412500.0) == pytest.approx(10.0)
    assert _retry_after("garbage", now=0.0) is None and _retry_after("3", now=0.0) == 3.0


def test_backoff_jitter_is_seeded() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=60.0)
    a = [policy.backoff(k, np.random.default_rng(5)) for k in range(1, 6)]
    b = [policy.backoff(k, np.random.default_rng(5)) for k in range(1, 6)]
    assert a == b
    assert all(2 ** (k - 2) <= w <= 2 ** (k - 1) for k, w in enumerate(a, start=1))


def test_rate_limiter_token_bucket() -> None:
    clock = fakes.FakeClock()
    bucket = RateLimiter(5.0, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(15):
        bucket.acquire()
    assert sum(clock.sleeps) == pytest.approx(2.0)  # 5 free, then 10 at 5 a second
    clock.now += 10.0  # a quiet spell refills the burst, no more
    for _ in range(5):
        bucket.acquire()
    assert sum(clock.sleeps) == pytest.approx(2.0)
    bucket.acquire()
    assert sum(clock.sleeps) == pytest.approx(2.2)


def test_client_honours_its_rate_limit_across_pages() -> None:
    clock = fakes.FakeClock()
    rec = Recorder(fakes.deribit)
    run("deribit", "BTC", rec, clock=clock, interval="1h", start="2024-01-01", end="2024-07-01")
    # 4,368 hourly candles → 5 pages; 5 requests fit in the burst of 5 at 5/s: no wait.
    assert len(rec.requests) == 5 and sum(clock.sleeps) == 0.0
    client = JsonClient(
        "x",
        "https://x",
        rate=2.0,
        burst=1,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=[])),
        clock=clock,
        sleep=clock.sleep,
    )
    for _ in range(4):
        client.get("/y")
    assert client.stats.rate_limit_seconds == pytest.approx(1.5)


def test_non_json_answer() -> None:
    rec = Recorder(lambda r: httpx.Response(200, text="<html>maintenance</html>"))
    with pytest.raises(FetchError, match="not JSON"):
        run("binance", "ETHUSDT", rec, interval="1h", start="2024-01-01", end="2024-01-02")


# ------------------------------------------------------------------------------------------ coinbase


def test_coinbase_windows_of_300_newest_first_and_early_candles_trimmed() -> None:
    rec = Recorder(fakes.coinbase)
    result = run("coinbase", "eth/usd", rec, interval="1h", start="2020-03-01", end="2020-03-31")
    assert len(result.frame) == 30 * 24 and result.frame.index.is_monotonic_increasing
    assert result.pages == 3  # 720 buckets: 300 + 300 + 120
    assert all(r.url.path == "/products/ETH-USD/candles" for r in rec.requests)
    first = rec.requests[0].url.params
    assert (first["start"], first["end"], first["granularity"]) == (
        "2020-03-01T00:00:00Z",
        "2020-03-13T11:00:00Z",
        "3600",
    )
    assert result.merged_repeats > 0  # the early candles of later windows repeat the previous window's
    assert result.frame.index[0] == pd.Timestamp("2020-03-01", tz="UTC")
    row = result.frame.iloc[10]
    assert row["low"] < row["close"] < row["high"]


def test_coinbase_empty_windows_do_not_stop_the_walk() -> None:
    quiet = (
        int(pd.Timestamp("2020-03-05", tz="UTC").timestamp()),
        int(pd.Timestamp("2020-03-30", tz="UTC").timestamp()),
    )
    rec = Recorder(functools.partial(fakes.coinbase, no_trades=quiet, early=0))
    result = run("coinbase", "ETH-USD", rec, interval="1h", start="2020-03-01", end="2020-04-10")
    assert result.pages == 4 and len(result.frame) == 40 * 24 - 25 * 24
    assert any("had no candle" in n for n in result.notes)
    report = fetch_module.validate_prices(result.frame)
    gap = report.of_kind("gap")
    assert [(g.time, g.bars) for g in gap] == [(pd.Timestamp("2020-03-05", tz="UTC"), 600)]


def test_coinbase_unsupported_interval() -> None:
    with pytest.raises(SolvencyInputError, match="does not serve 4h"):
        run("coinbase", "ETH-USD", fakes.coinbase, interval="4h", start="2020-03-01", end="2020-03-02")


# ----------------------------------------------------------------------------------------- coingecko


def test_coingecko_hourly_in_windows_under_90_days_snapped_to_the_hour() -> None:
    rec = Recorder(fakes.coingecko)
    result = run("coingecko", "ethereum", rec, interval="1h", start="2024-01-01", end="2024-07-01")
    spans = [int(r.url.params["to"]) - int(r.url.params["from"]) for r in rec.requests]
    assert all(86_400 <= s <= 89 * 86_400 for s in spans) and len(spans) == 3
    assert rec.requests[0].url.params["vs_currency"] == "usd"
    idx = result.frame.index
    assert len(idx) == 182 * 24 and (idx.minute == 0).all() and (idx.second == 0).all()
    assert any("moved to the nearest 1h grid" in n for n in result.notes)
    assert list(result.frame.columns) == ["close"]  # total_volumes is a rolling 24 h volume: not written


def test_coingecko_daily_short_range_asks_more_than_90_days() -> None:
    rec = Recorder(fakes.coingecko)
    result = run("coingecko", "ethereum/eur", rec, interval="1d", start="2024-03-01", end="2024-03-31")
    q = rec.requests[0].url.params
    assert int(q["to"]) - int(q["from"]) >= 91 * 86_400 and q["vs_currency"] == "eur"
    assert len(result.frame) == 30 and result.frame.index[0] == pd.Timestamp("2024-03-01", tz="UTC")


def test_coingecko_wrong_granularity_and_its_error_message() -> None:
    five_min = Recorder(lambda r: httpx.Response(200, json={"prices": [[i * 300_000, 1.0] for i in range(50)]}))
    with pytest.raises(FetchError, match="every 5m, not 1h"):
        run("coingecko", "ethereum", five_min, interval="1h", start="1970-01-01", end="1970-01-03")
    refused = {
        "error": {
            "status": {
                "error_code": 10012,
                "error_message": "Your request exceeds the allowed time range. Public API users are limited to "
                "querying historical data within the past 365 days.",
            }
        }
    }
    rec = Recorder(lambda r: httpx.Response(401, json=refused))
    with pytest.raises(FetchError, match="past 365 days"):
        run("coingecko", "ethereum", rec, interval="1d", start="2015-01-01", end="2016-01-01")


# ------------------------------------------------------------------------------------------- deribit


def test_deribit_pages_backwards_by_continuation() -> None:
    rec = Recorder(fakes.deribit)
    result = run("deribit", "btc", rec, interval="1h", start="2024-01-01", end="2024-04-01")
    n = 91 * 24
    assert len(result.frame) == n and result.pages == 3
    ends = [int(r.url.params["end_timestamp"]) for r in rec.requests]
    assert ends[0] > ends[1] > ends[2]
    assert result.merged_repeats == 2  # each continuation repeats the oldest candle of the page before
    assert rec.requests[0].url.params["resolution"] == "3600" and rec.requests[0].url.params["currency"] == "BTC"
    assert result.frame.index.is_unique and result.frame.index.is_monotonic_increasing


def test_deribit_daily_resolution_keyword_and_empty_answer() -> None:
    rec = Recorder(fakes.deribit)
    result = run("deribit", "ETH", rec, interval="1d", start="2023-01-01", end="2023-02-01")
    assert rec.requests[0].url.params["resolution"] == "1D" and len(result.frame) == 31
    empty = Recorder(
        lambda r: httpx.Response(200, json={"jsonrpc": "2.0", "result": {"data": [], "continuation": None}})
    )
    with pytest.raises(SolvencyInputError, match="returned no"):
        run("deribit", "ETH", empty, interval="1d", start="2023-01-01", end="2023-02-01")
    error = Recorder(
        lambda r: httpx.Response(400, json={"jsonrpc": "2.0", "error": {"message": "Invalid params", "code": -32602}})
    )
    with pytest.raises(FetchError, match="Invalid params"):
        run("deribit", "XYZ", error, interval="1d", start="2023-01-01", end="2023-02-01")


# ------------------------------------------------------------------------------------------ to file


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_written_file_round_trips_through_load_prices(tmp_path: Path, suffix: str) -> None:
    clock = fakes.FakeClock()
    result, report, path = fetch_to_file(
        "binance",
        "ETHUSDT",
        out=tmp_path / f"eth{suffix}",
        interval="4h",
        start="2024-01-01",
        end="2024-03-01",
        transport=httpx.MockTransport(fakes.binance),
        clock=clock,
        sleep=clock.sleep,
    )
    back = load_prices(path)
    assert back.index.equals(result.frame.index.as_unit(back.index.unit))
    np.testing.assert_array_equal(back.to_numpy(), result.frame.to_numpy())
    assert report.ok and report.rows == len(back) == 60 * 6 and report.frequency == "4h"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("kraken", "X", "1h", "2024-01-01", "2024-01-02"), "unknown source"),
        (("binance", "ETHUSDT", "7m", "2024-01-01", "2024-01-02"), "does not serve"),
        (("binance", "ETHUSDT", "1h", "2024-01-02", "2024-01-01"), "not after"),
        (("binance", "ETHUSDT", "1h", "yesterday-ish", "2024-01-01"), "not a date"),
        (("binance", " ", "1h", "2024-01-01", "2024-01-02"), "empty symbol"),
    ],
)
def test_bad_arguments(args: tuple, match: str) -> None:
    source, symbol, interval, start, end = args
    with pytest.raises(SolvencyInputError, match=match):
        run(source, symbol, fakes.binance, interval=interval, start=start, end=end)


# -------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch):
    """Route the CLI's fetchers to the fake endpoints, with a clock that never really sleeps."""
    clock = fakes.FakeClock()
    routes = {"api.binance.com": fakes.binance, "api.exchange.coinbase.com": fakes.coinbase}

    def handler(request: httpx.Request) -> httpx.Response:
        return routes[request.url.host](request)

    def client(*args, **kwargs) -> JsonClient:
        kwargs.update(transport=httpx.MockTransport(handler), clock=clock, sleep=clock.sleep)
        return JsonClient(*args, **kwargs)

    monkeypatch.setattr(fetch_module, "JsonClient", client)
    return clock


def test_cli_fetch_json(offline, tmp_path: Path) -> None:
    out = tmp_path / "eth.csv"
    args = ["data", "fetch", "binance", "ETHUSDT", "--interval", "1h", "--start", "2024-01-01", "--end", "2024-01-03"]
    result = CliRunner().invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["rows"] == 48 and doc["out"] == str(out) and doc["ok"] is True
    assert doc["first"] == "2024-01-01T00:00:00Z" and doc["report"]["frequency"] == "1h"
    assert len(load_prices(out)) == 48
    human = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert human.exit_code == 0 and "data fetch" in human.stdout and "no issues" in human.stdout


def test_cli_fetch_failure_is_one_json_error(offline, tmp_path: Path) -> None:
    args = ["data", "fetch", "binance", "NOPE", "--interval", "1h", "--start", "2024-01-01", "--end", "2024-01-03"]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "x.csv"), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["error"]["kind"] == "FetchError" and "Invalid symbol" in doc["error"]["message"]
    assert not (tmp_path / "x.csv").exists()
