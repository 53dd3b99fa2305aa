"""The oracle engine: ticks in, guarded and signed parameter updates out.

One object ties the parts together — feed guards and consensus (:mod:`~solvency.oracle.feeds`), online state
(:mod:`~solvency.oracle.state`), the controller and its guardrails, the ledger — behind a lock, so the HTTP
service (many threads) and the offline replay (one loop over a file, simulated clock) run the same code.

Flow of :meth:`OracleEngine.ingest`: every tick is judged by its asset's feed guard; for each asset touched,
held ticks past their window expire, the consensus price (if the asset has quorum) is sampled into the state,
and each market of the asset is evaluated; the changes the guardrails let through are appended to the ledger
in one transaction, and only after the commit are they applied in memory and returned (acknowledged) and
passed to the listeners (the WebSocket fan-out). Without quorum nothing is evaluated.
"""

from __future__ import annotations

import threading
import time as _time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from solvency.oracle.config import OracleConfig
from solvency.oracle.controller import Controller, MarketRuntime
from solvency.oracle.feeds import ACCEPTED, HELD, REASONS, FeedGuard
from solvency.oracle.guardrails import Decision
from solvency.oracle.ledger import Ledger, Record, iso
from solvency.oracle.state import AssetState

Tick = tuple[str, str, float, float]
"""``(asset, source, time, price)``; time in epoch seconds, price in the quote asset."""


@dataclass
class IngestResult:
    """What one batch of ticks did."""

    accepted: int = 0
    held: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    updates: list[Record] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "held": self.held,
            "refused": self.refused,
            "updates": [r.seq for r in self.updates],
        }


@dataclass
class ProposalResult:
    """What a manual proposal did: the committed rows, or the reasons it was refused."""

    accepted: bool
    reasons: dict[str, str]
    updates: list[Record]


class OracleEngine:
    """Feeds, state, controller and ledger of a running oracle (thread-safe).

    Parameters
    ----------
    config
        The oracle config.
    ledger
        Where updates are written; its latest values and the pause switch are restored from it.
    clock
        Current time in epoch seconds (the service: wall clock; tests: a fake clock). Replays pass ``now``.
    """

    def __init__(self, config: OracleConfig, ledger: Ledger, *, clock: Callable[[], float] = _time.time) -> None:
        self.config = config
        self.ledger = ledger
        self.clock = clock
        self.lock = threading.RLock()
        self.feeds = {a: FeedGuard(a, spec) for a, spec in config.assets.items()}
        self.states = {a: AssetState(spec, config.volatility, config.regime) for a, spec in config.assets.items()}
        restored = ledger.latest()
        markets = {n: MarketRuntime.from_spec(n, spec, restored) for n, spec in config.markets.items()}
        for name, seq in ledger.last_seq_by_market().items():
            if name in markets:
                markets[name].last_seq = seq
        self.controller = Controller(markets, paused=ledger.paused())
        self.by_asset: dict[str, list[str]] = {a: [] for a in config.assets}
        for name, m in markets.items():
            self.by_asset[m.asset].append(name)
        self.unknown_asset = 0
        self.updates_total: Counter[tuple[str, str]] = Counter()
        self.clamps: Counter[str] = Counter()
        self.held_reasons: Counter[str] = Counter()
        self.proposals: Counter[str] = Counter()
        self.listeners: list[Callable[[list[Record]], None]] = []
        self.views: dict[str, dict[str, Any]] = {}  # market -> view, replaced whole (readers take no lock)
        self._refresh(self.by_asset)

    # ------------------------------------------------------------------------------------------ input

    def now(self) -> float:
        """The clock, to the microsecond (the ledger's resolution)."""
        return round(self.clock(), 6)

    def ingest(
        self,
        ticks: Iterable[Tick],
        implied: Iterable[tuple[str, float, float]] = (),
        *,
        now: float | None = None,
    ) -> IngestResult:
        """Judge a batch of ticks (and implied vols ``(asset, time, vol)``), then evaluate touched markets."""
        out = IngestResult()
        with self.lock:
            now = self.now() if now is None else round(now, 6)
            feeds = self.feeds
            touched: dict[str, FeedGuard] = {}
            before: dict[str, dict[str, int]] = {}
            unknown = 0
            for asset, source, t, p in ticks:
                feed = feeds.get(asset)
                if feed is None:
                    unknown += 1
                    continue
                if asset not in touched:
                    touched[asset] = feed
                    before[asset] = dict(feed.refused)
                outcome = feed.offer(source, t, p, now)
                if outcome == ACCEPTED:
                    out.accepted += 1
                elif outcome == HELD:
                    out.held += 1
            for asset, t, vol in implied:
                if asset in self.states:
                    self.states[asset].observe_implied(t, vol)
                    touched.setdefault(asset, feeds[asset])
                    before.setdefault(asset, dict(feeds[asset].refused))
                else:
                    unknown += 1
            self.unknown_asset += unknown
            refused = Counter({"unknown_asset": unknown}) if unknown else Counter()
            for asset, feed in touched.items():
                feed.expire(now)
                for reason, n in feed.refused.items():
                    if n != before[asset][reason]:
                        refused[reason] += n - before[asset][reason]
                out.updates.extend(self._advance(asset, now))
            out.refused = dict(refused)
            self._refresh(touched)
        self._notify(out.updates)
        return out

    def housekeeping(self, *, now: float | None = None) -> list[Record]:
        """Expire held ticks and re-evaluate every market with quorum (the service's timer)."""
        records: list[Record] = []
        with self.lock:
            now = self.now() if now is None else round(now, 6)
            for asset, feed in self.feeds.items():
                feed.expire(now)
                records.extend(self._advance(asset, now, sample=False))
            self._refresh(self.by_asset)
        self._notify(records)
        return records

    def _advance(self, asset: str, now: float, *, sample: bool = True) -> list[Record]:
        consensus = self.feeds[asset].consensus(now)
        if consensus is None:  # no quorum: no updates for this asset's markets
            return []
        state = self.states[asset]
        if sample:
            state.observe(consensus.time, consensus.price)
        snap = state.snapshot(now)
        if snap is None:
            return []
        records: list[Record] = []
        ctl = self.controller
        for name in self.by_asset[asset]:
            decision = ctl.evaluate(name, snap, now)
            self._count_held(decision)
            if decision.changes:
                reason = ctl.controller_reason(ctl.markets[name], snap)
                records.extend(self._publish(name, decision, now, reason))
        return records

    def _count_held(self, decision: Decision) -> None:
        for reason in decision.held.values():
            self.held_reasons[reason] += 1

    def _publish(self, market: str, decision: Decision, now: float, reason: Mapping[str, Any]) -> list[Record]:
        ctl = self.controller
        entries = ctl.entries(market, decision.changes, now, reason)
        records = self.ledger.append(entries)  # durable before anything else sees it
        ctl.commit(market, decision.changes, now, records[-1].seq)
        for c in decision.changes:
            self.updates_total[(market, c.parameter)] += 1
            for rule in c.limited_by:
                self.clamps[rule] += 1
        return records

    def propose(
        self, market: str, values: Mapping[str, float], *, created: float, note: str = "", now: float | None = None
    ) -> ProposalResult:
        """A manual proposal (admin API): published all-or-nothing within the guardrails."""
        with self.lock:
            now = self.now() if now is None else round(now, 6)
            decision = self.controller.propose(market, values, created, now)
            if decision.refused:
                for reason in decision.held.values():
                    self.proposals[f"refused_{reason}"] += 1
                return ProposalResult(False, decision.held, [])
            reason = {"source": "proposal", "created": iso(created), "note": note}
            records = self._publish(market, decision, now, reason)
            self.proposals["accepted"] += 1
            self._refresh([self.controller.markets[market].asset])
        self._notify(records)
        return ProposalResult(True, {}, records)

    def set_paused(self, paused: bool, *, note: str = "", now: float | None = None) -> bool:
        """Pause (kill switch: no update of any kind is published) or resume; persisted. Returns the old state."""
        with self.lock:
            now = self.now() if now is None else round(now, 6)
            old = self.controller.paused
            self.ledger.control(now, "pause" if paused else "resume", note)
            self.controller.paused = paused
            self._refresh(self.by_asset)
            return old

    def _notify(self, records: list[Record]) -> None:
        if records:
            for listener in list(self.listeners):
                listener(records)

    # ------------------------------------------------------------------------------------------ views

    @property
    def paused(self) -> bool:
        return self.controller.paused

    def refused_ticks(self) -> dict[str, int]:
        """Ticks refused since start, by reason (all assets)."""
        total = dict.fromkeys(REASONS, 0)
        total["unknown_asset"] = self.unknown_asset
        for feed in self.feeds.values():
            for reason, n in feed.refused.items():
                total[reason] += n
        return total

    def accepted_ticks(self) -> int:
        return sum(f.accepted for f in self.feeds.values())

    def health(self, *, now: float | None = None) -> dict[str, Any]:
        """``ok`` when every asset has quorum, else ``degraded`` naming the assets without it."""
        with self.lock:
            now = self.now() if now is None else now
            assets = {a: f.status(now) for a, f in self.feeds.items()}
            missing = sorted(a for a, s in assets.items() if not s["has_quorum"])
            return {
                "status": "degraded" if missing else "ok",
                "no_quorum": missing,
                "paused": self.paused,
                "last_seq": self.ledger.last_seq,
                "assets": assets,
                "time": iso(now),
            }

    def _refresh(self, assets: Iterable[str]) -> None:
        """Rebuild the read views of the markets on ``assets`` (under the lock, before it is released)."""
        for asset in assets:
            snap = self.states[asset].snapshot()
            state = None if snap is None else {"time": iso(snap.time), **snap.inputs()}
            for name in self.by_asset[asset]:
                m = self.controller.markets[name]
                self.views[name] = {
                    "market": name,
                    "asset": m.asset,
                    "quote": self.config.markets[name].quote,
                    "params": dict(m.params),
                    "updated_at": {p: iso(t) for p, t in m.last_updated.items()},
                    "last_seq": m.last_seq,
                    "paused": self.paused,
                    "model": m.model_kind,
                    "state": state,
                }

    def market_view(self, market: str) -> dict[str, Any]:
        """Parameters in force of one market, when each was updated, and the asset's state (no lock taken:
        the view is rebuilt before any acknowledged change returns)."""
        return self.views[market]

    def markets(self) -> list[str]:
        return list(self.controller.markets)
