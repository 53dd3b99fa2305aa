"""Run the service with uvicorn (``solvency serve``).

Loopback by default. The ready line (URL, pid, ledger head) is handed to ``on_ready`` once the socket listens,
so a caller — the CLI, a test, a benchmark — knows the real port when it asked for port 0.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import uvicorn

from solvency.errors import SolvencyInputError
from solvency.oracle.config import OracleConfig
from solvency.oracle.keys import key_id
from solvency.service.app import create_app, open_engine


def serve(
    config: OracleConfig,
    *,
    host: str | None = None,
    port: int | None = None,
    on_ready: Callable[[dict[str, Any]], None] | None = None,
    log_level: str = "warning",
) -> None:
    """Serve until SIGINT / SIGTERM (graceful: in-flight requests finish, the ledger is closed)."""
    engine = open_engine(config)
    app = create_app(config, engine=engine)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host or config.service.host,
            port=config.service.port if port is None else port,
            log_level=log_level,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
    )

    async def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            await asyncio.sleep(0.02)
        sock = server.servers[0].sockets[0].getsockname()
        info = {
            "url": f"http://{sock[0]}:{sock[1]}",
            "host": sock[0],
            "port": sock[1],
            "pid": os.getpid(),
            "ledger": str(engine.ledger.path),
            "last_seq": engine.ledger.last_seq,
            "key_id": key_id(engine.ledger.public),
            "paused": engine.paused,
            "markets": engine.markets(),
        }
        if on_ready is not None:
            on_ready(info)

    async def main() -> None:
        watcher = asyncio.create_task(announce())
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits this way when it cannot bind
            if server.started:
                raise
            raise SolvencyInputError(
                f"cannot listen on {server.config.host}:{server.config.port}",
                hint="is the port in use? choose another with --port (0 = any free port)",
            ) from None
        finally:
            watcher.cancel()
            engine.ledger.close()

    factory = getattr(server.config, "get_loop_factory", None)  # uvicorn >= 0.36 (uvloop when installed)
    if factory is None:
        server.config.setup_event_loop()
        asyncio.run(main())
    else:
        with asyncio.Runner(loop_factory=factory()) as runner:
            runner.run(main())
