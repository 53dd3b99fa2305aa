"""Prometheus metrics of the service (``GET /metrics``, text exposition format via ``prometheus_client``).

Counters of the oracle (ticks accepted and refused by reason, updates, guardrail clamps, proposals) are read
from the engine at scrape time by a custom collector, so the hot path of tick ingestion pays nothing for them;
request latency is a histogram observed by a plain ASGI middleware, labelled by route template.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from solvency.oracle.config import REGIMES
from solvency.oracle.engine import OracleEngine

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class OracleCollector(Collector):
    """Reads the engine's counters and gauges at scrape time."""

    def __init__(self, engine: OracleEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Any]:
        e = self.engine
        with e.lock:
            now = e.now()
            accepted = CounterMetricFamily(
                "solvency_oracle_ticks_accepted", "Price ticks accepted by the feed guards", labels=["asset"]
            )
            refused = CounterMetricFamily(
                "solvency_oracle_ticks_rejected", "Price ticks refused, by reason", labels=["asset", "reason"]
            )
            quorum = GaugeMetricFamily("solvency_oracle_quorum", "1 when the asset has quorum", labels=["asset"])
            sigma = GaugeMetricFamily(
                "solvency_oracle_sigma", "Annualised volatility used for targets", labels=["asset"]
            )
            regime = GaugeMetricFamily(
                "solvency_oracle_regime",
                f"Regime level ({', '.join(f'{i}={r}' for i, r in enumerate(REGIMES))})",
                labels=["asset"],
            )
            for asset, feed in e.feeds.items():
                accepted.add_metric([asset], feed.accepted)
                for reason, n in feed.refused.items():
                    if reason != "unknown_asset":  # counted once, below: the tick named no known asset
                        refused.add_metric([asset, reason], n)
                quorum.add_metric([asset], 1.0 if feed.fresh(now) >= feed.quorum else 0.0)
                snap = e.states[asset].snapshot(now)
                if snap is not None:
                    sigma.add_metric([asset], snap.sigma)
                    regime.add_metric([asset], REGIMES.index(snap.regime))
            refused.add_metric(["", "unknown_asset"], e.unknown_asset)
            updates = CounterMetricFamily(
                "solvency_oracle_updates", "Parameter updates published", labels=["market", "parameter"]
            )
            for (market, parameter), n in sorted(e.updates_total.items()):
                updates.add_metric([market, parameter], n)
            clamps = CounterMetricFamily(
                "solvency_oracle_guardrail_clamps", "Published updates limited by a guardrail", labels=["rule"]
            )
            for rule, n in sorted(e.clamps.items()):
                clamps.add_metric([rule], n)
            proposals = CounterMetricFamily(
                "solvency_oracle_proposals", "Manual proposals by outcome", labels=["outcome"]
            )
            for outcome, n in sorted(e.proposals.items()):
                proposals.add_metric([outcome], n)
            params = GaugeMetricFamily(
                "solvency_oracle_parameter", "Parameter value in force", labels=["market", "parameter"]
            )
            for name, m in e.controller.markets.items():
                for p, v in m.params.items():
                    params.add_metric([name, p], v)
            paused = GaugeMetricFamily("solvency_oracle_paused", "1 while the kill switch is on")
            paused.add_metric([], 1.0 if e.paused else 0.0)
            seq = GaugeMetricFamily("solvency_oracle_ledger_seq", "Last committed ledger seq")
            seq.add_metric([], e.ledger.last_seq)
        yield from (accepted, refused, quorum, sigma, regime, updates, clamps, proposals, params, paused, seq)


class Metrics:
    """The registry of one app: the engine collector and the request-latency histogram."""

    def __init__(self, engine: OracleEngine) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.registry.register(OracleCollector(engine))
        self.latency = Histogram(
            "solvency_http_request_duration_seconds",
            "HTTP request latency by route",
            labelnames=["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )


class LatencyMiddleware:
    """ASGI middleware observing each HTTP request's duration (WebSocket connections are not timed)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_wrapper(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", None) or "unmatched"
            self.metrics.latency.labels(scope["method"], path, str(status[0])).observe(time.perf_counter() - start)
