"""The seed contract: stable name keys, chunks of whole blocks, chunk seeds that continue the cell's children."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.errors import SolvencyInputError
from solvency.sim.montecarlo import PATH_BLOCK, block_streams
from solvency.sweep.seeds import cell_seed, chunk_seed, name_key, path_chunks


def test_name_key_matches_sha256_from_coreutils() -> None:
    # `printf 'oct-2025' | sha256sum` → fac62dbb24fc5f9d…; the first 8 bytes read little-endian
    assert name_key("oct-2025") == 0x9D5FFC24BB2DC6FA


def test_cell_seed_depends_on_every_name_and_on_the_seed() -> None:
    def state(ss: np.random.SeedSequence) -> list[int]:
        return ss.generate_state(4).tolist()

    base = state(cell_seed(7, "aave-weth", "oct-2025"))
    assert base == state(cell_seed(7, "aave-weth", "oct-2025"))
    assert base != state(cell_seed(8, "aave-weth", "oct-2025"))
    assert base != state(cell_seed(7, "aave-wbtc", "oct-2025"))
    assert base != state(cell_seed(7, "aave-weth", "may-2021"))
    assert base != state(cell_seed(7, "oct-2025", "aave-weth"))  # order matters
    # and differs from the single-market stream SeedSequence(7) and its block children
    assert base != state(np.random.SeedSequence(7))
    assert base != state(np.random.SeedSequence(7).spawn(1)[0])


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True])
def test_cell_seed_refuses_what_is_not_a_non_negative_integer(bad: object) -> None:
    with pytest.raises(SolvencyInputError, match="non-negative integer"):
        cell_seed(bad, "m")  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(n_paths=st.integers(1, 20 * PATH_BLOCK), per=st.integers(1, 8))
def test_path_chunks_cover_the_paths_once_in_whole_blocks(n_paths: int, per: int) -> None:
    chunks = path_chunks(n_paths, per * PATH_BLOCK)
    assert sum(n for _, n in chunks) == n_paths
    covered = []
    for first, n in chunks:
        covered.extend(range(first * PATH_BLOCK, first * PATH_BLOCK + n))
    assert covered == list(range(n_paths))  # consecutive, no gap, no overlap
    assert all(n == per * PATH_BLOCK for _, n in chunks[:-1])


@pytest.mark.parametrize("bad", [0, 100, PATH_BLOCK + 1, -PATH_BLOCK])
def test_path_chunks_refuse_partial_blocks(bad: int) -> None:
    with pytest.raises(SolvencyInputError, match="multiple of 256"):
        path_chunks(1000, bad)


def test_path_chunks_refuse_no_paths() -> None:
    with pytest.raises(SolvencyInputError, match="at least one path"):
        path_chunks(0)


@settings(max_examples=40, deadline=None)
@given(n_blocks=st.integers(1, 12), per=st.integers(1, 5), seed=st.integers(0, 2**64))
def test_chunk_seeds_reproduce_the_cells_block_streams(n_blocks: int, per: int, seed: int) -> None:
    """Chunks spawn exactly the children the unsplit run spawns: what the simulator's block_streams sees."""
    cell = cell_seed(seed, "m", "s")
    n_paths = n_blocks * PATH_BLOCK
    whole = [g.bit_generator.state for g in block_streams(cell_seed(seed, "m", "s"), n_paths)]
    parts = []
    for first, n in path_chunks(n_paths, per * PATH_BLOCK):
        parts += [g.bit_generator.state for g in block_streams(chunk_seed(cell, first), n)]
    assert parts == whole
    assert cell.n_children_spawned == 0  # chunk_seed copies; the cell seed itself is never advanced
