"""Where a sweep's tasks run: here in a plain loop, or on a Dask cluster (local processes or an existing one).

Every executor has one method that matters, :meth:`Executor.map` — run ``fn`` on each task and return the
results **in task order** — so a sweep's reduction never sees completion order. Choose one with
:func:`get_executor`:

* ``get_executor()`` — :class:`LocalExecutor`: no Dask, a plain loop in this process; the simulator uses all
  its own threads inside each task. The default, and all there is without the ``[distributed]`` extra.
* ``get_executor(workers=N)`` — a :class:`DaskExecutor` on a new ``distributed.LocalCluster`` of ``N`` worker
  processes with one thread each (``processes=False``: threads of this process, for tests and notebooks).
* ``get_executor(scheduler="tcp://host:8786")`` — a :class:`DaskExecutor` on an existing cluster.

On Dask every task runs the simulator on **one** thread (the cluster supplies the parallelism; ``N`` workers ×
the simulator's own threads would oversubscribe the cores) and is submitted with ``retries``: a task that raises
an unexpected error is run again, and a task whose worker dies is moved to another worker by the scheduler
(up to ``distributed.scheduler.allowed-failures`` times). Each task's result is delivered once, under its own
key, so work lost with a worker is redone, never counted twice. Input errors (:class:`SolvencyInputError`) are
not retried — they would fail again — but brought back and raised here with the file and hint they carry.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from solvency import _jit
from solvency.errors import SolvencyError, SolvencyInputError

DEFAULT_RETRIES = 3
"""Times a Dask task that raised is run again before the sweep fails."""

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for an existing scheduler to answer."""

WORKER_TIMEOUT = 30.0
"""Seconds to wait for a scheduler to have at least one worker: when connecting, and while tasks are pending (a
cluster whose workers are all gone would otherwise wait forever for new ones)."""

POLL_INTERVAL = 0.05
"""Seconds between looks at the pending tasks."""

INSTALL_HINT = "pip install 'solvency[distributed]'"

Progress = Callable[[int, int], None]


class Executor:
    """Runs independent tasks and returns their results in task order (base class; see :func:`get_executor`)."""

    kind = "base"
    note: str | None = None
    """Something the user should know about how the work ran (e.g. a fallback), or None."""

    @property
    def workers(self) -> int:
        """Workers the tasks are spread over."""
        return 1

    def map(
        self,
        fn: Callable[[Any], Any],
        tasks: Sequence[Any],
        *,
        name: str = "task",
        progress: Progress | None = None,
    ) -> list[Any]:
        """``[fn(task) for task in tasks]``, wherever the executor runs them.

        Parameters
        ----------
        fn
            A module-level function (Dask workers import it by name).
        tasks
            Picklable task descriptions; a ``label`` attribute, if present, names a task in errors.
        name
            Prefix of the tasks' keys on a cluster (shown on the Dask dashboard).
        progress
            Called as ``progress(done, total)`` as tasks finish (in completion order).
        """
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """JSON-ready description (kind, workers, threads per task …) for a command's output."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the executor started (a local cluster's processes)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """A plain loop in this process, in task order; the simulator uses its own threads inside each task."""

    kind = "local"

    def __init__(self, *, note: str | None = None) -> None:
        self.note = note

    def map(
        self,
        fn: Callable[[Any], Any],
        tasks: Sequence[Any],
        *,
        name: str = "task",
        progress: Progress | None = None,
    ) -> list[Any]:
        results = []
        for i, task in enumerate(tasks):
            results.append(fn(task))
            if progress is not None:
                progress(i + 1, len(tasks))
        return results

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "workers": 1, "threads_per_task": _jit.threads()}
        if self.note:
            out["note"] = self.note
        return out


def _check_address(address: str) -> None:
    """Raise ``ValueError`` unless ``address`` names a Dask comm (``tcp://HOST:PORT``, ``tls://…``, ``inproc://…``)."""
    from distributed.comm import registry
    from distributed.comm.addressing import parse_address, parse_host_port

    scheme, location = parse_address(address, strict=True)
    if scheme not in registry.backends:
        raise ValueError(f"unknown scheme {scheme!r} (known: {', '.join(sorted(registry.backends))})")
    if scheme in ("tcp", "tls"):
        parse_host_port(location)


class DaskExecutor(Executor):
    """Tasks submitted to a ``distributed.Client``; each runs the simulator on ``task_threads`` thread(s).

    Build one with :func:`get_executor` (or :meth:`local_cluster` / :meth:`connect`); close it (or use it as a
    context manager) to shut down a cluster it started.
    """

    kind = "dask"

    def __init__(
        self,
        client: Any,
        *,
        cluster: Any = None,
        retries: int = DEFAULT_RETRIES,
        task_threads: int = 1,
        worker_timeout: float = WORKER_TIMEOUT,
    ) -> None:
        self.client = client
        self.cluster = cluster
        self.retries = int(retries)
        self.task_threads = int(task_threads)
        self.worker_timeout = float(worker_timeout)

    @classmethod
    def local_cluster(cls, n_workers: int, *, processes: bool = True, retries: int = DEFAULT_RETRIES) -> DaskExecutor:
        """Start a ``LocalCluster`` of ``n_workers`` workers with one thread each (processes, or threads here)."""
        distributed = import_distributed("--workers")
        if n_workers < 1:
            raise SolvencyInputError(f"need at least one worker, got {n_workers}")
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",  # a free port: never clash with a service on 8787
            silence_logs=logging.WARNING,
            # thread workers share this process's memory, which they cannot free: a limit would only make them
            # pause (and the sweep wait forever) once the process as a whole grows past it
            memory_limit="auto" if processes else 0,
            # nor can they die without it: a missed heartbeat means this process held the GIL for long (a long
            # compiled call), and the scheduler must not drop them for it (no nanny would bring them back)
            scheduler_kwargs={} if processes else {"worker_ttl": "3650d"},
        )
        try:
            client = distributed.Client(cluster)
        except BaseException:
            cluster.close()
            raise
        return cls(client, cluster=cluster, retries=retries)

    @classmethod
    def connect(
        cls,
        address: str,
        *,
        retries: int = DEFAULT_RETRIES,
        timeout: float = CONNECT_TIMEOUT,
        worker_timeout: float = WORKER_TIMEOUT,
    ) -> DaskExecutor:
        """Connect to the scheduler at ``address`` (``tcp://host:8786``) and wait for one worker."""
        distributed = import_distributed("--scheduler")
        try:
            # checked before connecting: a malformed address must not depend on how fast a connection attempt fails
            _check_address(address)
            client = distributed.Client(address, timeout=f"{timeout}s")
        except ValueError as exc:  # not an address: no scheme/port, or an unknown scheme
            raise SolvencyInputError(
                f"{address!r} is not a Dask scheduler address: {exc}",
                hint="use tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786",
            ) from None
        except (OSError, TimeoutError) as exc:
            raise SolvencyInputError(
                f"cannot reach the Dask scheduler at {address}: {exc}",
                hint="start one with `dask scheduler` (port 8786) and pass its tcp://HOST:PORT address",
            ) from None
        try:
            client.wait_for_workers(1, timeout=worker_timeout)
        except (OSError, TimeoutError):
            client.close()
            raise SolvencyInputError(
                f"the Dask scheduler at {address} has no workers",
                hint=f"start workers with `dask worker {address}` on hosts that have solvency installed",
            ) from None
        return cls(client, retries=retries)

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info()["workers"])

    def map(
        self,
        fn: Callable[[Any], Any],
        tasks: Sequence[Any],
        *,
        name: str = "task",
        progress: Progress | None = None,
    ) -> list[Any]:
        distributed = import_distributed("--workers")
        guarded = Guarded(fn, self.task_threads)
        prefix = f"solvency-{name}-{uuid.uuid4().hex[:8]}"
        keys = [f"{prefix}-{i}" for i in range(len(tasks))]
        futures = self.client.map(guarded, list(tasks), key=keys, pure=False, retries=self.retries)
        position = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(tasks)
        done = 0
        pending = distributed.as_completed(futures)
        watch = _WorkerWatch(self, self.worker_timeout)
        try:
            while not pending.is_empty():
                batch = pending.next_batch(block=False)
                if not batch:
                    watch.check()
                    time.sleep(POLL_INTERVAL)
                    continue
                for future in batch:
                    i = position[future.key]
                    try:
                        # not future.status: a result finished on a worker that has died since is "lost" until
                        # the scheduler has computed it again, and result() waits for that
                        result = future.result()
                    except (Exception, asyncio.CancelledError) as exc:
                        raise SolvencyError(
                            f"{name} {_label(tasks[i], i)} failed on the cluster ({type(exc).__name__}: {exc}) "
                            f"after {self.retries} retries"
                        ) from exc
                    if isinstance(result, Refused):
                        raise result.error()
                    results[i] = result
                    done += 1
                    if progress is not None:
                        progress(done, len(tasks))
        finally:
            self.client.cancel([f for f in futures if not f.done()])
        return results

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "workers": self.workers,
            "threads_per_task": self.task_threads,
            "scheduler": self.client.scheduler.address,
            "local_cluster": self.cluster is not None,
            "retries": self.retries,
        }

    def close(self) -> None:
        if self.cluster is not None:  # ours: let the workers go before the scheduler, or they log its absence
            with contextlib.suppress(Exception):
                self.client.retire_workers(close_workers=True)
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()


class _WorkerWatch:
    """Fails a map when its cluster has had no worker for ``timeout`` seconds (looked at every 2 s at most)."""

    def __init__(self, executor: DaskExecutor, timeout: float) -> None:
        self.executor, self.timeout = executor, timeout
        self.every = min(2.0, timeout / 2)
        self.last = time.monotonic()
        self.empty_since: float | None = None

    def check(self) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        if self.executor.client.nthreads():
            self.empty_since = None
            return
        self.empty_since = self.empty_since or now
        if now - self.empty_since >= self.timeout:
            raise SolvencyError(
                f"the Dask cluster at {self.executor.client.scheduler.address} has had no worker for "
                f"{self.timeout:.0f} s while tasks were waiting; start workers (`dask worker ADDRESS`) and run again"
            )


def get_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    processes: bool = True,
    retries: int = DEFAULT_RETRIES,
) -> Executor:
    """The executor for ``--workers N`` / ``--scheduler ADDRESS`` (neither: a :class:`LocalExecutor`).

    Without ``dask.distributed`` installed, ``workers`` falls back to the local loop (with a :attr:`note`
    saying so) while ``scheduler`` — which cannot be honoured — raises a :class:`SolvencyInputError` whose hint
    is ``pip install 'solvency[distributed]'``.
    """
    if workers is not None and scheduler is not None:
        raise SolvencyInputError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    if scheduler is not None:
        return DaskExecutor.connect(scheduler, retries=retries)
    if workers is None:
        return LocalExecutor()
    if not has_distributed():
        return LocalExecutor(
            note=f"dask.distributed is not installed: ran in this process instead of {workers} workers ({INSTALL_HINT})"
        )
    return DaskExecutor.local_cluster(workers, processes=processes, retries=retries)


def has_distributed() -> bool:
    """Whether the ``[distributed]`` extra (``dask.distributed``) can be imported."""
    try:
        _load_distributed()
    except ImportError:
        return False
    return True


def import_distributed(option: str) -> ModuleType:
    """``distributed``, or an input error telling how to install it (``option`` names what needed it)."""
    try:
        return _load_distributed()
    except ImportError:
        raise SolvencyInputError(
            f"{option} needs dask.distributed, which is not installed", hint=INSTALL_HINT
        ) from None


def _load_distributed() -> ModuleType:
    """The one place the extra is imported (tests replace it to play an install without the extra)."""
    return importlib.import_module("distributed")


# -------------------------------------------------------------------------------------------- on the worker


@dataclass(frozen=True)
class Refused:
    """An input error raised by a task, carried back as a value (so Dask does not retry it)."""

    cls: type[SolvencyInputError]
    fields: dict[str, Any]

    @classmethod
    def of(cls, exc: SolvencyInputError) -> Refused:
        return cls(type(exc), exc.to_dict())

    def error(self) -> SolvencyInputError:
        """The error to raise on the client (same class, message, file, row, time and hint)."""
        f = self.fields
        kwargs = {"path": f["path"], "row": f["row"], "time": f["time"], "hint": f["hint"]}
        try:
            return self.cls(f["message"], **kwargs)
        except TypeError:  # a subclass with its own signature
            return SolvencyInputError(f["message"], **kwargs)


@dataclass(frozen=True)
class Guarded:
    """``fn`` as a cluster task: the simulator on ``threads`` thread(s); input errors returned as :class:`Refused`."""

    fn: Callable[[Any], Any]
    threads: int | None = None

    def __call__(self, task: Any) -> Any:
        with engine_threads(self.threads):
            try:
                return self.fn(task)
            except SolvencyInputError as exc:
                return Refused.of(exc)


@contextlib.contextmanager
def engine_threads(n: int | None) -> Iterator[None]:
    """Run the block with numba's thread count (which sets the simulator's threads) at ``n`` on this thread.

    numba's setting is per thread, so a task on one worker thread does not change its neighbours'.
    """
    if n is None or not _jit.ENABLED:
        yield
        return
    import numba

    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n), numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _label(task: Any, i: int) -> str:
    return str(getattr(task, "label", f"#{i}"))
