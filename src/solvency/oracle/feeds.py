"""Feed guards and aggregation: from raw ticks of several sources to one consensus price per asset.

Rules, applied to each tick ``(source, time, price)`` in this order (DESIGN §4.7); every refusal is counted by
its reason (:data:`REASONS`):

1. ``unknown_source``: the source is not configured for the asset (``unknown_asset`` is counted by the engine).
2. ``non_finite`` / ``non_positive``: the price (or time) is NaN or ±inf / the price is ≤ 0.
3. ``future``: stamped later than ``now + max_future``; ``stale``: older than ``now − heartbeat``.
4. ``out_of_order`` / ``duplicate``: not later than the last tick received from the same source.
5. Held for confirmation, not used until confirmed:

   * ``deviation``: farther than ``max_deviation`` (x) from the median of the other sources' fresh prices;
   * ``mad_outlier``: farther than ``mad_k`` (k) scaled MADs from that median (with ≥ 3 other sources; the MAD,
     times 1.4826, is floored at ``mad_floor``·median so identical sources do not make every tick an outlier);
   * ``unconfirmed_jump``: farther than ``jump`` (y) from the last consensus price (or from the source's own
     last price before there is a consensus).

   A held tick is accepted when a tick from *another* source, within ``confirm_window`` of it, lies within
   ``max_deviation`` of it: two sources agreeing on a move is a move, one source alone is an outlier. Otherwise
   it is refused with its reason when the same source sends a newer tick or ``confirm_window`` passes.

The consensus is the median of the latest accepted prices of the *fresh* sources (age ≤ heartbeat); it exists
only when at least ``quorum`` sources are fresh. Without quorum the engine stops updating that asset's markets
and ``/healthz`` reports degraded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from solvency.oracle.config import AssetFeedSpec, seconds

REASONS: tuple[str, ...] = (
    "unknown_asset",
    "unknown_source",
    "non_finite",
    "non_positive",
    "future",
    "stale",
    "out_of_order",
    "duplicate",
    "deviation",
    "mad_outlier",
    "unconfirmed_jump",
)
"""Every reason a tick can be refused for."""

ACCEPTED, HELD, REFUSED = 0, 1, 2
"""Outcomes of :meth:`FeedGuard.offer`."""

_MAD_SCALE = 1.4826  # MAD of a normal sample times this estimates σ


def median(values: list[float]) -> float:
    """Median of a short non-empty list (the sources of one asset)."""
    s = sorted(values)
    n = len(s)
    m = n // 2
    return s[m] if n & 1 else 0.5 * (s[m - 1] + s[m])


@dataclass(frozen=True, slots=True)
class Consensus:
    """The aggregated price of an asset at ``time`` (epoch seconds) from ``sources`` fresh sources."""

    price: float
    time: float
    sources: int


class FeedGuard:
    """Guards and aggregates the ticks of one asset. Not thread-safe: the engine serialises calls.

    Parameters
    ----------
    asset
        Name of the asset (for messages).
    spec
        Its sources, heartbeat, quorum and limits.
    """

    def __init__(self, asset: str, spec: AssetFeedSpec) -> None:
        self.asset = asset
        self.sources = frozenset(spec.sources)
        self.quorum = spec.quorum
        self.heartbeat = float(seconds(spec.heartbeat))
        self.max_deviation = spec.max_deviation
        self.mad_k = spec.mad_k
        self.mad_floor = spec.mad_floor
        self.jump = spec.jump
        self.confirm_window = float(seconds(spec.confirm_window))
        self.max_future = float(seconds(spec.max_future))
        self.last: dict[str, tuple[float, float]] = {}  # source -> (time, price) of its latest accepted tick
        self.seen: dict[str, float] = {}  # source -> time of its latest well-formed tick (accepted or held)
        self.held: dict[str, tuple[float, float, str]] = {}  # source -> (time, price, reason)
        self.reference: float | None = None  # last consensus price, kept when quorum is lost (jump reference)
        self.refused: dict[str, int] = dict.fromkeys(REASONS, 0)
        self.accepted = 0

    # ------------------------------------------------------------------------------------------ ticks

    def offer(self, source: str, time: float, price: float, now: float) -> int:
        """Judge one tick; returns :data:`ACCEPTED`, :data:`HELD` or :data:`REFUSED` (reason counted)."""
        if source not in self.sources:
            return self._refuse("unknown_source")
        if not (math.isfinite(price) and math.isfinite(time)):
            return self._refuse("non_finite")
        if price <= 0.0:
            return self._refuse("non_positive")
        if time > now + self.max_future:
            return self._refuse("future")
        if now - time > self.heartbeat:
            return self._refuse("stale")
        prev = self.seen.get(source)
        if prev is not None and time <= prev:
            return self._refuse("duplicate" if time == prev else "out_of_order")
        self.seen[source] = time
        if self.held:
            self.expire(now)
            old = self.held.pop(source, None)
            if old is not None:  # superseded before anyone confirmed it
                self.refused[old[2]] += 1
        reason = self._suspicion(source, price, now)
        if reason is None:
            self._accept(source, time, price, now)
            return ACCEPTED
        for other, (t2, p2, _) in list(self.held.items()):
            if abs(time - t2) <= self.confirm_window and abs(price / p2 - 1.0) <= self.max_deviation:
                del self.held[other]
                self._accept(other, t2, p2, now)
                self._accept(source, time, price, now)
                return ACCEPTED
        self.held[source] = (time, price, reason)
        return HELD

    def _suspicion(self, source: str, price: float, now: float) -> str | None:
        hb = self.heartbeat
        others = [p for s, (t, p) in self.last.items() if s != source and now - t <= hb]
        if others:
            med = median(others)
            if abs(price / med - 1.0) > self.max_deviation:
                return "deviation"
            if len(others) >= 3:
                mad = _MAD_SCALE * median([abs(p - med) for p in others])
                if abs(price - med) > self.mad_k * max(mad, self.mad_floor * med):
                    return "mad_outlier"
        ref = self.reference
        if ref is None:
            own = self.last.get(source)
            ref = own[1] if own is not None else None
        if ref is not None and abs(price / ref - 1.0) > self.jump:
            return "unconfirmed_jump"
        return None

    def _accept(self, source: str, time: float, price: float, now: float) -> None:
        self.last[source] = (time, price)
        self.accepted += 1
        hb = self.heartbeat
        fresh = [p for t, p in self.last.values() if now - t <= hb]
        if len(fresh) >= self.quorum:  # the jump reference follows the consensus while there is one
            self.reference = median(fresh)

    def _refuse(self, reason: str) -> int:
        self.refused[reason] += 1
        return REFUSED

    def expire(self, now: float) -> int:
        """Refuse held ticks that waited longer than ``confirm_window``; returns how many."""
        gone = [s for s, (t, _, _) in self.held.items() if now - t > self.confirm_window]
        for source in gone:
            self.refused[self.held.pop(source)[2]] += 1
        return len(gone)

    # -------------------------------------------------------------------------------------- consensus

    def fresh(self, now: float) -> int:
        """Number of sources whose latest accepted tick is within the heartbeat."""
        hb = self.heartbeat
        return sum(1 for t, _ in self.last.values() if now - t <= hb)

    def consensus(self, now: float) -> Consensus | None:
        """Median of the fresh sources' latest prices, or None without quorum."""
        hb = self.heartbeat
        fresh = [(t, p) for t, p in self.last.values() if now - t <= hb]
        if len(fresh) < self.quorum:
            return None
        price = median([p for _, p in fresh])
        return Consensus(price=price, time=max(t for t, _ in fresh), sources=len(fresh))

    def status(self, now: float) -> dict[str, object]:
        """Health of the feed: fresh sources, quorum, held ticks, the consensus price."""
        fresh = self.fresh(now)
        return {
            "fresh_sources": fresh,
            "quorum": self.quorum,
            "has_quorum": fresh >= self.quorum,
            "held": len(self.held),
            "reference_price": self.reference,
            "last_tick_age_s": (now - max(t for t, _ in self.last.values())) if self.last else None,
        }
