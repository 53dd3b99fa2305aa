"""One small demo run on the embedded sample, shared by the report tests (run it once per test worker: the tests
that use it are in the ``demo`` xdist group)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from solvency.report.files import write_run
from solvency.report.pipeline import DemoSettings, run_demo

SMALL = DemoSettings(seed=11, stress_paths=40, backtest_bars=300, calibration_paths=300, policy_paths=20)
"""Enough to exercise every section and plot, in a fraction of the full demo's time."""


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``{"results": raw results, "doc": results as JSON, "files": {results, params, report}}``."""
    out = tmp_path_factory.mktemp("demo-out")
    results = run_demo(data=None, settings=SMALL)
    files = write_run(results, out)
    doc = json.loads(Path(files["results"]).read_text(encoding="utf-8"))
    return {"results": results, "doc": doc, "files": files, "out": out}
