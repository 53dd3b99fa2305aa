"""The markets of a sweep — every ``*.toml`` market spec in a folder, read once on the client — and the sweep of
one calculation per market (:func:`sweep_markets`: calibrations and anything else that takes a spec).

A per-market command gets its ``--markets DIR`` in a few lines::

    sweep = sweep_markets(calibrate_perp, folder, protocol="perp", seed=seed, seed_as=np.random.default_rng,
                          executor=executor)
    emit(sweep.to_dict(), as_json, render)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from solvency.config import MarketSpec, load_market
from solvency.errors import SolvencyInputError
from solvency.sweep.executors import Executor, LocalExecutor
from solvency.sweep.seeds import cell_seed, fresh_seed


def load_markets(folder: str | Path) -> list[MarketSpec]:
    """Read every ``*.toml`` in ``folder`` (not its subfolders), sorted by file name.

    Paths are made absolute first, so the price and book files a spec names resolve to absolute paths: a
    cluster's workers run in other directories (and must see those paths).

    Raises
    ------
    SolvencyInputError
        The folder is missing or holds no ``*.toml``; a spec is invalid (:class:`~solvency.errors.ConfigError`
        naming the file and field); two specs share a ``name``.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise SolvencyInputError("not a folder of market specs", path=root, hint="pass a folder of *.toml files")
    files = sorted(p for p in root.glob("*.toml") if p.is_file())
    if not files:
        raise SolvencyInputError("no market specs (*.toml) in this folder", path=root)
    specs = [load_market(p.resolve()) for p in files]
    check_unique_names(specs)
    return specs


def check_unique_names(specs: Iterable[MarketSpec]) -> None:
    """Refuse two specs with one ``name``: a market's name keys its random streams and its place in the output."""
    seen: dict[str, MarketSpec] = {}
    for spec in specs:
        other = seen.setdefault(spec.name, spec)
        if other is not spec:
            raise SolvencyInputError(
                f"market name {spec.name!r} is used by {other.source} and {spec.source}",
                path=spec.source,
                hint="give each spec its own `name = ...`",
            )


def market_label(spec: MarketSpec) -> str:
    """How a market is named in messages: its ``name`` and file."""
    return f"{spec.name} ({spec.source.name})" if spec.source is not None else spec.name


def select_protocol(specs: Sequence[MarketSpec], protocol: str | None) -> tuple[list[MarketSpec], list[dict[str, Any]]]:
    """The specs of ``protocol`` (all when None), and the others described as skipped (name, file, reason)."""
    kept = [s for s in specs if protocol is None or s.protocol == protocol]
    skipped = [
        {"name": s.name, "file": s.source, "reason": f"protocol is {s.protocol!r}, not {protocol!r}"}
        for s in specs
        if protocol is not None and s.protocol != protocol
    ]
    if not kept:
        raise SolvencyInputError(f"no {protocol} market among the specs", hint=f"this needs protocol = '{protocol}'")
    return kept, skipped


def market_specs(markets: str | Path | Sequence[MarketSpec]) -> list[MarketSpec]:
    """Specs from a folder (:func:`load_markets`) or as given, with unique names."""
    specs = load_markets(markets) if isinstance(markets, str | Path) else list(markets)
    check_unique_names(specs)
    return specs


# ------------------------------------------------------------------------------------------ per-market sweep


@dataclass(frozen=True)
class MarketTask:
    """``fn(market, **kwargs)`` for one market (``fn`` must be importable by name on the workers)."""

    fn: Callable[..., Any]
    market: MarketSpec
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return market_label(self.market)


def run_market_task(task: MarketTask) -> Any:
    """Run one market's calculation (on a worker)."""
    return task.fn(task.market, **task.kwargs)


@dataclass
class MarketSweep:
    """Results of :func:`sweep_markets` by market name, in file-name order."""

    results: dict[str, Any]
    files: dict[str, Path | None]
    seed: int | None
    executor: dict[str, Any]
    runtime_s: float
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"markets": {name: result.to_dict()}, "files": {name: spec file}, "skipped", "seed", "executor",
        "runtime_s"}``."""
        return {
            "markets": {name: r.to_dict() for name, r in self.results.items()},
            "files": self.files,
            "skipped": self.skipped,
            "seed": self.seed,
            "executor": self.executor,
            "runtime_s": self.runtime_s,
        }


def sweep_markets(
    fn: Callable[..., Any],
    markets: str | Path | Sequence[MarketSpec],
    *,
    kwargs: Mapping[str, Any] | None = None,
    protocol: str | None = None,
    seed: int | None = None,
    seed_label: str | None = None,
    seed_as: Callable[[np.random.SeedSequence], Any] | None = None,
    executor: Executor | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> MarketSweep:
    """Run ``fn(spec, **kwargs)`` for every market, one task each, on any executor.

    Parameters
    ----------
    fn
        A module-level function taking a :class:`MarketSpec` first (e.g. ``calibrate_perp``); its result needs
        ``to_dict()`` for :meth:`MarketSweep.to_dict`.
    markets
        A folder of ``*.toml`` specs or the specs.
    kwargs
        Keywords passed to every call.
    protocol
        Keep only specs of this protocol (the others are listed in ``skipped``).
    seed, seed_label
        With ``seed_label``, each market gets ``seed=cell_seed(seed, name, seed_label)`` — a stream of its own,
        whatever the other markets (a fresh seed is drawn and reported when ``seed`` is None).
    seed_as
        Converts that ``SeedSequence`` to what ``fn`` takes (e.g. ``numpy.random.default_rng``).
    """
    started = time.perf_counter()
    specs, skipped = select_protocol(market_specs(markets), protocol)
    if seed_label is not None and seed is None:
        seed = fresh_seed()
    tasks = []
    for spec in specs:
        args = dict(kwargs or {})
        if seed_label is not None:
            ss = cell_seed(seed, spec.name, seed_label)
            args["seed"] = seed_as(ss) if seed_as is not None else ss
        tasks.append(MarketTask(fn, spec, args))
    executor = executor or LocalExecutor()
    results = executor.map(run_market_task, tasks, name=getattr(fn, "__name__", "market"), progress=progress)
    return MarketSweep(
        results={s.name: r for s, r in zip(specs, results, strict=True)},
        files={s.name: s.source for s in specs},
        seed=seed if seed_label is not None else None,
        executor=executor.describe(),
        runtime_s=time.perf_counter() - started,
        skipped=skipped,
    )
