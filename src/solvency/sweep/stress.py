"""Stress sweeps: many lending markets × scenarios, split into path chunks that any executor can run.

A sweep is planned on the client — one **cell** per (market, scenario), each cut into chunks of whole random
blocks (:mod:`solvency.sweep.seeds`) — and every chunk is one call of
:func:`~solvency.sim.stress.simulate_lending` on a worker. Chunks come back in task order; each cell's chunks are
sorted by their first block, checked to cover the cell exactly once, and their per-path outputs concatenated,
so a cell's per-path arrays — and every metric computed from them (mean, VaR95, ES99, LaR95 …) — are bit for bit
those of the unsplit run ``simulate_lending(spec, scenario=..., paths=n, seed=cell_seed(seed, name, label))``,
whatever the executor or the number of workers.

The one quantity that is a sum inside the simulator, the per-position bad debt summed over paths
(``EngineOutput.shortfall``), is added chunk by chunk in block order; it matches the unsplit run to float
summation order (the simulator adds its thread groups' partial sums too). It feeds no number of the JSON
output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec
from solvency.errors import SolvencyError, SolvencyInputError
from solvency.sim.results import EngineOutput, StressResult
from solvency.sim.scenarios import get_scenario
from solvency.sim.stress import simulate_lending, with_conditions
from solvency.sweep.executors import Executor, LocalExecutor
from solvency.sweep.markets import market_label, market_specs, select_protocol
from solvency.sweep.seeds import CHUNK_PATHS, cell_seed, chunk_seed, fresh_seed, path_chunks

SPEC_SCENARIOS = "spec"
"""``scenarios=`` value meaning: each market's own ``[risk] scenarios``."""


# ------------------------------------------------------------------------------------------------ tasks


@dataclass(frozen=True)
class StressTask:
    """One chunk of one cell: ``paths`` paths from block ``first_block`` on, with the cell's seed."""

    market: MarketSpec
    scenario: str | None
    cell: str
    first_block: int
    paths: int
    entropy: int
    spawn_key: tuple[int, ...]
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{market_label(self.market)} × {self.cell}, paths from block {self.first_block}"


@dataclass(frozen=True)
class StressChunk:
    """What a task sends back: its place in the cell and the simulator's result for its paths."""

    market: str
    cell: str
    first_block: int
    requested: int
    result: StressResult


def run_stress_task(task: StressTask) -> StressChunk:
    """Simulate one chunk (runs on a worker)."""
    seed = chunk_seed(np.random.SeedSequence(task.entropy, spawn_key=task.spawn_key), task.first_block)
    result = simulate_lending(task.market, scenario=task.scenario, paths=task.paths, seed=seed, **task.options)
    return StressChunk(task.market.name, task.cell, task.first_block, task.paths, result)


# ---------------------------------------------------------------------------------------------- results


@dataclass
class StressCell:
    """One market under one scenario, merged from its chunks.

    Attributes
    ----------
    market, file
        Market name and spec file.
    scenario
        The scenario's name, the path model's name, or ``replay:FILE`` (as ``StressResult.scenario``).
    paths, horizon, step, debt_total
        Paths, horizon and step (seconds), debt of the book (quote units).
    output
        Per-path outcomes of all chunks in path order.
    details
        The simulator's description of the run (model, oracle, liquidators, book), from the first chunk.
    compute_s
        Simulation time summed over the chunks (not wall time).
    chunks
        Tasks the cell was split into.
    """

    market: str
    file: Path | None
    scenario: str
    paths: int
    horizon: int
    step: int
    debt_total: float
    output: EngineOutput
    details: dict[str, Any]
    compute_s: float
    chunks: int

    def stress_result(self) -> StressResult:
        """The cell as the simulator's result type, for its metrics and JSON (``worst`` is not merged: empty)."""
        return StressResult(
            scenario=self.scenario,
            paths=self.paths,
            horizon=self.horizon,
            step=self.step,
            debt_total=self.debt_total,
            output=self.output,
            worst=pd.DataFrame(columns=["id", "asset", "debt", "bad_debt_mean", "share_of_bad_debt"]),
            runtime_s=self.compute_s,
            details=self.details,
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency stress --json`` object of this market and scenario (``runtime_s`` = compute time)."""
        return self.stress_result().to_dict()


@dataclass
class StressSweep:
    """The result of :func:`sweep_stress`: cells in (market, scenario) order, totals and how the work ran."""

    cells: list[StressCell]
    seed: int
    chunk_paths: int
    tasks: int
    executor: dict[str, Any]
    runtime_s: float
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def cell(self, market: str, scenario: str) -> StressCell:
        """The cell of ``market`` under ``scenario`` (names as in the output)."""
        for c in self.cells:
            if c.market == market and c.scenario == scenario:
                return c
        raise KeyError((market, scenario))

    def totals(self) -> dict[str, dict[str, Any]]:
        """Per scenario, over markets: sums of debt and of per-market means, markets with any bad debt, and the
        market with the largest ES99 of bad debt relative to its debt (None when no market has any).

        Means add across markets; percentiles (VaR, ES, LaR) do not — they would need the markets' joint
        distribution, which independent streams per market do not model — so none is summed.
        """
        out: dict[str, dict[str, Any]] = {}
        for label in dict.fromkeys(c.scenario for c in self.cells):
            group = [(c, c.stress_result()) for c in self.cells if c.scenario == label]
            ratio = [r.bad_debt.es99 / c.debt_total if c.debt_total > 0 else 0.0 for c, r in group]
            top = int(np.argmax(ratio))
            out[label] = {
                "markets": len(group),
                "debt_total": float(sum(c.debt_total for c, _ in group)),
                "bad_debt_mean": float(sum(r.bad_debt.mean for _, r in group)),
                "liquidated_volume_mean": float(sum(r.liquidations.volume_mean for _, r in group)),
                "liquidations_mean": float(sum(r.liquidations.count_mean for _, r in group)),
                "insolvent_positions_mean": float(sum(r.insolvent_positions_mean for _, r in group)),
                "markets_with_bad_debt": sum(1 for _, r in group if r.bad_debt.prob > 0),
                "worst_market": group[top][0].market if ratio[top] > 0 else None,
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency stress --markets DIR --json`` object."""
        markets: dict[str, Any] = {}
        for c in self.cells:
            entry = markets.setdefault(c.market, {"file": c.file, "scenarios": {}})
            entry["scenarios"][c.scenario] = c.to_dict()
        return {
            "markets": markets,
            "totals": self.totals(),
            "skipped": self.skipped,
            "seed": self.seed,
            "chunk_paths": self.chunk_paths,
            "tasks": self.tasks,
            "executor": self.executor,
            "runtime_s": self.runtime_s,
            "compute_s": float(sum(c.compute_s for c in self.cells)),
        }


# ---------------------------------------------------------------------------------------------- the sweep


def sweep_stress(
    markets: str | Path | Sequence[MarketSpec],
    *,
    scenarios: str | Sequence[str] | None = None,
    paths: int | None = None,
    seed: int | None = None,
    horizon: str | int | None = None,
    step: str | int | None = None,
    policy: str | None = None,
    engine: str | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    intrabar: str = "close",
    gas: str | Path | None = None,
    gas_column: str = "avgGasDay",
    conditions: str | None = None,
    chunk_paths: int = CHUNK_PATHS,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StressSweep:
    """Stress every lending market of a folder (or list of specs) under every scenario, on any executor.

    Parameters
    ----------
    markets
        A folder of ``*.toml`` market specs or the specs themselves. Specs whose ``protocol`` is not
        ``"lending"`` are skipped and listed in ``skipped``.
    scenarios
        Named scenarios (a list, or one string of comma-separated names); ``"spec"`` for each market's own
        ``[risk] scenarios``; None for each market's ``[sim] model`` paths (as ``solvency stress`` without
        ``--scenario``).
    paths
        Paths per cell (default: each market's ``[risk] paths``).
    seed
        Sweep seed (see :mod:`solvency.sweep.seeds`); None draws a fresh one, reported in the result.
    horizon, step, policy, engine, intrabar, gas, gas_column
        As for :func:`~solvency.sim.stress.simulate_lending`, applied to every cell.
    conditions
        Named oracle/liquidator conditions applied to every market
        (:func:`~solvency.sim.stress.with_conditions`, as ``solvency stress --conditions``).
    prices
        A price file or frame replayed through every market (one path per market; exclusive with scenarios).
    chunk_paths
        Paths per task, a multiple of 256; does not change any number.
    executor
        Where the tasks run (default: a :class:`~solvency.sweep.executors.LocalExecutor`).
    progress
        ``progress(done, total)`` as tasks finish.

    Examples
    --------
    >>> from solvency.config import MarketSpec
    >>> a = MarketSpec(name="a", book={"positions": 50})
    >>> b = MarketSpec(name="b", book={"positions": 50})
    >>> s = sweep_stress([a, b], scenarios="oct-2025", paths=300, seed=1, horizon="2h", chunk_paths=256)
    >>> s.tasks, [c.paths for c in s.cells]
    (4, [300, 300])
    """
    started = time.perf_counter()
    if scenarios is not None and prices is not None:
        raise SolvencyInputError("give scenarios or a price file to replay, not both")
    lending, skipped = select_protocol(market_specs(markets), "lending")
    if conditions is not None:
        lending = [with_conditions(s, conditions) for s in lending]
    if paths is not None and paths <= 0:
        raise SolvencyInputError(f"need at least one path, got {paths}")
    seed = fresh_seed() if seed is None else seed
    options = _options(horizon, step, policy, engine, prices, intrabar, gas, gas_column)
    tasks, plans = _plan(lending, scenarios, paths, seed, chunk_paths, replay=prices is not None, options=options)
    executor = executor or LocalExecutor()
    by_cell: dict[tuple[str, str], list[StressChunk]] = {key: [] for key, _ in plans}
    for chunk in executor.map(run_stress_task, tasks, name="stress", progress=progress):
        by_cell[(chunk.market, chunk.cell)].append(chunk)
    cells = [_merge(key, plan, by_cell[key], lending) for key, plan in plans]
    return StressSweep(
        cells=cells,
        seed=seed,
        chunk_paths=chunk_paths,
        tasks=len(tasks),
        executor=executor.describe(),
        runtime_s=time.perf_counter() - started,
        skipped=skipped,
    )


def _options(
    horizon: Any, step: Any, policy: Any, engine: Any, prices: Any, intrabar: str, gas: Any, gas_column: str
) -> dict[str, Any]:
    """simulate_lending keywords shared by every task; files as absolute paths (workers run elsewhere)."""
    out: dict[str, Any] = {"horizon": horizon, "step": step, "policy": policy, "engine": engine}
    if prices is not None:
        if not isinstance(prices, pd.DataFrame):
            from solvency.data.loading import load_prices

            prices = load_prices(prices)  # read once here; every task gets the frame
        out.update(prices=prices, intrabar=intrabar)
        if gas is not None:
            out.update(
                gas=Path(gas).expanduser().resolve() if isinstance(gas, str | Path) else gas, gas_column=gas_column
            )
    elif gas is not None:
        raise SolvencyInputError("a gas series needs a replay (prices=...) to align with")
    return out


def _labels(spec: MarketSpec, scenarios: str | Sequence[str] | None, replay: Any) -> list[tuple[str | None, str]]:
    """(scenario argument, cell label) pairs of one market; the label is the simulator's ``scenario`` field."""
    if replay:
        return [(None, "replay")]
    if scenarios is None:
        return [(None, spec.sim.model)]
    if isinstance(scenarios, str):
        if scenarios.strip().lower() == SPEC_SCENARIOS:
            names: Sequence[str] = spec.risk.scenarios
            if not names:
                raise SolvencyInputError("[risk] scenarios is empty", path=spec.source)
        else:
            names = [s for s in (p.strip() for p in scenarios.split(",")) if s]
    else:
        names = list(scenarios)
    if not names:
        raise SolvencyInputError("no scenario given", hint="name one or more, e.g. black-thursday-2020,oct-2025")
    canonical = [get_scenario(n).name for n in names]
    return [(n, n) for n in dict.fromkeys(canonical)]


def _plan(
    specs: list[MarketSpec],
    scenarios: str | Sequence[str] | None,
    paths: int | None,
    seed: int,
    chunk_paths: int,
    *,
    replay: bool,
    options: dict[str, Any],
) -> tuple[list[StressTask], list[tuple[tuple[str, str], list[tuple[int, int]]]]]:
    tasks: list[StressTask] = []
    plans = []
    for spec in specs:
        for scenario, label in _labels(spec, scenarios, replay):
            # a replay is one deterministic path: one task whatever `paths` says
            plan = [(0, 1)] if replay else path_chunks(paths or spec.risk.paths, chunk_paths)
            root = cell_seed(seed, spec.name, label)
            for first, n in plan:
                tasks.append(
                    StressTask(spec, scenario, label, first, n, int(root.entropy), tuple(root.spawn_key), options)
                )
            plans.append(((spec.name, label), plan))
    return tasks, plans


def _merge(
    key: tuple[str, str], plan: list[tuple[int, int]], chunks: list[StressChunk], specs: list[MarketSpec]
) -> StressCell:
    """Join a cell's chunks in block order, after checking that they are exactly the planned ones."""
    chunks = sorted(chunks, key=lambda c: c.first_block)
    got = [(c.first_block, c.requested) for c in chunks]
    if got != plan:
        raise SolvencyError(f"cell {key} came back with chunks {got}, planned {plan}: work lost or repeated")
    first = chunks[0].result
    for c in chunks[1:]:
        r = c.result
        if (r.horizon, r.step, r.debt_total, r.output.shortfall.size) != (
            first.horizon,
            first.step,
            first.debt_total,
            first.output.shortfall.size,
        ):
            raise SolvencyError(
                f"the chunks of cell {key} disagree on horizon, step or book: do all workers run the same "
                "solvency version and see the same files?"
            )
    for c in chunks:
        if c.result.paths != c.requested and not (len(plan) == 1 and c.result.paths == 1):
            raise SolvencyError(f"cell {key}: a chunk simulated {c.result.paths} paths, asked {c.requested}")
    spec = next(s for s in specs if s.name == key[0])
    output = EngineOutput.concat([c.result.output for c in chunks])
    return StressCell(
        market=key[0],
        file=spec.source,
        scenario=first.scenario,
        paths=output.n_paths,
        horizon=first.horizon,
        step=first.step,
        debt_total=first.debt_total,
        output=output,
        details=first.details,
        compute_s=float(sum(c.result.runtime_s for c in chunks)),
        chunks=len(chunks),
    )
