"""The HTTP API in process: auth (401), validation (422), bad feeds counted, quorum → degraded, metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from solvency.oracle.ledger import verify_ledger
from solvency.oracle.state import MarketState
from tests.oracle._support import SOURCES, check_rows, merged
from tests.service._client import T0, Service, service

WRITES = [
    ("/v1/prices", "writer", {"ticks": []}),
    ("/v1/admin/proposals", "admin", {"market": "weth", "params": {"ltv": 0.8}}),
    ("/v1/admin/pause", "admin", {}),
    ("/v1/admin/resume", "admin", {}),
]


@pytest.fixture
def svc(tmp_path: Path) -> Service:
    return service(tmp_path)


@pytest.mark.parametrize(("path", "role", "body"), WRITES)
def test_writes_need_the_right_token(svc: Service, path: str, role: str, body: dict) -> None:
    other = "admin" if role == "writer" else "writer"
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Basic {svc.writer}"},
        svc.auth(other),  # a valid token of the other role
        {"Authorization": "Bearer "},
    ):
        r = svc.client.post(path, content=json.dumps(body), headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["www-authenticate"] == "Bearer"
    # the token is checked before the body is read: garbage without a token is still 401
    assert svc.client.post(path, content=b"{not json").status_code == 401
    assert svc.post(path, body, role).status_code == 200 or path.endswith("proposals")


@pytest.mark.parametrize(
    ("path", "role", "body"),
    [
        ("/v1/prices", "writer", b"{not json"),
        ("/v1/prices", "writer", b"[]"),
        ("/v1/prices", "writer", {"ticks": [{"asset": "ETH", "source": "s1", "time": T0, "price": "abc"}]}),
        ("/v1/prices", "writer", {"ticks": [{"asset": "ETH", "source": "s1", "price": 1.0}]}),
        ("/v1/prices", "writer", {"ticks": [{"asset": "ETH", "source": "s1", "time": T0, "price": 1, "x": 1}]}),
        ("/v1/prices", "writer", {"ticks": [{"asset": "ETH", "source": "s1", "time": "2024-01-01T00:00", "price": 1}]}),
        ("/v1/prices", "writer", {"ticks": {"asset": "ETH"}}),
        ("/v1/prices", "writer", {"implied_vol": [{"asset": "ETH", "time": T0}]}),
        ("/v1/admin/proposals", "admin", {"market": "weth", "params": {}}),
        ("/v1/admin/proposals", "admin", {"market": "weth", "params": {"ltv": "high"}}),
        ("/v1/admin/proposals", "admin", {"params": {"ltv": 0.8}}),
        ("/v1/admin/pause", "admin", {"note": 3}),
        ("/v1/admin/pause", "admin", b"\xff\xfe"),
    ],
)
def test_malformed_bodies_are_422(svc: Service, path: str, role: str, body) -> None:
    r = svc.post(path, body, role)
    assert r.status_code == 422, r.text
    assert isinstance(r.json()["detail"], list) and "loc" in r.json()["detail"][0]
    assert svc.engine.ledger.last_seq == 0 and not svc.engine.paused


def test_batch_too_large_is_413(tmp_path: Path) -> None:
    svc = service(tmp_path, {"service": {"max_batch": 3}})
    assert svc.agree(100.0).status_code == 200
    r = svc.ticks({"s1": 1.0, "s2": 1.0, "s3": 1.0, "s4": 1.0})
    assert r.status_code == 413
    huge = b'{"ticks": [' + b" " * (256 * 3 + 70_000) + b"]}"  # refused by size before it is parsed
    assert svc.post("/v1/prices", huge).status_code == 413
    assert svc.post("/v1/admin/pause", b'{"note": "' + b"x" * 70_000 + b'"}', "admin").status_code == 413


def test_unknown_market_is_404(svc: Service) -> None:
    assert svc.client.get("/v1/markets/nope/params").status_code == 404
    assert svc.post("/v1/admin/proposals", {"market": "nope", "params": {"ltv": 0.8}}, "admin").status_code == 404


def test_bad_feeds_refused_with_reasons_counted(svc: Service) -> None:
    assert svc.agree(2000.0).json()["accepted"] == 3
    svc.clock.t += 60
    now = svc.clock.t
    body = (
        '{"ticks": ['
        f'{{"asset":"ETH","source":"s1","time":{now},"price":NaN}},'
        f'{{"asset":"ETH","source":"s1","time":{now},"price":-5}},'
        f'{{"asset":"ETH","source":"s1","time":{now - 7200},"price":2000}},'
        f'{{"asset":"ETH","source":"s2","time":{now},"price":2001}},'
        f'{{"asset":"ETH","source":"s2","time":{now - 30},"price":2001}},'
        f'{{"asset":"ETH","source":"s3","time":{now},"price":200000}},'
        f'{{"asset":"DOGE","source":"s3","time":{now},"price":1}},'
        f'{{"asset":"ETH","source":"mallory","time":{now},"price":2000}}'
        "]}"
    )
    r = svc.post("/v1/prices", body.encode())
    assert r.status_code == 200
    out = r.json()
    assert out["accepted"] == 1 and out["held"] == 1  # the ×100 tick waits for a confirmation that never comes
    assert out["refused"] == {
        "non_finite": 1,
        "non_positive": 1,
        "stale": 1,
        "out_of_order": 1,
        "unknown_asset": 1,
        "unknown_source": 1,
    }
    svc.clock.t += 400  # past the confirmation window: the ×100 tick is refused
    assert svc.ticks({"s1": 2000.5})  # any later batch on the asset expires held ticks
    metrics = scrape(svc)
    refused = metrics["solvency_oracle_ticks_rejected"]
    assert refused[("ETH", "deviation")] == 1 and refused[("ETH", "non_finite")] == 1
    assert refused[("", "unknown_asset")] == 1
    view = svc.client.get("/v1/markets/weth/params").json()
    assert view["state"]["price"] == pytest.approx(2000.5, rel=1e-3)  # never near 200000


def scrape(svc: Service) -> dict[str, dict[tuple[str, ...], float]]:
    text = svc.client.get("/metrics").text
    out: dict[str, dict[tuple[str, ...], float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name.endswith("_total") or sample.name.startswith("solvency_oracle_"):
                key = family.name
                out.setdefault(key, {})[tuple(sample.labels.values())] = sample.value
            out.setdefault(sample.name, {})[tuple(sample.labels.values())] = sample.value
    return out


class Wish:
    """A target model that always wants the same (tight) parameters."""

    def targets(self, state: MarketState) -> dict[str, float]:
        return {"ltv": 0.60, "liquidation_threshold": 0.65}


def test_quorum_loss_stops_updates_and_degrades_health(tmp_path: Path) -> None:
    svc = service(tmp_path, {"markets": {"weth": {"rules": {"ltv": {"min_delay": "10m"}}}}})
    svc.engine.controller.markets["weth"].model = Wish()
    r = svc.client.get("/healthz")
    assert r.status_code == 503 and r.json()["status"] == "degraded" and r.json()["no_quorum"] == ["ETH"]
    assert svc.agree(2000.0).json()["updates"]  # quorum: the controller acts
    assert svc.client.get("/healthz").json()["status"] == "ok"
    seq = svc.engine.ledger.last_seq
    svc.clock.t += 3500
    svc.ticks({"s1": 2000.0})  # one source keeps talking
    assert svc.engine.ledger.last_seq > seq  # still two fresh sources (s2, s3 at 3500 s < 1 h)
    seq = svc.engine.ledger.last_seq
    svc.clock.t += 200  # s2 and s3 are now older than the heartbeat: one fresh source, quorum is 2
    for _ in range(5):
        svc.clock.t += 700
        assert svc.ticks({"s1": 2000.0}).json()["updates"] == []
        svc.engine.housekeeping()
    assert svc.engine.ledger.last_seq == seq
    health = svc.client.get("/healthz")
    assert health.status_code == 503 and health.json()["assets"]["ETH"]["fresh_sources"] == 1
    assert scrape(svc)["solvency_oracle_quorum"][("ETH",)] == 0.0
    svc.agree(2000.0)  # sources come back: updates resume
    assert svc.engine.ledger.last_seq > seq and svc.client.get("/healthz").status_code == 200


def test_proposals_pause_resume_and_reads(svc: Service) -> None:
    r = svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": 0.795}, "note": "steward"}, "admin")
    assert r.status_code == 200 and r.json()["accepted"]
    (row,) = r.json()["updates"]
    assert row["seq"] == 1 and row["old"] == 0.805 and row["new"] == 0.795 and row["reason"]["note"] == "steward"
    assert svc.client.get("/v1/markets/weth/params").json()["params"]["ltv"] == 0.795  # visible once acked
    r = svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": 0.785}}, "admin")
    assert r.status_code == 409 and r.json()["reasons"] == {"ltv": "min_delay"}
    svc.clock.t += 3600
    r = svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": 0.5}}, "admin")
    assert r.status_code == 409 and r.json()["reasons"] == {"ltv": "max_step"}
    r = svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": 0.79}, "created": T0 - 7 * 3600}, "admin")
    assert r.status_code == 409 and r.json()["reasons"] == {"ltv": "expired"}
    assert svc.post("/v1/admin/pause", {"note": "incident"}, "admin").json() == {"paused": True, "was_paused": False}
    r = svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": 0.79}}, "admin")
    assert r.status_code == 409 and r.json()["reasons"] == {"ltv": "paused"}
    assert svc.client.get("/v1/markets").json()["markets"][0]["paused"] is True
    assert svc.post("/v1/admin/resume", b"", "admin").json()["paused"] is False
    assert svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": 0.79}}, "admin").status_code == 200
    page = svc.client.get("/v1/updates", params={"since": 0}).json()
    assert [u["seq"] for u in page["updates"]] == [1, 2] and page["last_seq"] == 2
    assert svc.client.get("/v1/updates", params={"since": 1, "limit": 1}).json()["updates"][0]["new"] == 0.79
    assert svc.client.get("/v1/updates", params={"since": -1}).status_code == 422
    check_rows(page["updates"], merged())
    assert verify_ledger(svc.engine.ledger.path).ok
    metrics = scrape(svc)
    assert metrics["solvency_oracle_proposals"][("accepted",)] == 2
    assert metrics["solvency_oracle_updates"][("weth", "ltv")] == 2
    assert metrics["solvency_oracle_paused"][()] == 0
    latency = metrics["solvency_http_request_duration_seconds_count"]
    assert latency[("POST", "/v1/admin/proposals", "409")] == 4
    assert latency[("GET", "/v1/markets/{market}/params", "200")] >= 1


def test_pause_survives_restart(tmp_path: Path) -> None:
    svc = service(tmp_path)
    svc.post("/v1/admin/pause", {}, "admin")
    svc.engine.ledger.close()
    again = service(tmp_path)
    assert again.engine.paused and again.client.get("/healthz").json()["paused"]


def test_websocket_backlog_then_live(tmp_path: Path) -> None:
    svc = service(tmp_path, {"markets": {"weth": {"rules": {"ltv": {"min_delay": "0s"}}}}})
    values = [0.795, 0.80, 0.79]
    for v in values[:2]:
        svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": v}}, "admin")
    with svc.client as client, client.websocket_connect("/v1/stream?since=1") as ws:
        first = ws.receive_json()
        assert first["type"] == "update" and first["seq"] == 2 and first["new"] == 0.80
        svc.post("/v1/admin/proposals", {"market": "weth", "params": {"ltv": values[2]}}, "admin")
        live = ws.receive_json()
        assert live["seq"] == 3 and live["new"] == 0.79 and live["prev_hash"] == first["hash"]


def test_json_nan_and_infinity_in_proposals_are_refused_not_published(svc: Service) -> None:
    for token in ("NaN", "Infinity", "-Infinity", "0", "-0.5", "1e309"):
        body = '{"market":"weth","params":{"ltv":' + token + "}}"
        r = svc.post("/v1/admin/proposals", body.encode(), "admin")
        assert r.status_code in (409, 422), (token, r.text)
    assert svc.engine.ledger.last_seq == 0
    assert math.isclose(svc.engine.controller.markets["weth"].params["ltv"], 0.805)
    assert SOURCES
