"""Feed guards: every bad tick is refused with its reason counted; the consensus is the median; quorum."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.oracle.config import AssetFeedSpec
from solvency.oracle.feeds import ACCEPTED, HELD, REFUSED, FeedGuard, median

T0 = 1_700_000_000.0


def guard(n: int = 3, **kw: object) -> FeedGuard:
    spec = AssetFeedSpec(
        sources=[f"s{i}" for i in range(1, n + 1)],
        quorum=kw.pop("quorum", 2),
        heartbeat="1h",
        max_deviation=0.05,
        jump=0.10,
        confirm_window="5m",
        max_future="30s",
        **kw,
    )
    return FeedGuard("ETH", spec)


def seed(g: FeedGuard, price: float = 100.0, t: float = T0) -> None:
    for s in sorted(g.sources):
        assert g.offer(s, t, price, t) == ACCEPTED


def nonzero(g: FeedGuard) -> dict[str, int]:
    return {k: v for k, v in g.refused.items() if v}


def test_bad_values_refused_and_counted() -> None:
    g = guard()
    seed(g)
    now = T0 + 10
    assert g.offer("s1", now, math.nan, now) == REFUSED
    assert g.offer("s1", now, math.inf, now) == REFUSED
    assert g.offer("s1", math.nan, 100.0, now) == REFUSED
    assert g.offer("s1", now, -5.0, now) == REFUSED
    assert g.offer("s1", now, 0.0, now) == REFUSED
    assert g.offer("s1", now - 3601, 100.0, now) == REFUSED  # older than the heartbeat
    assert g.offer("s1", now + 31, 100.0, now) == REFUSED  # later than now + max_future
    assert g.offer("nobody", now, 100.0, now) == REFUSED
    assert nonzero(g) == {"non_finite": 3, "non_positive": 2, "stale": 1, "future": 1, "unknown_source": 1}
    assert g.consensus(now).price == 100.0


def test_out_of_order_and_duplicate() -> None:
    g = guard()
    seed(g)
    assert g.offer("s1", T0 + 20, 101.0, T0 + 20) == ACCEPTED
    assert g.offer("s1", T0 + 10, 101.0, T0 + 20) == REFUSED
    assert g.offer("s1", T0 + 20, 101.0, T0 + 20) == REFUSED
    assert g.offer("s2", T0 + 5, 100.5, T0 + 20) == ACCEPTED  # other sources keep their own order
    assert nonzero(g) == {"out_of_order": 1, "duplicate": 1}


def test_times_100_tick_from_one_source_is_refused_and_ignored() -> None:
    g = guard()
    seed(g)
    now = T0 + 10
    assert g.offer("s1", now, 10_000.0, now) == HELD  # 100x: deviates from the others' median
    assert g.consensus(now).price == 100.0  # a held tick is never used
    assert g.offer("s2", now + 1, 100.2, now + 1) == ACCEPTED  # the others do not confirm it
    assert g.offer("s1", now + 2, 100.1, now + 2) == ACCEPTED  # its next tick supersedes it: refused
    assert nonzero(g) == {"deviation": 1}
    assert g.consensus(now + 2).price == pytest.approx(100.1)


def test_held_tick_expires_after_confirm_window() -> None:
    g = guard()
    seed(g)
    assert g.offer("s3", T0 + 1, 50.0, T0 + 1) == HELD
    assert g.expire(T0 + 1 + 299) == 0
    assert g.expire(T0 + 1 + 301) == 1
    assert nonzero(g) == {"deviation": 1}


def test_real_move_confirmed_by_second_source() -> None:
    g = guard()
    seed(g)
    assert g.offer("s1", T0 + 1, 80.0, T0 + 1) == HELD  # −20 %: one source alone is not believed
    assert g.offer("s2", T0 + 2, 80.4, T0 + 2) == ACCEPTED  # a second source agrees: both accepted
    assert g.consensus(T0 + 2).price == pytest.approx(80.4)  # median(80, 80.4, 100)
    assert g.offer("s3", T0 + 3, 80.2, T0 + 3) == ACCEPTED  # now the others are at 80
    assert nonzero(g) == {}


def test_jump_after_outage_needs_confirmation() -> None:
    g = guard()
    seed(g)
    later = T0 + 2 * 3600  # every source stale: no cross-check possible, the jump rule still holds
    assert g.consensus(later) is None
    assert g.offer("s1", later, 130.0, later) == HELD
    assert g.held["s1"][2] == "unconfirmed_jump"
    assert g.offer("s2", later + 1, 131.0, later + 1) == ACCEPTED
    assert g.consensus(later + 1).price == pytest.approx(130.5)


def test_mad_outlier_with_many_sources() -> None:
    g = guard(5, mad_k=3.0)
    for i, s in enumerate(sorted(g.sources)):
        g.offer(s, T0, 100.0 + 0.01 * i, T0)
    # 3 % away: inside the 5 % deviation limit but far beyond 3 scaled MADs of five tight sources
    assert g.offer("s5", T0 + 1, 103.0, T0 + 1) == HELD
    assert g.held["s5"][2] == "mad_outlier"
    assert g.offer("s5", T0 + 2, 100.03, T0 + 2) == ACCEPTED
    assert nonzero(g) == {"mad_outlier": 1}


def test_quorum_lost_when_sources_go_stale() -> None:
    g = guard()
    seed(g)
    assert g.consensus(T0 + 3600) is not None
    g.offer("s1", T0 + 1800, 100.0, T0 + 1800)
    assert g.fresh(T0 + 3601) == 1
    assert g.consensus(T0 + 3601) is None
    assert g.status(T0 + 3601)["has_quorum"] is False


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["s1", "s2", "s3", "s4", "s5"]), st.floats(98.0, 102.0)),  # within every limit
        min_size=1,
        max_size=40,
    )
)
def test_consensus_is_median_of_fresh_latest(ticks: list[tuple[str, float]]) -> None:
    g = guard(5, quorum=1, mad_k=1e6)
    latest: dict[str, float] = {}
    for i, (source, price) in enumerate(ticks):
        t = T0 + i
        assert g.offer(source, t, price, t) == ACCEPTED
        latest[source] = price
    now = T0 + len(ticks)
    c = g.consensus(now)
    assert c is not None
    assert c.price == pytest.approx(float(np.median(list(latest.values()))), rel=1e-12)
    assert c.sources == len(latest)


def test_median_small_lists() -> None:
    assert median([3.0]) == 3.0
    assert median([4.0, 1.0]) == 2.5
    assert median([5.0, 1.0, 3.0]) == 3.0
