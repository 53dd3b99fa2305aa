"""The seed contract of a sweep: which random stream every path of every (market, scenario) cell draws from.

A sweep's numbers depend on the sweep seed, the market's ``name``, the scenario label and the path count —
never on the chunk size, the executor or the number of workers:

1. **Cell.** Cell (market, scenario) gets the child ``SeedSequence(seed, spawn_key=(key(market), key(scenario)))``
   where ``key(name)`` is the first 8 bytes of SHA-256 of the UTF-8 name as a little-endian integer
   (:func:`name_key`). Cells are independent of each other and of which other cells the sweep holds: adding a
   market, reordering the folder or dropping a scenario leaves every other cell's numbers as they were.
2. **Block.** Inside a cell the simulator's own contract applies (:mod:`solvency.sim.montecarlo`): block ``b``
   of :data:`~solvency.sim.montecarlo.PATH_BLOCK` (256) paths draws from the cell seed's ``b``-th child
   (``cell.spawn(n_blocks)[b]``, spawn key ``cell.spawn_key + (b,)``). A cell run in one piece by
   :func:`~solvency.sim.stress.simulate_lending` with ``seed=cell_seed(...)`` gives the same paths.
3. **Chunk.** A task simulates consecutive blocks ``first … first + k − 1``; it hands the simulator the cell
   seed with ``n_children_spawned = first`` (:func:`chunk_seed`), so the children it spawns are exactly the
   blocks' children above. Chunks must therefore hold a whole number of blocks (:func:`path_chunks` checks it);
   their size is a scheduling choice, not part of the contract. The first ``n`` paths of a cell do not change
   when more paths are asked for.

Reproducing one cell alone::

    simulate_lending(spec, scenario=name, paths=n, seed=cell_seed(seed, spec.name, name))
"""

from __future__ import annotations

import hashlib
import secrets

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.sim.montecarlo import PATH_BLOCK

CHUNK_PATHS = 1024
"""Default paths per task (4 blocks): big enough that a task's set-up is noise next to its simulation."""


def name_key(name: str) -> int:
    """A stable 64-bit integer for a name (first 8 bytes of SHA-256 of its UTF-8 bytes, little-endian).

    Python's ``hash()`` is salted per process, so it cannot key streams that several processes must agree on.

    Examples
    --------
    >>> name_key("oct-2025") == name_key("oct-2025"), name_key("a") != name_key("b")
    (True, True)
    """
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "little")


def cell_seed(seed: int, *names: str) -> np.random.SeedSequence:
    """The seed of one sweep cell, e.g. ``cell_seed(seed, market_name, scenario_label)``.

    Parameters
    ----------
    seed
        The sweep's seed (a non-negative integer).
    names
        The cell's names, outermost first.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SolvencyInputError(f"a sweep seed must be a non-negative integer, got {seed!r}")
    return np.random.SeedSequence(int(seed), spawn_key=tuple(name_key(n) for n in names))


def chunk_seed(cell: np.random.SeedSequence, first_block: int) -> np.random.SeedSequence:
    """A copy of ``cell`` whose next ``spawn`` starts at child ``first_block`` (a fresh object per call:
    ``spawn`` advances the sequence it is called on)."""
    return np.random.SeedSequence(
        cell.entropy, spawn_key=cell.spawn_key, pool_size=cell.pool_size, n_children_spawned=first_block
    )


def fresh_seed() -> int:
    """A new random sweep seed from OS entropy, to be reported so the run can be repeated.

    53 bits: every JSON reader (JavaScript, jq) holds integers up to 2**53 exactly, so the reported seed survives
    a round trip through any of them.
    """
    return secrets.randbits(53)


def path_chunks(n_paths: int, chunk_paths: int = CHUNK_PATHS) -> list[tuple[int, int]]:
    """Split ``n_paths`` into chunks of ``chunk_paths``: ``(first_block, paths)`` pairs, in order.

    Examples
    --------
    >>> path_chunks(1000, 512)
    [(0, 512), (2, 488)]
    """
    if n_paths <= 0:
        raise SolvencyInputError(f"need at least one path, got {n_paths}")
    if chunk_paths <= 0 or chunk_paths % PATH_BLOCK:
        raise SolvencyInputError(
            f"chunk size {chunk_paths} is not a positive multiple of {PATH_BLOCK} paths (one random stream each)",
            hint=f"use e.g. {CHUNK_PATHS}",
        )
    return [(start // PATH_BLOCK, min(chunk_paths, n_paths - start)) for start in range(0, n_paths, chunk_paths)]
