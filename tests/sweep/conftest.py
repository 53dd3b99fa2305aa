"""Fixtures of the sweep tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module")
def threads_cluster() -> Iterator[object]:
    """A Dask cluster of 2 worker threads in this process (quick to start; the tasks still go through Dask)."""
    pytest.importorskip("distributed")
    from solvency.sweep.executors import get_executor

    with get_executor(workers=2, processes=False, retries=2) as ex:
        yield ex
