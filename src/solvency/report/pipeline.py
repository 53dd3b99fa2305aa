"""The demo pipeline: every part of solvency run in order on one market, its results saved for the report.

Each section is one small function ``run(ctx) -> dict`` in :mod:`solvency.report.sections` that calls the
library's public functions and returns a JSON-ready dict: a ``summary`` of headline figures (the CLI's summary
table and the report's tables) and the series its plots need. :func:`run_demo` runs them in order, times each, and
returns the whole as the ``results.json`` document that :mod:`solvency.report.render` turns into the HTML report
and :mod:`solvency.report.params` into ``params.json``. Nothing in the report is computed anywhere else.
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from solvency import __version__
from solvency.report.inputs import DemoInputs, load_inputs

RESULTS_FORMAT = 1
"""Version of the ``results.json`` layout (``solvency report --from`` refuses other versions)."""

Progress = Callable[[str, int, int], None]
"""Progress callback ``(label, done, total)``; one bar per label."""


@dataclass(frozen=True)
class DemoSettings:
    """How much work the demo does (sized to finish in about a minute on two cores).

    Attributes
    ----------
    seed
        Master seed; each section draws its own stream from it (:meth:`Context.seed`).
    stress_paths
        Monte Carlo paths per named scenario in the stress section.
    scenarios
        Named scenarios to stress (None: the stress market's ``[risk] scenarios``).
    backtest_bars
        Bars of the walk-forward volatility backtest.
    margin_horizon
        Liquidation horizon of the margin backtest.
    calibration_paths
        Stress paths of each lending market's calibration.
    policy_paths
        Monte Carlo paths per scenario and policy in the liquidation-policy comparison.
    """

    seed: int = 7
    stress_paths: int = 400
    scenarios: tuple[str, ...] | None = None
    backtest_bars: int = 730
    margin_horizon: str = "1h"
    calibration_paths: int = 2000
    policy_paths: int = 64


@dataclass
class Context:
    """What a section sees: the inputs, the settings, progress, and the results of the sections before it."""

    inputs: DemoInputs
    settings: DemoSettings
    progress: Progress
    results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def seed(self, section: str) -> int:
        """A seed for ``section`` derived from the master seed (independent streams, reproducible)."""
        key = [ord(c) for c in section]
        return int(np.random.SeedSequence([self.settings.seed, *key]).generate_state(1)[0])


@dataclass(frozen=True)
class Section:
    """One part of the pipeline."""

    key: str
    title: str
    run: Callable[[Context], dict[str, Any]]


def sections() -> list[Section]:
    """The pipeline's sections, in run order."""
    from solvency.report.sections import lending, liquidation, market, oracle, perp, portfolio, stress

    return [
        Section("market", "Volatility and regime", market.run),
        Section("stress", "Stress under named scenarios", stress.run),
        Section("lending", "Lending calibration", lending.run),
        Section("perp", "Perp margin calibration", perp.run),
        Section("portfolio", "Portfolio margin", portfolio.run),
        Section("oracle", "Risk oracle over a crash", oracle.run),
        Section("liquidation", "Liquidation policies compared", liquidation.run),
    ]


def run_demo(
    *,
    data: Path | None = None,
    settings: DemoSettings | None = None,
    progress: Progress | None = None,
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Run the pipeline and return the results document.

    Parameters
    ----------
    data
        Real-data folder (:mod:`solvency.report.inputs`), or None for the embedded sample.
    settings
        Work sizes and seed.
    progress
        Progress callback.
    only
        Run only these sections (tests); default all.

    Returns
    -------
    dict
        JSON-ready: ``format, solvency_version, generated_at, settings, data, sections {key: {...}},
        timings {key: seconds}, runtime_s``.
    """
    started = time.perf_counter()
    settings = settings or DemoSettings()
    tick = progress or (lambda label, done, total: None)
    tick("inputs", 0, 1)
    t0 = time.perf_counter()
    inputs = load_inputs(data)
    tick("inputs", 1, 1)
    ctx = Context(inputs, settings, tick)
    timings = {"inputs": time.perf_counter() - t0}
    for section in sections():
        if only is not None and section.key not in only:
            continue
        t0 = time.perf_counter()
        out = section.run(ctx)
        out["title"] = section.title
        ctx.results[section.key] = out
        timings[section.key] = time.perf_counter() - t0
    return {
        "format": RESULTS_FORMAT,
        "solvency_version": __version__,
        "generated_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "settings": asdict(settings),
        "data": inputs.describe(),
        "sections": ctx.results,
        "timings": timings,
        "runtime_s": time.perf_counter() - started,
    }
