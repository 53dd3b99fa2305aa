"""Shared fixtures. Real data: ``$SOLVENCY_DATA`` or ``../shared/data`` beside the checkout.

Tests marked ``realdata`` are skipped on a machine without the data, except when
``SOLVENCY_REQUIRE_REALDATA=1`` (set by ``.ci/run``), where a missing folder is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# The machines that run the suite (two shared cores, CI included) stall for hundreds of milliseconds at times;
# hypothesis' per-example deadline then fails a correct test at random. Correctness is what these tests check;
# speed is measured by benchmarks/. Tests that set their own deadline keep it.
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def _data_dir() -> Path:
    env = os.environ.get("SOLVENCY_DATA")
    return Path(env) if env else ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Folder of the real market data; skips (or fails in CI) when it is absent."""
    path = _data_dir()
    if not path.is_dir():
        if os.environ.get("SOLVENCY_REQUIRE_REALDATA") == "1":
            pytest.fail(f"real data required but missing at {path}")
        pytest.skip(f"real data not found at {path} (set SOLVENCY_DATA)")
    return path


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "realdata" in item.keywords and "real_data" not in getattr(item, "fixturenames", ()):
            item.fixturenames.append("real_data")  # the marker alone is enough to skip / require
