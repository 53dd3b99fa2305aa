"""On real Dask clusters: the same numbers on 1 worker, 2 workers and in-process; a killed worker loses nothing.

Dask tasks run the simulator on one thread, so the reference is the local loop on one thread too: then every
array, the per-position shortfall sums included, must be equal bit for bit.
"""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from solvency.errors import SolvencyError, SolvencyInputError
from solvency.sweep.executors import DaskExecutor, LocalExecutor, engine_threads, get_executor
from solvency.sweep.stress import StressSweep, sweep_stress

from ._chaos import Counted, KillingExecutor
from ._support import without_timings, write_markets

pytest.importorskip("distributed")

ARGS = {"scenarios": "oct-2025,black-thursday-2020", "paths": 500, "seed": 21, "horizon": "12h", "chunk_paths": 256}
TASKS = 2 * 2 * 2  # markets × scenarios × chunks


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_markets(tmp_path_factory.mktemp("markets"), 2)


@pytest.fixture(scope="module")
def reference(folder: Path) -> StressSweep:
    with engine_threads(1):
        return sweep_stress(folder, **ARGS)


def _assert_identical(got: StressSweep, ref: StressSweep) -> None:
    assert got.tasks == ref.tasks == TASKS
    assert without_timings(got.to_dict()) == without_timings(ref.to_dict())
    for a, b in zip(got.cells, ref.cells, strict=True):
        for name in ("bad_debt", "insolvent", "liquidations", "volume", "repaid", "reached", "shortfall"):
            assert np.array_equal(getattr(a.output, name), getattr(b.output, name)), (a.market, a.scenario, name)
    assert any(c.output.bad_debt.any() for c in ref.cells)


@pytest.mark.parametrize(
    ("workers", "processes"), [(1, True), (2, True), (2, False)], ids=["1-worker", "2-workers", "in-process"]
)
def test_same_seed_same_numbers_on_every_cluster(
    folder: Path, reference: StressSweep, workers: int, processes: bool
) -> None:
    with get_executor(workers=workers, processes=processes) as ex:
        assert isinstance(ex, DaskExecutor) and ex.workers == workers
        got = sweep_stress(folder, executor=ex, **ARGS)
    assert got.executor["kind"] == "dask" and got.executor["threads_per_task"] == 1
    _assert_identical(got, reference)


def test_local_loop_on_all_threads_differs_only_in_shortfall_summation_order(
    folder: Path, reference: StressSweep
) -> None:
    got = sweep_stress(folder, **ARGS)
    assert without_timings(got.to_dict()) == without_timings(reference.to_dict())
    for a, b in zip(got.cells, reference.cells, strict=True):
        assert np.array_equal(a.output.bad_debt, b.output.bad_debt)
        np.testing.assert_allclose(a.output.shortfall, b.output.shortfall, rtol=1e-12, atol=1e-6)


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_and_repeats_nothing(
    folder: Path, reference: StressSweep, tmp_path: Path
) -> None:
    with get_executor(workers=2) as inner:
        before = set(inner.client.run(lambda: __import__("os").getpid()).values())
        tasks_labels = _labels(folder)
        victim = tasks_labels[len(tasks_labels) // 2]
        ex = KillingExecutor(inner, tmp_path, victim)
        got = sweep_stress(folder, executor=ex, **ARGS)
        # the workers alive now (the nanny may still be restarting the killed one on a loaded machine)
        after = set(inner.client.run(lambda: __import__("os").getpid()).values())
    killed = int((tmp_path / "killed").read_text())
    assert killed in before and killed not in after  # a worker process really died and was replaced
    attempts = Counter((tmp_path / "attempts.log").read_text().splitlines())
    assert set(attempts) == set(tasks_labels)
    assert attempts[victim] >= 2  # killed once, then run again elsewhere
    _assert_identical(got, reference)


class _Planned(Exception):
    pass


def _labels(folder: Path) -> list[str]:
    """The sweep's task labels, in task order (from an executor that records them and runs nothing)."""
    captured: list[str] = []

    class Recorder(LocalExecutor):
        def map(self, fn, tasks, **kwargs):
            captured.extend(t.label for t in tasks)
            raise _Planned

    with pytest.raises(_Planned):
        sweep_stress(folder, executor=Recorder(), **ARGS)
    return captured


def test_input_errors_come_back_once_and_are_not_retried(threads_cluster: DaskExecutor, tmp_path: Path) -> None:
    log = tmp_path / "log"
    error = SolvencyInputError("bad value", path="x.csv", row=3, hint="fix it")
    with pytest.raises(SolvencyInputError) as info:
        threads_cluster.map(Counted(log, error, always=True), [1])
    assert info.value.to_dict() == error.to_dict()
    assert log.read_text().splitlines() == ["1"]


def test_unexpected_errors_are_retried(threads_cluster: DaskExecutor, tmp_path: Path) -> None:
    log = tmp_path / "log"
    assert threads_cluster.map(Counted(log, RuntimeError("flaky disk")), [5]) == [6]
    assert log.read_text().splitlines() == ["5", "5"]
    with pytest.raises(SolvencyError, match=r"failed on the cluster \(RuntimeError: always\) after 2 retries"):
        threads_cluster.map(Counted(tmp_path / "log2", RuntimeError("always"), always=True), [7])
    assert (tmp_path / "log2").read_text().splitlines() == ["7"] * 3


def test_a_missing_price_file_on_the_workers_is_an_input_error(threads_cluster: DaskExecutor, tmp_path: Path) -> None:
    folder = write_markets(tmp_path, 2)
    spec = folder / "m1.toml"
    spec.write_text(spec.read_text() + '[prices]\nfile = "nowhere.csv"\n')
    with pytest.raises(SolvencyInputError, match=r"nowhere\.csv"):
        sweep_stress(folder, executor=threads_cluster, **ARGS)


def test_an_unreachable_scheduler_is_an_input_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free once closed: nothing listens there
    with pytest.raises(SolvencyInputError, match="cannot reach the Dask scheduler") as info:
        DaskExecutor.connect(f"tcp://127.0.0.1:{port}", timeout=1)
    assert "dask scheduler" in info.value.hint


@pytest.mark.parametrize("address", ["nonsense", "http://127.0.0.1:8786"])
def test_a_malformed_scheduler_address_is_an_input_error(address: str) -> None:
    with pytest.raises(SolvencyInputError, match="not a Dask scheduler address") as info:
        DaskExecutor.connect(address, timeout=1)
    assert "tcp://HOST:PORT" in info.value.hint


def test_a_scheduler_without_workers_is_an_input_error() -> None:
    from distributed import LocalCluster

    with (
        LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as empty,
        pytest.raises(SolvencyInputError, match="has no workers") as info,
    ):
        DaskExecutor.connect(empty.scheduler_address, worker_timeout=0.5)
    assert "dask worker" in info.value.hint


def test_thread_workers_have_no_memory_limit(threads_cluster: DaskExecutor) -> None:
    """They share this process's memory: a limit would pause them once the process grows, and hang the sweep."""
    limits = [w["memory_limit"] for w in threads_cluster.client.scheduler_info()["workers"].values()]
    assert limits == [0, 0]


def test_thread_workers_are_not_dropped_for_a_late_heartbeat(threads_cluster: DaskExecutor) -> None:
    """A late heartbeat from a thread worker means this process held the GIL, not that the worker died."""
    assert threads_cluster.cluster.scheduler.worker_ttl > 365 * 86400


def test_a_cluster_left_without_workers_fails_instead_of_waiting() -> None:
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, processes=False, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        ex = DaskExecutor(client, worker_timeout=1)
        client.retire_workers(close_workers=True)
        assert not client.nthreads()
        with pytest.raises(SolvencyError, match="no worker for 1 s"):
            ex.map(abs, [-1])


def test_a_finished_result_lost_with_its_worker_is_computed_again() -> None:
    """Both tasks finish on the only worker; the worker dies after the client took one result, before the other:
    that one is "lost" until the scheduler computes it again, and the map waits for it instead of failing."""
    import os
    import signal
    import time

    with get_executor(workers=1) as ex:
        (pid,) = ex.client.run(os.getpid).values()

        def kill_after_first(done: int, total: int) -> None:
            if done != 1:
                return
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # until both results sit on the worker
                held = [k for k, w in ex.client.who_has().items() if k.startswith("solvency-race-") and w]
                if len(held) == 2:
                    break
                time.sleep(0.02)
            os.kill(pid, signal.SIGKILL)
            while time.monotonic() < deadline:  # until the scheduler (and so this client) has marked them lost
                if not any(w for k, w in ex.client.who_has().items() if k.startswith("solvency-race-")):
                    break
                time.sleep(0.02)
            time.sleep(0.5)

        assert ex.map(abs, [-1, -2], name="race", progress=kill_after_first) == [1, 2]
        assert pid not in ex.client.run(os.getpid).values()
