"""Margin backtests of several price files, one task per file (no randomness: any executor, same numbers)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from solvency.calibrate.margin_backtest import MarginBacktest, margin_backtest
from solvency.data.resolve import prices_or_sample
from solvency.errors import SolvencyInputError
from solvency.sweep.executors import Executor, LocalExecutor


@dataclass(frozen=True)
class MarginTask:
    """Backtest one file (read on the worker, so the path must be visible there)."""

    path: Path
    coverage: float
    horizon: int

    @property
    def label(self) -> str:
        return str(self.path)


def run_margin_task(task: MarginTask) -> MarginBacktest:
    """Load, validate and backtest one file (runs on a worker)."""
    return margin_backtest(prices_or_sample(task.path), coverage=task.coverage, horizon=task.horizon)


@dataclass
class MarginSweep:
    """Backtests by file, in the order the files were given."""

    results: dict[str, MarginBacktest]
    executor: dict[str, Any]
    runtime_s: float

    @property
    def passed(self) -> bool:
        """Every file's dynamic margin passes both coverage tests."""
        return all(r.passed for r in self.results.values())

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency margin-backtest FILE FILE … --json`` object: each file's backtest under ``files``."""
        return {
            "files": {name: r.to_dict() for name, r in self.results.items()},
            "passed": sum(r.passed for r in self.results.values()),
            "failed": sum(not r.passed for r in self.results.values()),
            "pass": self.passed,
            "executor": self.executor,
            "runtime_s": self.runtime_s,
        }


def sweep_margin_backtest(
    files: Sequence[str | Path],
    *,
    coverage: float = 0.99,
    horizon: int = 3600,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MarginSweep:
    """Run :func:`~solvency.calibrate.margin_backtest.margin_backtest` on every file.

    Parameters
    ----------
    files
        Price files; each is read and validated where its task runs (paths are made absolute here).
    coverage, horizon
        As for ``margin_backtest`` (horizon in seconds), the same for every file.
    executor, progress
        Where the tasks run, and ``progress(done, total)``.
    """
    started = time.perf_counter()
    if not files:
        raise SolvencyInputError("no price files given")
    names = [str(f) for f in files]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SolvencyInputError(f"file given more than once: {', '.join(repeated)}")
    tasks = [MarginTask(Path(f).expanduser().resolve(), coverage, horizon) for f in files]
    executor = executor or LocalExecutor()
    results = executor.map(run_margin_task, tasks, name="margin-backtest", progress=progress)
    return MarginSweep(
        results=dict(zip(names, results, strict=True)),
        executor=executor.describe(),
        runtime_s=time.perf_counter() - started,
    )
