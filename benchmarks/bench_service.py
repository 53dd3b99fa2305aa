"""Load benchmark of the risk oracle service: parameter reads and batch tick ingestion over loopback.

The real server (``solvency serve``, uvicorn, one process) runs in a subprocess on a free loopback port with a
fresh key and ledger in a temporary folder (``examples/oracle.toml`` beside a new key pair). The load generator
runs in another process: a minimal HTTP/1.1 keep-alive client on asyncio streams (so the client, not the
server, is cheap), with a fixed number of connections.

* reads: ``GET /v1/markets/aave-v3-weth/params`` from ``--connections`` connections for ``--duration`` seconds
  (at most ``--max-requests``); throughput and per-request latency percentiles.
* ticks: ``POST /v1/prices`` batches of ``--batch`` ticks (three sources of one asset, strictly increasing
  times, prices near the consensus: all accepted) on one connection per asset for ``--duration`` seconds (at most
  ``--max-batches``); ticks accepted per second as counted by the server's answers.

Targets (issue 6): ≥ 2,000 reads/s with p99 ≤ 20 ms, ≥ 20,000 ticks/s. Loopback only; bounded in count and
time. Run: ``python benchmarks/bench_service.py --json``.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import random
import selectors
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import parser, report

ROOT = Path(__file__).resolve().parents[1]
MARKET = "aave-v3-weth"


# ------------------------------------------------------------------------------------------ the server


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    from solvency.oracle.keys import generate_keys

    shutil.copy(ROOT / "examples" / "oracle.toml", folder / "oracle.toml")
    generate_keys(folder / "keys")
    exe = Path(sys.executable).parent / "solvency"
    log = open(folder / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen(
        [str(exe), "serve", "--config", str(folder / "oracle.toml"), "--host", "127.0.0.1", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=log,
    )
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline, buf = time.monotonic() + 60, b""
    while time.monotonic() < deadline and b"\n" not in buf:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited; see {folder / 'server.log'}")
        if sel.select(timeout=0.2):
            buf += os.read(proc.stdout.fileno(), 65536)
    if b"\n" not in buf:
        proc.kill()
        raise RuntimeError("server not ready in 60 s")
    return proc, json.loads(buf.split(b"\n", 1)[0])


# ------------------------------------------------------------------------------------ the load generator


async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> tuple[int, bytes]:
    writer.write(data)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _reads(port: int, connections: int, duration: float, max_requests: int) -> dict[str, Any]:
    request = f"GET /v1/markets/{MARKET}/params HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    latencies: list[float] = []
    errors = 0
    budget = [max_requests]
    end = time.perf_counter() + duration

    async def worker() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < end and budget[0] > 0:
            budget[0] -= 1
            t0 = time.perf_counter()
            status, _ = await _request(reader, writer, request)
            latencies.append(time.perf_counter() - t0)
            errors += status != 200
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": errors,
        "seconds": elapsed,
        "per_s": len(latencies) / elapsed,
        "p50_ms": 1e3 * statistics.median(ordered),
        "p99_ms": 1e3 * ordered[int(0.99 * (len(ordered) - 1))],
        "max_ms": 1e3 * ordered[-1],
        "connections": connections,
    }


async def _ticks(port: int, token: str, batch: int, duration: float, max_batches: int) -> dict[str, Any]:
    accepted = refused = sent = batches = 0
    budget = [max_batches]
    end = time.perf_counter() + duration
    rng = random.Random(7)

    async def worker(asset: str, price: float) -> None:
        nonlocal accepted, refused, sent, batches
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        last = time.time() - 5.0
        while time.perf_counter() < end and budget[0] > 0:
            budget[0] -= 1
            ticks = []
            for _ in range(batch // 3):
                last += 1e-4
                price *= 1.0 + rng.gauss(0.0, 2e-5)
                for source in ("binance", "coinbase", "kraken"):
                    ticks.append({"asset": asset, "source": source, "time": last, "price": price * (1 + 1e-5)})
            body = json.dumps({"ticks": ticks}).encode()
            head = (
                f"POST /v1/prices HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            status, answer = await _request(reader, writer, head + body)
            if status != 200:
                raise RuntimeError(f"POST /v1/prices answered {status}: {answer[:200]!r}")
            out = json.loads(answer)
            accepted += out["accepted"]
            refused += sum(out["refused"].values()) + out["held"]
            sent += len(ticks)
            batches += 1
            last = max(last, time.time() - 5.0)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(worker("ETH", 2000.0), worker("BTC", 60_000.0))
    elapsed = time.perf_counter() - start
    return {
        "batches": batches,
        "batch_size": 3 * (batch // 3),
        "ticks_sent": sent,
        "ticks_accepted": accepted,
        "ticks_refused_or_held": refused,
        "seconds": elapsed,
        "accepted_per_s": accepted / elapsed,
        "connections": 2,
    }


def _generator(port: int, token: str, args: dict[str, Any], out: Any) -> None:
    reads = asyncio.run(_reads(port, args["connections"], args["duration"], args["max_requests"]))
    ticks = asyncio.run(_ticks(port, token, args["batch"], args["duration"], args["max_batches"]))
    out.put({"reads": reads, "ticks": ticks})


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=5.0, help="seconds per phase")
    p.add_argument("--connections", type=int, default=8, help="concurrent read connections")
    p.add_argument("--max-requests", type=int, default=100_000)
    p.add_argument("--batch", type=int, default=6_000, help="ticks per POST")
    p.add_argument("--max-batches", type=int, default=200)
    args = p.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="solvency-bench-"))
    proc, info = start_server(folder)
    try:
        token = (folder / "keys" / "writer.token").read_text().strip()
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        gen = ctx.Process(target=_generator, args=(info["port"], token, vars(args), out))
        gen.start()
        result = out.get(timeout=4 * args.duration + 120)
        gen.join(timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)
    reads, ticks = result["reads"], result["ticks"]
    report(
        {
            "benchmark": "service",
            "server": "solvency serve (uvicorn, 1 process) on 127.0.0.1; load generator in another process",
            "reads": reads,
            "ticks": ticks,
            "targets": {"reads_per_s": 2000, "read_p99_ms": 20, "ticks_per_s": 20000},
            "meets_targets": reads["per_s"] >= 2000 and reads["p99_ms"] <= 20 and ticks["accepted_per_s"] >= 20000,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
