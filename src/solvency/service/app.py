"""The risk oracle's HTTP API (FastAPI): REST reads, authenticated writes, a WebSocket stream, metrics.

=======================================  ======  ===========================================================
endpoint                                 auth    what
=======================================  ======  ===========================================================
``GET /healthz``                         —       200 ``ok``; 503 ``degraded`` when an asset lacks quorum
``GET /v1/markets``                      —       every market's parameters and state
``GET /v1/markets/{market}/params``      —       one market's parameters in force (404 if unknown)
``GET /v1/updates?since=SEQ&limit=N``    —       ledger rows after ``SEQ``, in order, signed
``WS  /v1/stream?since=SEQ``             —       rows after ``SEQ``, then each new row once, in order
``POST /v1/prices``                      writer  a batch of ticks (and implied vols); answers after commit
``POST /v1/admin/proposals``             admin   set parameters, all or nothing within the guardrails (409)
``POST /v1/admin/pause`` / ``resume``    admin   the kill switch (persisted)
``GET /metrics``                         —       Prometheus text format
=======================================  ======  ===========================================================

Writes check the token before reading the body (401 first), then validate the body (422 naming the field).
Everything a write does goes through the engine, hence through the guardrails: there is no endpoint that sets a
parameter any other way. Blocking work (validation of large batches, the ledger's fsync) runs in worker threads,
so reads are served while a batch commits; reads take no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import TypeAdapter, ValidationError

from solvency import __version__
from solvency.errors import ConfigError
from solvency.jsonutil import dumps
from solvency.oracle.config import OracleConfig, seconds
from solvency.oracle.engine import OracleEngine
from solvency.oracle.keys import load_private_key
from solvency.oracle.ledger import Ledger, Record, connect, read_since, verify_ledger
from solvency.service.auth import TokenSet, require
from solvency.service.metrics import LatencyMiddleware, Metrics
from solvency.service.schemas import CONTROL, PRICE_BATCH, PROPOSAL, epoch

PAGE = 1000
"""Most rows per ``/v1/updates`` page and per WebSocket read."""


def open_engine(config: OracleConfig, *, clock: Callable[[], float] = time.time) -> OracleEngine:
    """Load the key, verify the ledger (unless disabled) and build the engine.

    Raises
    ------
    ConfigError
        Missing key, a ledger signed by another key, or a ledger that fails verification.
    """
    key = load_private_key(config.service.private_key)
    path = config.service.ledger
    if config.service.verify_on_start and path.is_file():
        check = verify_ledger(path, key.public_key())
        if not check.ok:
            raise ConfigError(
                f"the ledger fails verification at seq {check.first_bad_seq}: {check.problem}",
                path=path,
                hint="inspect it with `solvency ledger verify`; the service will not append to a broken chain",
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    return OracleEngine(config, Ledger(path, key), clock=clock)


class Broadcast:
    """Wakes WebSocket subscribers when rows are committed (callable from any thread)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event = asyncio.Event()

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.event = asyncio.Event()

    def notify(self, records: list[Record]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            if asyncio.get_running_loop() is loop:
                self._fire()
                return
        except RuntimeError:
            pass
        loop.call_soon_threadsafe(self._fire)

    def _fire(self) -> None:
        event, self.event = self.event, asyncio.Event()
        event.set()


def _parse(adapter: TypeAdapter[Any], body: bytes, *, optional: bool = False) -> Any:
    if optional and not body.strip():
        body = b"{}"
    try:
        return adapter.validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(
            exc.errors(include_url=False, include_context=False, include_input=False)
        ) from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it exceeds ``limit`` bytes (declared or streamed)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"body larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, f"body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(content=dumps(payload), status_code=status, media_type="application/json")


def create_app(
    config: OracleConfig, *, engine: OracleEngine | None = None, clock: Callable[[], float] = time.time
) -> FastAPI:
    """Build the app around an engine (opened from the config unless given).

    Parameters
    ----------
    config
        The oracle config (tokens, limits).
    engine
        An engine to serve; default :func:`open_engine` with ``clock``.
    clock
        Epoch seconds; tests pass a fake clock.
    """
    engine = engine if engine is not None else open_engine(config, clock=clock)
    writers = TokenSet(config.writer_hashes())
    admins = TokenSet(config.admin_hashes())
    metrics = Metrics(engine)
    broadcast = Broadcast()
    engine.listeners.append(broadcast.notify)
    period = seconds(config.service.housekeeping)
    local = threading.local()  # one read connection per worker thread for /v1/updates
    max_batch = config.service.max_batch
    max_body = 256 * max_batch + 65_536  # a tick is ~100 bytes of JSON; generous, but bounded
    admin_body = 65_536
    ledger_path = str(engine.ledger.path)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broadcast.bind(asyncio.get_running_loop())

        async def housekeeping() -> None:
            while True:
                await asyncio.sleep(period)
                await anyio.to_thread.run_sync(engine.housekeeping)

        task = asyncio.create_task(housekeeping())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="solvency risk oracle", version=__version__, lifespan=lifespan)
    app.state.engine = engine
    writer = Depends(require(writers, "writer"))
    admin = Depends(require(admins, "admin"))
    cache: dict[str, tuple[int, bytes]] = {}

    @app.get("/healthz")
    def healthz() -> Response:
        health = engine.health()
        return _json(health, 200 if health["status"] == "ok" else 503)

    @app.get("/v1/markets")
    async def markets() -> Response:
        return _json({"markets": [engine.market_view(m) for m in engine.markets()]})

    @app.get("/v1/markets/{market}/params")
    async def params(market: str) -> Response:
        view = engine.views.get(market)
        if view is None:
            raise HTTPException(404, f"unknown market {market!r}; known: {engine.markets()}")
        hit = cache.get(market)
        if hit is None or hit[0] != id(view):
            hit = (id(view), dumps(view).encode())
            cache[market] = hit
        return Response(content=hit[1], media_type="application/json")

    @app.get("/v1/updates")
    def updates(since: int = Query(0, ge=0), limit: int = Query(PAGE, ge=1, le=PAGE)) -> Response:
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = connect(ledger_path)
        rows = read_since(conn, since, limit)
        return _json({"updates": [r.to_dict() for r in rows], "last_seq": engine.ledger.last_seq})

    @app.post("/v1/prices", dependencies=[writer])
    async def prices(request: Request) -> Response:
        body = await read_body(request, max_body)

        def work() -> dict[str, Any]:
            batch = _parse(PRICE_BATCH, body)
            if len(batch.ticks) + len(batch.implied_vol) > max_batch:
                raise HTTPException(413, f"at most {max_batch} ticks per batch")
            ticks = [(t["asset"], t["source"], epoch(t["time"]), t["price"]) for t in batch.ticks]
            implied = [(v["asset"], epoch(v["time"]), v["value"]) for v in batch.implied_vol]
            return engine.ingest(ticks, implied).to_dict()

        return _json(await anyio.to_thread.run_sync(work))

    @app.post("/v1/admin/proposals", dependencies=[admin])
    async def proposals(request: Request) -> Response:
        body = await read_body(request, admin_body)

        def work() -> Response:
            proposal = _parse(PROPOSAL, body)
            if proposal.market not in engine.views:
                raise HTTPException(404, f"unknown market {proposal.market!r}; known: {engine.markets()}")
            created = engine.now() if proposal.created is None else epoch(proposal.created)
            result = engine.propose(proposal.market, proposal.params, created=created, note=proposal.note)
            payload = {
                "accepted": result.accepted,
                "reasons": result.reasons,
                "updates": [r.to_dict() for r in result.updates],
            }
            return _json(payload, 200 if result.accepted else 409)

        return await anyio.to_thread.run_sync(work)

    async def control(request: Request, paused: bool) -> Response:
        body = await read_body(request, admin_body)

        def work() -> dict[str, Any]:
            note = _parse(CONTROL, body, optional=True).note
            was = engine.set_paused(paused, note=note)
            return {"paused": paused, "was_paused": was}

        return _json(await anyio.to_thread.run_sync(work))

    @app.post("/v1/admin/pause", dependencies=[admin])
    async def pause(request: Request) -> Response:
        return await control(request, True)

    @app.post("/v1/admin/resume", dependencies=[admin])
    async def resume(request: Request) -> Response:
        return await control(request, False)

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(content=generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket, since: int = Query(0, ge=0)) -> None:
        await ws.accept()
        conn = connect(ledger_path)
        cursor = since
        receiver = asyncio.ensure_future(ws.receive())
        try:
            while True:
                event = broadcast.event  # taken before reading, so a commit in between is not missed
                rows = read_since(conn, cursor, PAGE)
                for row in rows:
                    await ws.send_text(dumps({"type": "update", **row.to_dict()}))
                    cursor = row.seq
                if len(rows) == PAGE:
                    continue
                waiter = asyncio.ensure_future(event.wait())
                done, _ = await asyncio.wait({waiter, receiver}, return_when=asyncio.FIRST_COMPLETED)
                if receiver in done:
                    waiter.cancel()
                    message = receiver.result()
                    if message["type"] == "websocket.disconnect":
                        break
                    receiver = asyncio.ensure_future(ws.receive())  # clients may send pings; ignored
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            receiver.cancel()
            conn.close()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)

    app.add_middleware(LatencyMiddleware, metrics=metrics)
    return app


def jsonable(errors: Any) -> Any:
    """Validation errors with anything non-JSON (exception objects in ``ctx``) turned into text."""
    if isinstance(errors, dict):
        return {k: jsonable(v) for k, v in errors.items()}
    if isinstance(errors, list | tuple):
        return [jsonable(v) for v in errors]
    if errors is None or isinstance(errors, str | int | float | bool):
        return errors
    return str(errors)
