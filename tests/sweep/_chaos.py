"""Task wrappers for the cluster tests: they run on Dask workers, so they live in an importable module."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solvency.sweep.executors import DaskExecutor


def _attempt(log: Path, label: str) -> None:
    with open(log, "a") as fh:  # one short O_APPEND write per attempt: whole lines even across processes
        fh.write(f"{label}\n")


def _first_time(marker: Path) -> bool:
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


@dataclass(frozen=True)
class KillOnce:
    """Run ``fn``, except that the first attempt of task ``victim`` SIGKILLs its own worker process."""

    fn: Callable[[Any], Any]
    folder: Path
    victim: str

    def __call__(self, task: Any) -> Any:
        _attempt(self.folder / "attempts.log", task.label)
        if task.label == self.victim and _first_time(self.folder / "killed"):
            (self.folder / "killed").write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return self.fn(task)


class KillingExecutor(DaskExecutor):
    """A DaskExecutor whose tasks go through :class:`KillOnce`."""

    def __init__(self, inner: DaskExecutor, folder: Path, victim: str) -> None:
        super().__init__(inner.client, cluster=inner.cluster, retries=inner.retries)
        self.folder, self.victim = folder, victim

    def map(self, fn: Callable[[Any], Any], tasks: Any, **kwargs: Any) -> list[Any]:
        return super().map(KillOnce(fn, self.folder, self.victim), tasks, **kwargs)


@dataclass(frozen=True)
class Counted:
    """Log every attempt of ``fn`` to ``log``; raise ``error`` on the first attempt (or on every one)."""

    log: Path
    error: BaseException
    always: bool = False

    def __call__(self, x: int) -> int:
        _attempt(self.log, str(x))
        if self.always or _first_time(self.log.with_suffix(".first")):
            raise self.error
        return x + 1
