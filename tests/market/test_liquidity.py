"""Slippage curves against closed forms and a direct constant-product swap; table knots; stress; inverses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from solvency._jit import python_function
from solvency.config import LiquiditySpec
from solvency.errors import SolvencyInputError
from solvency.market import liquidity as L


def swap_out(base_in: float, base_reserve: float, quote_reserve: float) -> float:
    """Uniswap v2 (no fee): quote received for ``base_in``, from the invariant x·y = k directly."""
    k = base_reserve * quote_reserve
    return quote_reserve - k / (base_reserve + base_in)


def test_constant_product_matches_a_direct_swap() -> None:
    x, y = 40_000.0, 1.2e8  # 40k ETH and 120M USDC: price 3,000
    price = y / x
    curve = L.constant_product(y)
    for units in (1.0, 100.0, 2_500.0, 20_000.0):
        q = units * price  # quote value at the pre-trade price
        received = swap_out(units, x, y)
        assert curve.proceeds(q) == pytest.approx(received, rel=1e-12)
        assert curve.slippage(q) == pytest.approx(1 - received / q, rel=1e-12)
        new_price = (y - received) / (x + units)
        assert curve.impact(q) == pytest.approx(1 - new_price / price, rel=1e-12)


def test_sequential_sales_add_up() -> None:
    for curve in (
        L.constant_product(5e7),
        L.power_law(0.002, 0.7),
        L.depth_table([1e6, 1e7, 5e7], [0.002, 0.01, 0.05]),
    ):
        whole = curve.proceeds(3e7)
        parts = curve.proceeds(1e7) + curve.proceeds(2e7, already_sold=1e7)
        assert parts == pytest.approx(whole, rel=1e-12)


def test_depth_table_exact_at_knots_and_convex_between() -> None:
    sizes, slips = [1e6, 1e7, 5e7, 1e8, 2.5e8], [0.001, 0.005, 0.02, 0.04, 0.10]
    curve = L.depth_table(sizes, slips)
    assert curve.slippage(np.array(sizes)) == pytest.approx(slips, rel=1e-12)
    grid = np.geomspace(1e4, 1e9, 400)
    impact = curve.impact(grid)
    assert np.all(np.diff(impact) >= -1e-15)  # the price keeps falling as more is sold
    assert np.all(curve.impact(grid) >= curve.slippage(grid) - 1e-15)  # marginal ≥ average (convex cost)
    # beyond the table: the power law through the last two rows (here exponent 1: slippage ∝ size)
    assert curve.slippage(5e8) == pytest.approx(0.10 * 2, rel=1e-12)


def test_non_convex_table_is_refused_with_the_rows() -> None:
    with pytest.raises(SolvencyInputError, match="not convex"):
        # cost per unit sold jumps to 0.12 between 1.0M and 1.1M, then falls back to 0.021
        L.depth_table([1e6, 1.1e6, 1e7], [0.01, 0.02, 0.021])
    with pytest.raises(SolvencyInputError, match="increasing"):
        L.depth_table([1e6, 1e6], [0.01, 0.02])
    with pytest.raises(SolvencyInputError, match="fractions"):
        L.depth_table([1e6], [1.5])


def test_power_law_formula_and_fit() -> None:
    curve = L.power_law(0.003, 0.6)
    assert curve.slippage(4e6) == pytest.approx(0.003 * 4**0.6, rel=1e-12)
    assert curve.impact(4e6) == pytest.approx(1.6 * 0.003 * 4**0.6, rel=1e-12)
    refit = L.power_law(0.003, 0.6).fit_power_law([1e5, 1e6, 1e7, 1e8])
    assert refit.params[:2] == pytest.approx([0.003, 0.6], rel=1e-9)
    table = L.depth_table([1e6, 1e7, 5e7, 1e8, 2.5e8], [0.001, 0.005, 0.02, 0.04, 0.10])
    fitted = table.fit_power_law()
    assert fitted.kind == "power_law"
    ratio = fitted.slippage(np.array([1e7, 1e8])) / table.slippage(np.array([1e7, 1e8]))
    assert np.all((ratio > 0.5) & (ratio < 2))  # a 2-parameter fit of a 5-row table: same order everywhere


def test_stress_scales_depth() -> None:
    curve = L.depth_table([1e6, 1e7], [0.002, 0.01])
    thin = curve.stressed(0.25)
    assert thin.slippage(2.5e5) == pytest.approx(curve.slippage(1e6), rel=1e-12)
    assert thin.slippage(1e6) > curve.slippage(1e6)
    with pytest.raises(SolvencyInputError):
        curve.stressed(0.0)


@settings(max_examples=60, deadline=None)
@given(st.floats(1e3, 1e9), st.floats(0.05, 0.3))
def test_size_at_slippage_inverts(q: float, m: float) -> None:
    curve = L.depth_table([1e6, 1e7, 5e7], [0.002, 0.01, 0.05]).stressed(m)
    s = float(curve.slippage(q))
    assume(s < 0.9)  # far past the table the extrapolated slippage exceeds 100 %: no inverse wanted there
    size = curve.size_at_slippage(s)
    assert float(curve.slippage(size)) == pytest.approx(s, rel=1e-9)
    if q > 1e6 * m:  # strictly increasing past the first row: the size itself comes back
        assert size == pytest.approx(q, rel=1e-6)
    else:  # flat first row: the largest size at that slippage is the row's size
        assert size == pytest.approx(1e6 * m, rel=1e-6)


def test_kernels_equal_interpreted_versions() -> None:
    curve = L.depth_table([1e6, 1e7, 5e7], [0.002, 0.01, 0.05]).stressed(0.4)
    kind, params, depth = curve.kernel_params()
    for x in (0.0, 3e5, 1e6, 7e6, 4e7, 9e7):
        assert L.cost(kind, params, depth, x) == python_function(L.cost)(kind, params, depth, x)
        assert L.impact(kind, params, depth, x) == python_function(L.impact)(kind, params, depth, x)


def test_from_spec_and_bad_sizes() -> None:
    spec = LiquiditySpec()
    curve = L.curve_from_spec(spec)
    assert curve.kind == "depth_table"
    assert curve.slippage(1e7) == pytest.approx(0.005)
    cp = L.curve_from_spec(LiquiditySpec(kind="constant_product", reserve_base=1e4, reserve_quote=3e7))
    assert cp.slippage(3e7) == pytest.approx(0.5)
    with pytest.raises(SolvencyInputError, match="non-negative"):
        curve.cost(-1.0)
    with pytest.raises(SolvencyInputError, match="non-negative"):
        curve.slippage(np.nan)


def test_risk_dao_volumes_mapping() -> None:
    curve = L.depth_table_from_volumes({0.05: 2.5e7, 0.01: 4e6, 0.02: 9e6})
    assert curve.slippage(np.array([4e6, 9e6, 2.5e7])) == pytest.approx([0.01, 0.02, 0.05])
