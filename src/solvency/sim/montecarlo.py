"""The Monte Carlo driver: paths in fixed blocks with their own random streams, run through an engine.

Paths are generated in blocks of :data:`PATH_BLOCK`; block ``b`` always draws from the stream
``SeedSequence(seed).spawn(n_blocks)[b]``. Blocks are grouped into chunks (for memory and the progress bar)
and each chunk's paths are split over threads by the engine, so the numbers depend only on ``seed`` and
``n_paths`` — not on the chunk size, the thread count or the engine.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.sim.engine import Engine
from solvency.sim.mechanics import SimSetup
from solvency.sim.paths import PathModel
from solvency.sim.policy import LiquidationPolicy
from solvency.sim.results import EngineOutput

PATH_BLOCK = 256
"""Paths per random stream."""


def block_streams(seed: int | np.random.SeedSequence | None, n_paths: int) -> list[np.random.Generator]:
    """One generator per block of :data:`PATH_BLOCK` paths."""
    n_blocks = -(-n_paths // PATH_BLOCK)
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return [np.random.Generator(np.random.PCG64(s)) for s in root.spawn(n_blocks)]


def simulate_paths(model: PathModel, n_paths: int, n_steps: int, seed: int | None) -> np.ndarray:
    """All paths of a run at once (the same numbers :func:`monte_carlo` feeds the engine)."""
    streams = block_streams(seed, n_paths)
    parts = []
    for b, rng in enumerate(streams):
        size = min(PATH_BLOCK, n_paths - b * PATH_BLOCK)
        parts.append(model.simulate(size, n_steps, rng))
    return np.concatenate(parts, axis=0)


def monte_carlo(
    setup: SimSetup,
    model: PathModel,
    *,
    n_paths: int,
    n_steps: int,
    seed: int | None = None,
    policy: str | LiquidationPolicy | None = None,
    engine: str = "fast",
    chunk_paths: int = 2048,
    use_numba: bool | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> EngineOutput:
    """Simulate ``n_paths`` paths of ``n_steps`` steps of ``model`` through the book of ``setup``.

    Deterministic models (replays) run one path whatever ``n_paths`` says.

    Parameters
    ----------
    progress
        Called as ``progress(paths_done, n_paths)`` after each chunk.
    """
    if n_paths <= 0 or n_steps <= 0:
        raise SolvencyInputError(f"need at least one path and one step, got {n_paths} paths × {n_steps} steps")
    if model.assets != setup.book.assets:
        raise SolvencyInputError(
            f"path model assets {list(model.assets)} differ from the book's {list(setup.book.assets)}"
        )
    if model.deterministic:
        n_paths = 1
    runner = Engine(setup, model.step, policy, engine=engine, use_numba=use_numba)
    streams = block_streams(seed, n_paths)
    per_chunk = max(1, chunk_paths // PATH_BLOCK)
    parts: list[EngineOutput] = []
    done = 0
    for first in range(0, len(streams), per_chunk):
        blocks = []
        for b in range(first, min(first + per_chunk, len(streams))):
            size = min(PATH_BLOCK, n_paths - b * PATH_BLOCK)
            blocks.append(model.simulate(size, n_steps, streams[b]))
        prices = np.concatenate(blocks, axis=0)
        parts.append(runner.run(prices))
        done += prices.shape[0]
        if progress is not None:
            progress(done, n_paths)
    return EngineOutput.concat(parts)
