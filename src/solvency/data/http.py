"""A small HTTP JSON client for public market-data endpoints: retries with backoff, and a rate limit.

* **Retries.** Timeouts, connection errors, HTTP 429 (and Binance's 418) and 5xx answers are retried up to
  ``RetryPolicy.attempts`` times in all. The wait before retry ``k`` (1-based) is exponential with "equal
  jitter": ``d = min(max_delay, base_delay · 2**(k-1))``, then ``d/2 + U(0, d/2)``, so that many clients
  backing off together do not retry in lockstep. A ``Retry-After`` header (seconds or an HTTP date) is
  honoured instead when present; one asking for more than ``max_retry_after`` seconds ends the retries at
  once. Other 4xx answers are not retried: they mean the request is wrong (unknown symbol, range too long)
  and the server's own message is passed on.
* **Rate limit.** A token bucket per client: ``rate`` requests a second on average, bursts of up to
  ``burst``. The client waits for a token before each request, retries included.

The clock, the sleep function, the random generator for jitter and the httpx transport are injectable, so
tests run instantly against :class:`httpx.MockTransport`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import numpy as np

from solvency import __version__
from solvency.errors import FetchError

RETRY_STATUS: frozenset[int] = frozenset({418, 429, 500, 502, 503, 504, 520, 521, 522, 524})
"""HTTP statuses retried (418 is Binance's "banned for now" after ignoring 429s)."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry (seconds)."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 300.0
    timeout: float = 30.0

    def backoff(self, attempt: int, rng: np.random.Generator) -> float:
        """Wait before retry number ``attempt`` (1-based): exponential with equal jitter."""
        d = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return d / 2.0 + float(rng.uniform(0.0, d / 2.0))


class RateLimiter:
    """Token bucket: ``rate`` tokens a second, at most ``burst`` stored; one token per request.

    Parameters
    ----------
    rate
        Average requests per second allowed.
    burst
        Requests that may go out back to back after a quiet period.
    clock, sleep
        Monotonic clock (seconds) and sleep function; injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not rate > 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(burst)
        self._last = clock()
        self.waited = 0.0

    def acquire(self) -> float:
        """Take a token, sleeping until one is available; returns the seconds waited."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        wait = 0.0
        if self._tokens < 1.0:
            wait = (1.0 - self._tokens) / self.rate
            self._sleep(wait)
            self.waited += wait
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens = max(self._tokens, 1.0)  # a sleep that returned early (fake clocks) still grants it
        self._tokens -= 1.0
        return wait


@dataclass
class ClientStats:
    """What a client did: requests sent, retries, seconds slept for backoff and for the rate limit."""

    requests: int = 0
    retries: int = 0
    backoff_seconds: float = 0.0
    rate_limit_seconds: float = 0.0


class JsonClient:
    """GET JSON from one host with the retry policy and rate limit of this module.

    Parameters
    ----------
    name
        Source name used in error messages (``"binance"``).
    base_url
        Scheme and host (and path prefix).
    rate, burst
        Rate limit (see :class:`RateLimiter`).
    policy
        Retry policy.
    transport
        httpx transport (``httpx.MockTransport`` in tests); the network when None.
    clock, sleep
        Injectable time functions.
    seed
        Seed (or Generator) of the jitter.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        rate: float,
        burst: int = 1,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        self.name = name
        self.policy = policy or RetryPolicy()
        self.limiter = RateLimiter(rate, burst, clock=clock, sleep=sleep)
        self._sleep = sleep
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.stats = ClientStats()
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            transport=transport,
            timeout=self.policy.timeout,
            headers={"User-Agent": f"solvency/{__version__}", "Accept": "application/json"},
            follow_redirects=True,
        )

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._client.close()

    def __enter__(self) -> JsonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path`` and decode its JSON, retrying as the policy says.

        Raises
        ------
        FetchError
            After the last attempt, or at once on a non-retryable answer, naming the URL, the status and
            the server's message.
        """
        policy = self.policy
        url = f"{self.base_url}/{path.lstrip('/')}"
        last = "no attempt made"
        for attempt in range(1, policy.attempts + 1):
            self.stats.rate_limit_seconds += self.limiter.acquire()
            self.stats.requests += 1
            retry_after: float | None = None
            try:
                response = self._client.get(url, params=dict(params or {}))
            except httpx.TimeoutException as exc:
                last = f"timed out ({type(exc).__name__})"
            except httpx.TransportError as exc:
                last = f"connection failed ({type(exc).__name__}: {exc})"
            else:
                if response.status_code == 200:
                    try:
                        return response.json()
                    except ValueError as exc:
                        raise FetchError(
                            f"{self.name}: answer to {response.request.url} is not JSON: {response.text[:200]!r}"
                        ) from exc
                message = _server_message(response)
                last = f"HTTP {response.status_code}: {message}"
                if response.status_code not in RETRY_STATUS:
                    raise FetchError(f"{self.name}: {response.request.url} answered {last}")
                retry_after = _retry_after(response.headers.get("Retry-After"), now=time.time())
                if retry_after is not None and retry_after > policy.max_retry_after:
                    raise FetchError(
                        f"{self.name}: {response.request.url} answered {last} and asks to wait "
                        f"{retry_after:.0f} s (more than {policy.max_retry_after:.0f} s); try again later"
                    )
            if attempt == policy.attempts:
                break
            wait = retry_after if retry_after is not None else policy.backoff(attempt, self._rng)
            self.stats.retries += 1
            self.stats.backoff_seconds += wait
            self._sleep(wait)
        raise FetchError(f"{self.name}: {url} failed after {policy.attempts} attempts; last: {last}")


def _server_message(response: httpx.Response) -> str:
    """The error text an API put in its answer (Binance ``msg``, Coinbase ``message``, Deribit ``error``)."""
    try:
        doc = response.json()
    except ValueError:
        return response.text[:200] or response.reason_phrase
    if isinstance(doc, dict):
        err = doc.get("error")
        if isinstance(err, dict):
            status = err.get("status")
            if isinstance(status, dict) and "error_message" in status:  # CoinGecko
                return str(status["error_message"])
            return str(err.get("message") or err)
        for key in ("msg", "message", "error", "status"):
            if key in doc:
                return str(doc[key])
    return str(doc)[:200]


def _retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
