"""Start the real ``solvency serve`` in a subprocess on a free loopback port (tests and benchmarks)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def solvency_exe() -> str:
    exe = Path(sys.executable).parent / "solvency"
    if not exe.exists():
        raise RuntimeError(f"the solvency console script is not installed beside {sys.executable}")
    return str(exe)


class Server:
    """``solvency serve --config CONFIG --port 0 --json``; the ready line gives the port."""

    def __init__(self, config: Path, *, timeout: float = 60.0) -> None:
        self.config = config
        self.log = open(config.parent / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [solvency_exe(), "serve", "--config", str(config), "--port", "0", "--json"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            env=env,
        )
        self.info = self._ready(timeout)
        self.url = self.info["url"]
        self.ws_url = self.url.replace("http://", "ws://")

    def _ready(self, timeout: float) -> dict[str, Any]:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        buf = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            if sel.select(timeout=0.2):
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                buf += chunk
                if b"\n" in buf:
                    return json.loads(buf.split(b"\n", 1)[0])
        self.kill()
        raise RuntimeError(f"server not ready after {timeout}s; see {self.log.name}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.log.close()

    def stop(self) -> None:
        """SIGTERM and wait (graceful)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
