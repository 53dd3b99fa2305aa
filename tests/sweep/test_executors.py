"""Executors without a cluster: the local loop, the choice of executor, and life without the [distributed] extra."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency import _jit
from solvency.cli import app
from solvency.errors import DataQualityError, SolvencyInputError
from solvency.sweep import executors
from solvency.sweep.executors import (
    INSTALL_HINT,
    Guarded,
    LocalExecutor,
    Refused,
    engine_threads,
    get_executor,
    has_distributed,
)

from ._support import without_timings, write_markets


def _square(x: int) -> int:
    return x * x


def test_local_executor_keeps_task_order_and_reports_progress() -> None:
    seen: list[tuple[int, int]] = []
    ex = get_executor()
    assert isinstance(ex, LocalExecutor) and ex.note is None
    assert ex.map(_square, [3, 1, 2], progress=lambda d, t: seen.append((d, t))) == [9, 1, 4]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert ex.describe() == {"kind": "local", "workers": 1, "threads_per_task": _jit.threads()}


def test_workers_and_scheduler_together_are_refused() -> None:
    with pytest.raises(SolvencyInputError, match="not both"):
        get_executor(workers=2, scheduler="tcp://127.0.0.1:8786")


@pytest.fixture
def without_distributed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make solvency's import of ``distributed`` fail, as on an install without the [distributed] extra.

    Patched in solvency's module only: emptying ``sys.modules["distributed"]`` here would also break the Dask
    clusters other tests keep running in this process (``test_cli_without_the_extra`` does the real thing, in a
    fresh interpreter).
    """

    def missing() -> None:
        raise ImportError("No module named 'distributed'")

    monkeypatch.setattr(executors, "_load_distributed", missing)
    assert not has_distributed()


@pytest.mark.usefixtures("without_distributed")
def test_without_the_extra_workers_fall_back_to_the_local_loop() -> None:
    ex = get_executor(workers=2)
    assert isinstance(ex, LocalExecutor)
    assert INSTALL_HINT in ex.note and "2 workers" in ex.note
    assert ex.describe()["note"] == ex.note


@pytest.mark.usefixtures("without_distributed")
def test_without_the_extra_a_scheduler_is_refused_with_the_install_hint() -> None:
    with pytest.raises(SolvencyInputError) as info:
        get_executor(scheduler="tcp://127.0.0.1:8786")
    assert info.value.hint == INSTALL_HINT
    assert "--scheduler needs dask.distributed" in str(info.value)


def _without_extra(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh interpreter where ``import distributed`` fails, as without the extra."""
    code = "import sys; sys.modules['distributed'] = None; from solvency.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=os.environ | {"NO_COLOR": "1"},
    )


def test_cli_without_the_extra(tmp_path: Path) -> None:
    folder = write_markets(tmp_path, 1)
    base = ["stress", "--markets", str(folder), "--scenario", "oct-2025", "--paths", "256", "--horizon", "1h"]
    res = _without_extra(*base, "--scheduler", "tcp://127.0.0.1:8786", "--json")
    assert res.returncode == 1, res.stderr
    err = json.loads(res.stdout)["error"]
    assert err["hint"] == INSTALL_HINT and "--scheduler needs dask.distributed" in err["message"]
    res = _without_extra(*base, "--workers", "2", "--json", "--seed", "1")
    assert res.returncode == 0, res.stderr
    assert "pip install" in res.stderr  # the note goes to stderr; stdout stays one JSON object
    out = json.loads(res.stdout)
    assert out["executor"]["kind"] == "local" and INSTALL_HINT in out["executor"]["note"]
    local = CliRunner().invoke(app, [*base, "--json", "--seed", "1"])
    assert without_timings(out) == without_timings(json.loads(local.stdout))


def test_refused_brings_back_the_error_with_its_class_file_and_hint() -> None:
    exc = DataQualityError("2 fatal data problems", path="/data/x.csv", row=4, time="2020-03-12", hint="clean it")
    again = Refused.of(exc).error()
    assert type(again) is DataQualityError
    assert again.to_dict() == exc.to_dict()


def _bad(x: int) -> int:
    raise SolvencyInputError("bad value", path=f"file{x}.csv", hint="fix it")


def test_guarded_returns_input_errors_and_raises_bugs() -> None:
    result = Guarded(_bad)(3)
    assert isinstance(result, Refused) and result.error().path == "file3.csv"
    with pytest.raises(ZeroDivisionError):
        Guarded(lambda x: 1 / x)(0)


@pytest.mark.skipif(not _jit.ENABLED or _jit.threads() < 2, reason="needs numba with 2+ threads")
def test_engine_threads_is_per_thread_and_restored() -> None:
    before = _jit.threads()
    seen = {}

    def other() -> None:
        seen["other"] = _jit.threads()

    with engine_threads(1):
        assert _jit.threads() == 1
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["other"] == before  # another thread keeps numba's default
    assert _jit.threads() == before
    with engine_threads(None):
        assert _jit.threads() == before
