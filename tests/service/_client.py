"""An in-process service on a fake clock, for API tests (FastAPI's TestClient)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from solvency.service.app import create_app
from tests.oracle._support import SOURCES, make_config, token

T0 = 1_700_000_000.0


class Clock:
    """A settable clock (epoch seconds)."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@dataclass
class Service:
    client: TestClient
    clock: Clock
    writer: str
    admin: str
    folder: Path

    @property
    def engine(self) -> Any:
        return self.client.app.state.engine

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.writer if role == 'writer' else self.admin}"}

    def post(self, path: str, payload: Any, role: str = "writer") -> Any:
        body = payload if isinstance(payload, bytes | str) else json.dumps(payload)
        return self.client.post(path, content=body, headers=self.auth(role))

    def ticks(self, prices: dict[str, float], *, at: float | None = None) -> Any:
        t = self.clock.t if at is None else at
        batch = [{"asset": "ETH", "source": s, "time": t, "price": p} for s, p in prices.items()]
        return self.post("/v1/prices", {"ticks": batch})

    def agree(self, price: float) -> Any:
        return self.ticks(dict.fromkeys(SOURCES, price))


def service(folder: Path, overrides: dict[str, Any] | None = None, *, start: float = T0) -> Service:
    config = make_config(folder, overrides)
    clock = Clock(start)
    client = TestClient(create_app(config, clock=clock))
    return Service(client, clock, token(folder, "writer"), token(folder, "admin"), folder)
