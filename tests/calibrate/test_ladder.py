"""The LT surface over σ and depth: absolute depth, curve shapes shared by deeper copies, the depth ladder, the
two-dimensional staircase and reading a market between its rows."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.calibrate.frontier import Frontier
from solvency.calibrate.ladder import DEPTH_SLIPPAGE, DepthLadder, DepthNodes, market_depth
from solvency.calibrate.setup import prepare
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import constant_product, depth_table, power_law

from ._lending_support import tiny_spec

SIZES = [1e6, 1e7, 5e7, 1e8, 2.5e8]
SLIPPAGES = [0.001, 0.005, 0.02, 0.04, 0.10]


def _market(kind: str, m: float = 1.0):
    """One of three curves with every size × ``m`` (its power law: coefficient × m^−b at the same reference)."""
    if kind == "depth_table":
        return depth_table([x * m for x in SIZES], SLIPPAGES)
    if kind == "constant_product":
        return constant_product(5e7 * m)
    return power_law(0.02 * m**-0.8, 0.8)


def _reference_cost(kind: str, x: np.ndarray) -> np.ndarray:
    """Quote lost selling ``x`` from the textbook formulas (x·y = k; a·x·(x/10⁶)^b; the table's knots)."""
    if kind == "constant_product":
        return x * x / (5e7 + x)
    if kind == "power_law":
        return 0.02 * x * (x / 1e6) ** 0.8
    return np.asarray(SIZES) * np.asarray(SLIPPAGES)


KINDS = ("depth_table", "constant_product", "power_law")


@pytest.mark.parametrize("kind", KINDS)
def test_a_curve_in_units_of_its_depth_is_the_same_curve(kind: str) -> None:
    curve = _market(kind)
    d = market_depth(curve)
    x = np.asarray(SIZES) if kind == "depth_table" else np.geomspace(1e4, 1e9, 12)
    back = curve.in_units(d).stressed(d)
    np.testing.assert_allclose(back.cost(x), _reference_cost(kind, x), rtol=1e-8)
    off_knots = np.geomspace(3e4, 3e9, 13)  # a table's impact steps at its knots: compare between them
    np.testing.assert_allclose(back.impact(off_knots), curve.impact(off_knots), rtol=1e-8)


def test_market_depth_is_the_size_at_one_percent() -> None:
    # a power law s(q) = a (q/10⁶)^b sells q = 10⁶ (0.01/a)^(1/b) at 1 %
    assert market_depth(power_law(0.02, 0.8)) == pytest.approx(1e6 * (0.01 / 0.02) ** (1 / 0.8), rel=1e-12)
    # a table that is exactly a power law through 1 % at 2·10⁷: its fit recovers it
    q = np.array([1e6, 5e6, 2e7, 8e7])
    table = depth_table(q, DEPTH_SLIPPAGE * (q / 2e7) ** 0.6)
    assert market_depth(table) == pytest.approx(2e7, rel=1e-9)
    assert market_depth(table.stressed(0.5)) == pytest.approx(1e7, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(KINDS), st.one_of(st.sampled_from([2.0, 4.0, 1.3]), st.floats(1.0, 1e3)))
def test_deeper_copies_share_their_shape_to_the_bit(kind: str, m: float) -> None:
    """What lets a deeper copy of a market compute the same ladder rows: its shape is the same to the bit."""
    a, b = _market(kind), _market(kind, m)
    assert market_depth(b) == pytest.approx(m * market_depth(a), rel=1e-9)
    assert np.array_equal(a.in_units(market_depth(a)).params, b.in_units(market_depth(b)).params)
    assert np.array_equal(a.in_units(market_depth(a)).params, a.stressed(m).in_units(market_depth(a) * m).params)


def test_nodes_and_their_top() -> None:
    nodes = DepthNodes.for_book(2.0, collateral_value=1e9, stressed_unit_size=8.0)
    assert nodes.value(nodes.top) * 8.0 >= 1e9 > nodes.value(nodes.top - 1) * 8.0
    assert nodes.value(10) == 1024.0 and nodes.below(1024.0) == 10 and nodes.below(1023.9) == 9
    assert nodes.bracket(1024.0) == (10, 0.0)
    j, w = nodes.bracket(1024.0 * math.sqrt(2))
    assert j == 10 and w == pytest.approx(0.5)
    assert nodes.bracket(1e15) == (nodes.top, 0.0)  # deeper than the top: read as the top node
    with pytest.raises(SolvencyInputError):
        DepthNodes(1.0, 3)
    with pytest.raises(SolvencyInputError):
        nodes.below(0.0)


@given(st.floats(1e3, 1e12), st.floats(1e3, 1e12), st.sampled_from([2.0, 1.5, 4.0]))
def test_brackets_never_fall_with_depth(d1: float, d2: float, ratio: float) -> None:
    nodes = DepthNodes(ratio, 30)
    lo, hi = sorted((d1, d2))
    (j1, w1), (j2, w2) = nodes.bracket(lo), nodes.bracket(hi)
    assert (j1, w1) <= (j2, w2)
    assert nodes.value(j1) <= lo * (1 + 1e-9) and (j1 == nodes.top or lo < nodes.value(j1 + 1) * (1 + 1e-9))


GRID_STEP = 0.0025


@st.composite
def ladders(draw):
    """A ladder of rows on grid values: each row non-increasing in σ, each no higher than the deeper one."""
    n_sig, n_rows = draw(st.integers(1, 6)), draw(st.integers(1, 5))
    sigmas = 0.1 * 1.25 ** np.arange(n_sig)
    rows, above = {}, np.full(n_sig, 0.95)
    for k in range(n_rows - 1, -1, -1):
        drops = np.array(draw(st.lists(st.integers(0, 8), min_size=n_sig, max_size=n_sig)))
        own = np.round(0.95 - GRID_STEP * np.cumsum(drops), 10)
        lts = np.minimum(own, above)
        rows[k + 20] = Frontier(sigmas, lts, np.ones(n_sig, bool), 0.05 - 0.005 * k, 2.0 ** (k + 20))
        above = lts
    return DepthLadder(DepthNodes(2.0, 20 + n_rows - 1), rows)


@given(ladders(), st.floats(2.0**20, 2.0**26), st.floats(2.0**20, 2.0**26), st.floats(0.05, 2.0))
def test_reading_a_market_never_falls_with_depth_nor_rises_with_sigma(lad, d1, d2, sigma) -> None:
    lo, hi = sorted((d1, d2))
    sigma = min(sigma, float(lad.sigmas[-1]))

    def cap(d: float) -> float:  # a cap that never falls with depth, like max_lt_bonus / (1 + LB(D))
        return 0.9 + 0.01 * math.log2(d / 2.0**20)

    a = lad.frontier_at(lo, lb=0.05, cap=cap(lo))
    b = lad.frontier_at(hi, lb=0.05, cap=cap(hi))
    assert a.lt_at(sigma) <= b.lt_at(sigma) + 1e-12
    assert np.all(np.diff(a.lts) <= 1e-12) and np.all(a.lts <= cap(lo) + 1e-12)
    j, w = lad.nodes.bracket(lo)
    rows = [lad.rows[j].lts] + ([lad.rows[j + 1].lts] if w > 0 else [])
    low, high = np.minimum(np.min(rows, axis=0), cap(lo)), np.minimum(np.max(rows, axis=0), cap(lo))
    assert np.all(low - 1e-12 <= a.lts) and np.all(a.lts <= high + 1e-12)  # between the two rows, capped


@pytest.fixture(scope="module")
def setup():
    spec = tiny_spec(prices__sample_vol_multiplier=2.5, risk__budget=0.0005, liquidity__stress_multiplier=0.2)
    return prepare(spec, s0=3000.0, paths=300, seed=5)


@pytest.fixture(scope="module")
def surface(setup):
    nodes = [0.3, 0.6, 1.2]
    ladder = setup.ladder(nodes, lowest=setup.market_depth / 2)
    base = {k: fr.lts.copy() for k, fr in ladder.rows.items()}
    setup.extend(ladder, [*nodes, 2.4])
    return ladder, base


def test_the_surface_is_a_two_dimensional_staircase(setup, surface) -> None:
    ladder, base = surface
    ks = sorted(ladder.rows)
    assert ks == list(range(setup.nodes.below(setup.market_depth / 2), setup.nodes.top + 1))
    for k in ks:
        row = ladder.rows[k]
        assert row.depth == setup.nodes.value(k) and row.lb == setup.lb(setup.nodes.value(k))
        assert np.all(np.diff(row.lts) <= 1e-12)  # never rises with σ
        assert np.all(row.lts <= setup.lt_start(row.lb) + 1e-12)  # LT·(1+LB) ≤ max_lt_bonus in every row
        if k + 1 in ladder.rows:
            n = ladder.sigmas.size
            assert np.all(row.lts[:n] <= ladder.rows[k + 1].lts[:n] + 1e-12)  # never falls with depth
            assert row.lb >= ladder.rows[k + 1].lb  # the bonus never rises with depth
    # the rows are not all alike: depth matters on this thin market, so the test exercises the chain
    assert len({tuple(base[k]) for k in ks}) > 1


def test_extending_keeps_the_ladder_and_the_order_between_the_two_rows(setup, surface) -> None:
    ladder, base = surface
    j, w = setup.nodes.bracket(setup.market_depth)
    extended = [k for k in ladder.rows if ladder.rows[k].sigmas.size == 4]
    assert sorted(extended) == ([j] if w == 0 else [j, j + 1])
    for k, row in ladder.rows.items():
        assert np.array_equal(row.lts[:3], base[k])
    if len(extended) == 2:
        assert ladder.rows[j].lts[3] <= ladder.rows[j + 1].lts[3] <= ladder.rows[j + 1].lts[2]
    market = setup.read(ladder)
    assert market.sigmas.size == 4 and market.depth == setup.market_depth
    assert market.lb == setup.lb() and np.all(np.diff(market.lts) <= 1e-12)


def test_a_market_deeper_than_the_top_is_read_at_the_top(setup, surface) -> None:
    ladder, _ = surface
    deep = setup.nodes.value(setup.nodes.top) * 10 / setup.market_depth
    fr = setup.read(ladder, deep)
    top = ladder.rows[setup.nodes.top]
    lb = setup.lb(setup.market_depth * deep)
    n = fr.sigmas.size
    np.testing.assert_array_equal(fr.lts, np.minimum(top.lts[:n], setup.lt_start(lb)))
    with pytest.raises(SolvencyInputError, match="below the ladder"):
        setup.read(ladder, 0.01)
