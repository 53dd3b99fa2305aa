"""The LT search and the frontier: exact properties of the search, the clean-path proof, the early stop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.calibrate.frontier import (
    BookShape,
    Evaluation,
    clean_paths,
    evaluate,
    lt_grid,
    search_down,
    severity_order,
    sigma_nodes,
)
from solvency.calibrate.setup import prepare
from solvency.errors import SolvencyInputError
from solvency.sim.book import synthetic_book
from solvency.sim.engine import Engine

from ._lending_support import tiny_spec

GRID = lt_grid(0.5, 0.95, 0.005)


def _ev(lt: float, feasible: bool) -> Evaluation:
    return Evaluation(0.0, lt, 0.05, 0.0, feasible, True, 0)


def test_grid_is_exact_multiples() -> None:
    g = lt_grid(0.3, 0.95, 0.0025)
    assert g[0] == 0.3 and g[-1] == 0.95 and len(g) == 261
    np.testing.assert_allclose(g / 0.0025, np.round(g / 0.0025), atol=1e-9)
    assert np.array_equal(np.round(g, 10), g)  # values are stored rounded: grid points compare exactly


@given(st.integers(0, GRID.size - 1), st.floats(0.5, 0.95), st.floats(0.5, 0.95))
def test_search_finds_the_threshold_of_a_monotone_set(cut: int, start: float, guess: float) -> None:
    threshold = GRID[cut]
    lt, evs, found = search_down(start, GRID, lambda x: _ev(x, x <= threshold + 1e-12), guess=guess)
    below = GRID[start + 1e-12 >= GRID]
    expected = min(threshold, below[-1]) if below.size else GRID[0]
    assert found and lt == pytest.approx(expected)
    # feasible candidates simulate every path, infeasible ones stop early: the search spends few of the former —
    # bisection above a feasible guess, or exactly one (the answer) when it walks down from an infeasible guess
    feasible = [ev for ev in evs if ev.feasible]
    assert len(feasible) <= int(np.ceil(np.log2(GRID.size))) + 1
    if not evs[0].feasible:
        assert len(feasible) == 1 and feasible[0].lt == lt
    assert len(evs) <= GRID.size


@given(st.lists(st.booleans(), min_size=GRID.size, max_size=GRID.size), st.floats(0.5, 0.95))
def test_search_never_exceeds_its_start(mask: list[bool], start: float) -> None:
    """Whatever the simulation does (any feasibility set), the result is ≤ start: what keeps LT*(σ) monotone."""
    feasible = dict(zip(GRID.round(10), mask, strict=True))
    lt, _, found = search_down(start, GRID, lambda x: _ev(x, feasible[round(x, 10)]))
    assert lt <= max(start, GRID[0]) + 1e-12
    if found:
        assert feasible[round(lt, 10)]


def test_sigma_nodes_are_absolute() -> None:
    a = sigma_nodes(0.1, 1.25, 6.0, up_to=0.8)
    b = sigma_nodes(0.1, 1.25, 6.0, up_to=2.0)
    assert a[-1] >= 0.8 > a[-2] and np.array_equal(a, b[: a.size])


@pytest.fixture(scope="module")
def setup():
    return prepare(tiny_spec(), s0=3000.0, paths=400, seed=5)


def test_clean_paths_really_are_clean(setup) -> None:
    model = setup.model()
    prices = setup.paths.prices(1.2, setup.s0)
    for lt in (0.8, 0.9):
        mask = clean_paths(prices, model, lt, 0.05)
        assert 0 < mask.sum() < mask.size  # the test means something: both kinds occur
        out = Engine(model.setup(lt, 0.05), model.step).run(prices)
        assert np.all(out.bad_debt[mask] <= 1e-6 * model.shape.debt_total)


def test_shortcuts_never_change_the_answer(setup) -> None:
    model = setup.model()
    prices = setup.paths.prices(1.5, setup.s0)
    order = severity_order(prices)
    for lt in (0.75, 0.85, 0.93):
        full = evaluate(model, prices, lt, 0.05, order=order, early_stop=False, skip_clean=False)
        fast = evaluate(model, prices, lt, 0.05, order=order)
        assert fast.feasible == full.feasible
        if fast.complete:
            assert fast.es99 == pytest.approx(full.es99, rel=1e-9, abs=1e-6)
        else:
            assert fast.es99 <= full.es99 + 1e-6  # a lower bound already above the budget
            assert fast.es99 > model.allowed


def test_frontier_never_rises_with_sigma_and_respects_a_ceiling(setup) -> None:
    nodes = sigma_nodes(0.2, 1.5, 4.0)
    fr = setup.frontier(nodes)
    assert np.all(np.diff(fr.lts) <= 1e-12)
    assert fr.lt_at(0.05) == fr.lts[0]
    assert fr.lt_at(float(nodes[2])) == pytest.approx(fr.lts[2])
    with pytest.raises(SolvencyInputError, match="sigma_max"):
        fr.lt_at(float(nodes[-1]) * 1.01)
    capped = setup.frontier(nodes, ceiling=fr.lts - 0.02)
    assert np.all(capped.lts <= fr.lts - 0.02 + 1e-12)


def test_book_shape_keeps_health_factors() -> None:
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=50, debt_total=1e6, seed=1)
    shape = BookShape.from_book(book, 2000.0)
    relevered = shape.book(0.9, 0.04)
    np.testing.assert_allclose(relevered.health_factor([2000.0]), book.health_factor([2000.0]), rtol=1e-12)
    np.testing.assert_allclose(relevered.debt, book.debt)
    assert relevered.collateral.sum() < book.collateral.sum()  # more borrowing power, less collateral per debt
    assert 0 < shape.typical_debt() <= shape.debt.max()
    two = synthetic_book(assets=["WETH", "WBTC"], prices=[1.0, 1.0], lt=0.8, lb=0.05, positions=5)
    with pytest.raises(SolvencyInputError, match="one collateral"):
        BookShape.from_book(two, 1.0)


@settings(max_examples=20, deadline=None)
@given(st.floats(0.05, 0.9))
def test_collateral_share_is_a_share(drop: float) -> None:
    book = synthetic_book(assets=["WETH"], prices=[1.0], lt=0.8, lb=0.05, positions=200, seed=2)
    shape = BookShape.from_book(book, 1.0)
    share = shape.collateral_value_share(1 / (1 - drop))
    assert 0 <= share <= 1
    assert share <= shape.collateral_value_share(1 / (1 - min(drop * 1.1, 0.95))) + 1e-12
