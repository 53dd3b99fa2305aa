"""Property through the HTTP API: no sequence of requests publishes an update that breaks a guardrail.

Random tick batches (NaN, Infinity, negative, stale, future, unknown sources, as JSON), proposals (any numbers,
any parameters, any creation time), pause / resume, malformed bodies and token mix-ups, on a fake clock, with
a target model that wishes for arbitrary values. The published rows are read back from ``GET /v1/updates`` and
checked by the independent checker; the ledger must verify.
"""

from __future__ import annotations

import json
import math
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.oracle.ledger import verify_ledger
from tests.oracle._support import SOURCES, check_rows, merged, scratch_dir
from tests.oracle.test_guardrails_property import PARAMS, Scripted, overrides, targets
from tests.service._client import service

number = st.one_of(
    st.floats(0.76, 0.85),
    st.floats(0.0, 1.0),
    st.floats(5e5, 2e6),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, -1.0, 1e308]),
)
request = st.one_of(
    st.tuples(
        st.just("ticks"),
        st.floats(1.0, 7200.0),
        st.floats(0.7, 1.4),
        st.lists(
            st.tuples(
                st.sampled_from([*SOURCES, "mallory"]), st.one_of(st.floats(0.01, 100.0), number), st.floats(-4e3, 60)
            ),
            max_size=3,
        ),
    ),
    st.tuples(
        st.just("propose"),
        st.floats(1.0, 7200.0),
        st.dictionaries(st.sampled_from([*PARAMS, "bogus"]), number, min_size=1, max_size=3),
        st.floats(-8 * 3600.0, 2 * 3600.0),
    ),
    st.tuples(st.just("nudge"), st.floats(1.0, 7200.0), st.sampled_from(PARAMS), st.floats(-1.3, 1.3)),
    st.tuples(st.just("pause"), st.floats(1.0, 600.0)),
    st.tuples(st.just("resume"), st.floats(1.0, 600.0)),
    st.tuples(
        st.just("junk"), st.floats(1.0, 60.0), st.binary(max_size=40), st.sampled_from(["writer", "admin", "none"])
    ),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delay=st.sampled_from(["0s", "10m", "1h"]),
    wishes=st.lists(targets, min_size=1, max_size=6),
    requests=st.lists(request, min_size=1, max_size=25),
)
def test_api_never_publishes_outside_the_guardrails(delay: str, wishes, requests) -> None:
    folder = scratch_dir()
    try:
        svc = service(folder, overrides(delay))
        svc.engine.controller.markets["weth"].model = Scripted(wishes)
        price, pause_start, paused = 2000.0, None, []
        for req in requests:
            svc.clock.t += req[1]
            now = svc.clock.t
            if req[0] == "ticks":
                price *= req[2]
                ticks = [{"asset": "ETH", "source": s, "time": now, "price": price} for s in SOURCES]
                ticks += [{"asset": "ETH", "source": s, "time": now + dt, "price": price * m} for s, m, dt in req[3]]
                r = svc.post("/v1/prices", json.dumps({"ticks": ticks}).encode())  # NaN/Infinity tokens allowed
                assert r.status_code == 200, r.text
            elif req[0] == "propose":
                body = {"market": "weth", "params": req[2], "created": now + req[3]}
                r = svc.post("/v1/admin/proposals", json.dumps(body).encode(), "admin")
                assert r.status_code in (200, 409, 422), r.text
            elif req[0] == "nudge":
                current = svc.client.get("/v1/markets/weth/params").json()["params"][req[2]]
                step = 0.25 * current if req[2] == "supply_cap" else (0.005 if req[2] == "liquidation_bonus" else 0.01)
                body = {"market": "weth", "params": {req[2]: current + req[3] * step}}
                assert svc.post("/v1/admin/proposals", body, "admin").status_code in (200, 409)
            elif req[0] in ("pause", "resume"):
                assert svc.post(f"/v1/admin/{req[0]}", {}, "admin").status_code == 200
                if req[0] == "pause" and pause_start is None:
                    pause_start = now
                if req[0] == "resume" and pause_start is not None:
                    paused.append((pause_start, now))
                    pause_start = None
            else:
                headers = {} if req[3] == "none" else svc.auth(req[3])
                for path in ("/v1/prices", "/v1/admin/proposals", "/v1/admin/pause"):
                    r = svc.client.post(path, content=req[2], headers=headers)
                    assert r.status_code in (200, 401, 409, 413, 422), r.text
                    if r.status_code == 200 and path.endswith("pause") and pause_start is None:
                        pause_start = now
        if pause_start is not None:
            paused.append((pause_start, math.inf))
        rows, since = [], 0
        while True:
            page = svc.client.get("/v1/updates", params={"since": since}).json()["updates"]
            if not page:
                break
            rows += page
            since = page[-1]["seq"]
        check_rows(rows, merged(overrides(delay)), paused=paused)
        assert verify_ledger(svc.engine.ledger.path).ok
        svc.engine.ledger.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
