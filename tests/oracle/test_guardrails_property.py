"""Property: whatever the ticks, the targets and the proposals, no published update breaks a guardrail.

The engine runs with a scripted target model that wishes for arbitrary values (NaN, negative, zero, huge, out of
bounds), fed by arbitrary tick batches (bad prices, unknown sources, stale and future times), manual proposals
and pause / resume, on a fake clock. Every row of the ledger is then checked by the independent checker in
``_support.check_rows``. The same property through the HTTP API is in ``tests/service``.
"""

from __future__ import annotations

import math
import shutil
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import event as event_note
from hypothesis import strategies as st

from solvency.oracle.engine import OracleEngine
from solvency.oracle.ledger import Ledger
from solvency.oracle.state import MarketState
from tests.oracle._support import SOURCES, check_rows, make_config, merged, scratch_dir

PARAMS = ["ltv", "liquidation_threshold", "liquidation_bonus", "supply_cap"]
T0 = 1_700_000_000.0

weird = st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 1e-300, 1e300])
# near the values in force (so many proposals and targets are valid or nearly), far away, or garbage
value = st.one_of(st.floats(0.76, 0.85), st.floats(0.04, 0.07), st.floats(0.0, 1.0), st.floats(5e5, 2e6), weird)
targets = st.dictionaries(st.sampled_from([*PARAMS, "bogus"]), value, max_size=5)
garbage = st.tuples(
    st.sampled_from([*SOURCES, "intruder"]),
    st.one_of(st.floats(0.01, 100.0), weird),  # price multiplier of the walk
    st.floats(-4000.0, 60.0),  # time offset from now (stale … future)
)
event = st.one_of(
    # three agreeing sources (quorum, so the controller runs) moving the price, plus garbage ticks
    st.tuples(st.just("ticks"), st.floats(1.0, 7200.0), st.floats(0.7, 1.4), st.lists(garbage, max_size=4)),
    st.tuples(st.just("propose"), st.floats(1.0, 7200.0), targets, st.floats(-8 * 3600.0, 2 * 3600.0)),
    # a proposal one step or so from the values in force: often valid, sometimes just beyond a limit
    st.tuples(st.just("nudge"), st.floats(1.0, 7200.0), st.sampled_from(PARAMS), st.floats(-1.3, 1.3)),
    st.tuples(st.just("pause"), st.floats(1.0, 600.0)),
    st.tuples(st.just("resume"), st.floats(1.0, 600.0)),
    st.tuples(st.just("house"), st.floats(1.0, 7200.0)),
)


class Scripted:
    """A target model that wishes for whatever it was given, in turn."""

    def __init__(self, wishes: list[dict[str, float]]) -> None:
        self.wishes = wishes or [{}]
        self.i = 0

    def targets(self, state: MarketState) -> dict[str, float]:
        self.i += 1
        return dict(self.wishes[self.i % len(self.wishes)])


def overrides(delay: str) -> dict[str, Any]:
    rules = {p: {"min_delay": delay} for p in ("ltv", "liquidation_threshold", "liquidation_bonus")}
    return {"markets": {"weth": {"rules": rules}}}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delay=st.sampled_from(["0s", "10m", "1h"]),
    wishes=st.lists(targets, min_size=1, max_size=8),
    events=st.lists(event, min_size=1, max_size=40),
)
def test_no_published_update_breaks_a_guardrail(delay: str, wishes, events) -> None:
    folder = scratch_dir()
    try:
        config = make_config(folder, overrides(delay))
        engine = OracleEngine(config, Ledger(":memory:", Ed25519PrivateKey.generate()))
        engine.controller.markets["weth"].model = Scripted(wishes)
        now, price, pause_start = T0, 2000.0, None
        paused: list[tuple[float, float]] = []
        for ev in events:
            now += ev[1]
            if ev[0] == "ticks":
                price *= ev[2]
                batch = [("ETH", s, now, price) for s in SOURCES]
                batch += [("ETH", source, now + offset, price * mult) for source, mult, offset in ev[3]]
                engine.ingest(batch, now=now)
            elif ev[0] == "propose":
                engine.propose("weth", ev[2], created=now + ev[3], now=now)
            elif ev[0] == "nudge":
                name, fraction = ev[2], ev[3]
                current = engine.controller.markets["weth"].params[name]
                step = 0.25 * current if name == "supply_cap" else (0.005 if name == "liquidation_bonus" else 0.01)
                engine.propose("weth", {name: current + fraction * step}, created=now, now=now)
            elif ev[0] == "pause":
                engine.set_paused(True, now=now)
                pause_start = now if pause_start is None else pause_start
            elif ev[0] == "resume":
                engine.set_paused(False, now=now)
                if pause_start is not None:
                    paused.append((pause_start, now))
                    pause_start = None
            else:
                engine.housekeeping(now=now)
        if pause_start is not None:
            paused.append((pause_start, math.inf))
        rows = [r.to_dict() for r in engine.ledger.since(0, limit=10**6)]
        check_rows(rows, merged(overrides(delay)), paused=paused)
        event_note("rows: 0" if not rows else "rows: 1-9" if len(rows) < 10 else "rows: 10+")
        event_note(f"proposals accepted: {bool(engine.proposals['accepted'])}")
        event_note(f"clamped: {bool(engine.clamps)}")
        if rows:  # the values in force are those the ledger says
            last = {(r["market"], r["parameter"]): r["new"] for r in rows}
            for (market, name), v in last.items():
                assert engine.controller.markets[market].params[name] == v
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_controller_moves_toward_target_one_step_per_delay() -> None:
    """Liveness: a sustained target is reached step by step, each step one max_step, min_delay apart."""
    folder = scratch_dir()
    try:
        engine = OracleEngine(make_config(folder), Ledger(":memory:", Ed25519PrivateKey.generate()))
        engine.controller.markets["weth"].model = Scripted([{"ltv": 0.70, "liquidation_threshold": 0.75}])
        now = T0
        for _ in range(12 * 6):  # 12 hours of 10-minute ticks from three agreeing sources
            now += 600
            engine.ingest([("ETH", s, now, 2000.0) for s in SOURCES], now=now)
        rows = [r.to_dict() for r in engine.ledger.since(0, limit=1000)]
        check_rows(rows, merged())
        ltv = [(r["old"], r["new"]) for r in rows if r["parameter"] == "ltv"]
        assert len(ltv) == 11  # 0.805 → 0.70 in steps of 0.01 (the last one 0.005)
        assert all(abs(old - new - 0.01) < 1e-9 for old, new in ltv[:-1])
        times = [r["time"] for r in rows if r["parameter"] == "ltv"]
        assert len(set(times)) == len(times)
        assert engine.controller.markets["weth"].params["ltv"] == 0.70
        assert engine.controller.markets["weth"].params["liquidation_threshold"] == 0.75
    finally:
        shutil.rmtree(folder, ignore_errors=True)
