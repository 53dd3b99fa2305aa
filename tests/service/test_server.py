"""The real server in a subprocess: crash durability (SIGKILL mid-burst) and the WebSocket stream."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.oracle._support import SOURCES, check_rows, merged, token, write_config
from tests.service._server import Server, solvency_exe

pytestmark = [pytest.mark.service, pytest.mark.xdist_group("server")]

FAST = {
    "markets": {
        "weth": {
            "rules": {
                "ltv": {"min_delay": "0s"},
                "liquidation_threshold": {"min_delay": "0s"},
            }
        }
    }
}


def rows_of(db: Path) -> dict[int, tuple[str, float]]:
    conn = sqlite3.connect(db)
    out = {seq: (p, v) for seq, p, v in conn.execute("SELECT seq, parameter, new FROM updates")}
    conn.close()
    return out


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``solvency`` script with ``args``."""
    return subprocess.run([solvency_exe(), *args], capture_output=True, text=True, timeout=120, check=False)


def verify_cli(db: Path, pub: Path) -> dict:
    done = cli("ledger", "verify", str(db), "--pubkey", str(pub), "--json")
    out = json.loads(done.stdout)
    assert (done.returncode == 0) == out["ok"]
    return out


@pytest.mark.slow
def test_sigkill_during_a_burst_loses_no_acknowledged_update(tmp_path: Path) -> None:
    config = write_config(tmp_path, FAST)
    admin = {"Authorization": f"Bearer {token(tmp_path, 'admin')}"}
    writer = {"Authorization": f"Bearer {token(tmp_path, 'writer')}"}
    db, pub = tmp_path / "ledger.sqlite", tmp_path / "keys" / "oracle_ed25519.pub.pem"
    acked: dict[int, tuple[str, float]] = {}
    stop = threading.Event()

    def proposals(url: str) -> None:
        values = [0.795, 0.805]
        with httpx.Client(base_url=url, headers=admin, timeout=10) as client:
            i = 0
            while not stop.is_set():
                body = {"market": "weth", "params": {"ltv": values[i % 2]}}
                try:
                    r = client.post("/v1/admin/proposals", json=body)
                except httpx.HTTPError:
                    return  # the server died under us
                if r.status_code == 200:
                    for row in r.json()["updates"]:
                        acked[row["seq"]] = (row["parameter"], row["new"])
                i += 1

    def ticks(url: str) -> None:
        with httpx.Client(base_url=url, headers=writer, timeout=10) as client:
            while not stop.is_set():
                now = time.time()
                batch = [{"asset": "ETH", "source": s, "time": now, "price": 2000.0} for s in SOURCES]
                try:
                    client.post("/v1/prices", json={"ticks": batch})
                except httpx.HTTPError:
                    return

    server = Server(config)
    workers = [threading.Thread(target=f, args=(server.url,)) for f in (proposals, ticks)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()  # SIGKILL in the middle of the burst
    stop.set()
    for w in workers:
        w.join(timeout=30)
    assert len(acked) >= 40

    check = verify_cli(db, pub)
    assert check["ok"], check
    stored = rows_of(db)
    missing = {seq: v for seq, v in acked.items() if stored.get(seq) != v}
    assert not missing, f"acknowledged but lost: {missing}"
    last = max(stored)
    assert check["last_seq"] == last and sorted(stored) == list(range(1, last + 1))

    with Server(config) as again:  # restart: resumes from the last seq with the last values
        assert again.info["last_seq"] == last
        with httpx.Client(base_url=again.url, headers=admin, timeout=10) as client:
            view = client.get("/v1/markets/weth/params").json()
            assert view["params"]["ltv"] == stored[last][1] and view["last_seq"] == last
            nxt = 0.795 if view["params"]["ltv"] == 0.805 else 0.805
            r = client.post("/v1/admin/proposals", json={"market": "weth", "params": {"ltv": nxt}})
            assert r.status_code == 200 and r.json()["updates"][0]["seq"] == last + 1
            page = client.get("/v1/updates", params={"since": last - 1}).json()["updates"]
            assert [u["seq"] for u in page] == [last, last + 1]
            assert page[1]["prev_hash"] == page[0]["hash"]
    assert verify_cli(db, pub)["ok"]
    rows = []
    conn = sqlite3.connect(db)
    for seq, t, m, p, o, n in conn.execute("SELECT seq, time, market, parameter, old, new FROM updates ORDER BY seq"):
        rows.append({"seq": seq, "time": t, "market": m, "parameter": p, "old": o, "new": n})
    conn.close()
    check_rows(rows, merged(FAST))


def test_websocket_every_update_once_in_order_and_resume(tmp_path: Path) -> None:
    config = write_config(tmp_path, FAST)
    admin = {"Authorization": f"Bearer {token(tmp_path, 'admin')}"}
    total = 24
    with Server(config) as server, httpx.Client(base_url=server.url, headers=admin, timeout=10) as client:

        def publish(n: int) -> None:
            for _ in range(n):
                ltv = client.get("/v1/markets/weth/params").json()["params"]["ltv"]
                body = {"market": "weth", "params": {"ltv": 0.795 if ltv == 0.805 else 0.805}}
                assert client.post("/v1/admin/proposals", json=body).status_code == 200

        publish(4)  # a backlog before anyone subscribes
        seen: list[int] = []
        hashes: dict[int, str] = {}
        with connect(f"{server.ws_url}/v1/stream?since=0", open_timeout=10) as ws:
            feeder = threading.Thread(target=publish, args=(8,))
            feeder.start()
            while len(seen) < 10:
                msg = json.loads(ws.recv(timeout=10))
                seen.append(msg["seq"])
                hashes[msg["seq"]] = msg["prev_hash"]
            feeder.join()
        # disconnected after 10 of the 12 so far; more updates happen while away
        publish(total - 12)
        with connect(f"{server.ws_url}/v1/stream?since={seen[-1]}", open_timeout=10) as ws:
            while len(seen) < total:
                msg = json.loads(ws.recv(timeout=10))
                seen.append(msg["seq"])
                hashes[msg["seq"]] = msg["prev_hash"]
            with pytest.raises(TimeoutError):
                ws.recv(timeout=0.5)  # nothing more, nothing twice
    assert seen == list(range(1, total + 1))


def test_port_in_use_or_ledger_in_use_are_clear_errors(tmp_path: Path) -> None:
    config = write_config(tmp_path / "a")
    other = write_config(tmp_path / "b")

    def second(cfg: Path, port: int) -> dict:
        done = cli("serve", "--config", str(cfg), "--port", str(port), "--json")
        assert done.returncode == 1
        return json.loads(done.stdout)["error"]

    with Server(config) as server:
        assert "cannot listen" in second(other, server.info["port"])["message"]
        assert "in use by another oracle" in second(config, 0)["message"]  # two oracles, one ledger: refused
