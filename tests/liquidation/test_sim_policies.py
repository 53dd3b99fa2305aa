"""The simulator's risk policies: compiled kernels against the reference engine, and their formulas.

``risk_weighted`` and ``optimized`` read the context (volatility, queue, the seized asset's curve and impact
state); the reference engine fills that context independently of the kernels, so agreement on random books —
two assets with different curves, so the per-asset curve lookup through ``CTX_ASSET`` matters — checks both.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.market.liquidity import constant_product, depth_table, power_law
from solvency.pricing.black import black_scholes
from solvency.sim.book import LoanBook, synthetic_book
from solvency.sim.engine import Engine, run_engine
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel, SimSetup
from solvency.sim.paths import GBM
from solvency.sim.policy import (
    CTX_ASSET,
    CTX_CAPACITY,
    CTX_DEPTH,
    CTX_ELIGIBLE_DEBT,
    CTX_MARKET,
    CTX_ORACLE,
    CTX_SIGMA,
    CTX_SIZE,
    CTX_SOLD,
    get_policy,
)
from solvency.sim.queue_policies import (
    P_N_ASSETS,
    depth_chunk,
    market_params,
    optimized_score,
    risk_weighted_score,
    sized_chunk,
)

FIELDS = ("bad_debt", "insolvent", "liquidations", "volume", "repaid", "reached", "shortfall", "slippage")


def assert_same_results(a, b) -> None:  # type: ignore[no-untyped-def]
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        assert np.allclose(x, y, rtol=1e-9, atol=1e-6), (name, x, y)


@st.composite
def setups(draw: st.DrawFn) -> tuple[SimSetup, np.ndarray, int]:
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    n = draw(st.integers(1, 30))
    s0 = np.array([2000.0, 50.0])
    debt = rng.lognormal(10.0, 2.0, n)
    hf = rng.uniform(0.9, 1.5, n)
    asset = rng.integers(0, 2, n)
    lt = rng.uniform(0.6, 0.9, (n, 2))
    lb = rng.uniform(0.01, 0.1, (n, 2))
    collateral = np.zeros((n, 2))
    collateral[np.arange(n), asset] = hf * debt / lt[np.arange(n), asset] / s0[asset]
    book = LoanBook(["A0", "A1"], collateral, debt, lt, lb)
    depth = draw(st.floats(0.01, 1.0))
    curves = [
        depth_table([1e4, 1e5, 1e6], [0.002, 0.01, 0.05]).stressed(depth),
        draw(st.sampled_from([constant_product(2e5), power_law(0.02, 0.7)])).stressed(depth),
    ]
    step = draw(st.sampled_from([60, 300]))
    setup = SimSetup(
        book,
        curves,
        oracle=OracleModel(heartbeat=600, deviation=0.005, delay=draw(st.sampled_from([0, 600]))),
        liquidators=LiquidatorModel(
            latency=0,
            capacity=draw(st.sampled_from([2e4, 2e5, 1e9])),
            gas_units=3e5,
            gas_gwei=20.0,
            native_price=2000.0,
            per_step=draw(st.integers(1, 2)),
        ),
        close_factor=CloseFactorRule(min_leftover=draw(st.sampled_from([0.0, 1000.0]))),
        impact_half_life=3600,
        sigma=np.array([1.0, 1.6]),
    )
    model = GBM(book.assets, s0, sigma=draw(st.floats(0.5, 3.0)), mu=draw(st.floats(-40, 0)), step=step)
    return setup, model.simulate(3, draw(st.integers(2, 40)), rng), step


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=setups(), name=st.sampled_from(["risk_weighted", "optimized"]))
def test_risk_policies_fast_engines_equal_reference(case, name: str) -> None:  # type: ignore[no-untyped-def]
    setup, prices, step = case
    ref = run_engine(setup, prices, step, name, engine="reference")
    assert ref.bad_debt.shape == (prices.shape[0],) and np.all(ref.bad_debt >= 0)
    assert_same_results(run_engine(setup, prices, step, name), ref)
    assert_same_results(run_engine(setup, prices, step, name, engine="general"), ref)


def test_policies_are_bound_to_the_market() -> None:
    book = synthetic_book(assets=["ETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=10, seed=1)
    setup = SimSetup(book, [power_law(0.01, 0.7)])
    for name in ("risk_weighted", "optimized"):
        unbound = get_policy(name)
        assert unbound.param_array()[P_N_ASSETS] == 0.0
        bound = Engine(setup, 300, name).policy
        assert bound.param_array()[P_N_ASSETS] == 1.0
        assert bound.compiled() is unbound.compiled()  # the compiled functions are shared, not rebuilt


def _ctx(**values: float) -> np.ndarray:
    ctx = np.zeros(CTX_SIZE)
    names = {
        "asset": CTX_ASSET,
        "sigma": CTX_SIGMA,
        "capacity": CTX_CAPACITY,
        "queue": CTX_ELIGIBLE_DEBT,
        "depth": CTX_DEPTH,
        "sold": CTX_SOLD,
        "oracle": CTX_ORACLE,
        "market": CTX_MARKET,
    }
    for k, v in values.items():
        ctx[names[k]] = v
    return ctx


def _params(curve, cf=CloseFactorRule()) -> np.ndarray:  # type: ignore[no-untyped-def]
    book = LoanBook(["ETH"], [[1.0]], [1.0], 0.8, 0.05)
    return np.array(market_params(SimSetup(book, [curve], close_factor=cf)))


def test_risk_weighted_score_is_the_loss_avoided() -> None:
    sigma_step, capacity, queue, debt = 0.01, 1e6, 2.5e7, 4e5
    ctx = _ctx(sigma=sigma_step, capacity=capacity, queue=queue)
    value, market, lb = 4.6e5, 4.4e5, 0.05
    s = sigma_step * math.sqrt((queue - debt) / capacity)
    put = float(black_scholes("put", market / (1 + lb), debt, 1.0, s).price)
    got = risk_weighted_score(value, value * 0.83, debt, lb, market, ctx, ctx)
    assert got == pytest.approx(put - max(debt - value / (1 + lb), 0.0), rel=1e-9)
    # an insolvent position: only the time value is avoided
    value = 3.9e5
    put = float(black_scholes("put", value / (1 + lb), debt, 1.0, s).price)
    got = risk_weighted_score(value, value * 0.83, debt, lb, value, ctx, ctx)
    assert got == pytest.approx(put - (debt - value / (1 + lb)), rel=1e-9)


@pytest.mark.parametrize("curve", [power_law(0.01, 0.7), constant_product(5e6), depth_table([1e5, 1e6], [0.01, 0.03])])
@pytest.mark.parametrize(("sold", "oracle_over_market"), [(0.0, 1.0), (2e5, 1.0), (0.0, 0.98), (3e5, 1.01)])
def test_depth_chunk_maximises_the_liquidators_profit(curve, sold: float, oracle_over_market: float) -> None:  # type: ignore[no-untyped-def]
    """The chunk is where selling more stops paying: profit(Q) = Q − ΔG(Q) − Q·O/(P(1+LB)) peaks there."""
    lb, price = 0.05, 2000.0
    params = _params(curve)
    _kind, _cp, depth = curve.kernel_params()
    g_now = float(curve.impact(sold))
    market = price * (1 - g_now)
    oracle = market * oracle_over_market
    ctx = _ctx(asset=0, depth=depth, sold=sold, oracle=oracle, market=market)
    repay = depth_chunk(lb, ctx, params)

    def profit(q: float) -> float:
        return q - (float(curve.cost(sold + q)) - float(curve.cost(sold))) - q * oracle / (price * (1 + lb))

    q_star = repay * price * (1 + lb) / oracle
    grid = np.linspace(0, 4 * max(q_star, 1e4), 801)
    best = max(profit(float(q)) for q in grid)
    assert profit(q_star) >= best - 1e-6 * max(1.0, abs(best))


def test_sized_chunk_and_optimized_density() -> None:
    curve = power_law(0.01, 0.7)
    params = _params(curve)
    _kind, _cp, depth = curve.kernel_params()
    price = 2000.0
    ctx = _ctx(asset=0, depth=depth, sold=0.0, oracle=price, market=price, sigma=0.02, capacity=1e6, queue=1e7)
    lt, lb = 0.83, 0.05
    # HF 0.97: 50 % factor, capped by the depth chunk
    debt = 3e7
    value = 0.97 * debt / lt
    r = sized_chunk(value, value * lt, debt, lb, ctx, params)
    assert r == pytest.approx(min(0.5 * debt, depth_chunk(lb, ctx, params)))
    assert r < 0.5 * debt  # this whale is sliced
    s = 0.02 * math.sqrt((1e7 - debt) / 1e6) if debt < 1e7 else 0.02
    before = float(black_scholes("put", value / (1 + lb), debt, 1.0, s).price)
    after = float(black_scholes("put", (value - r * (1 + lb)) / (1 + lb), debt - r, 1.0, s).price)
    assert optimized_score(value, value * lt, debt, lb, value, ctx, params) == pytest.approx((before - after) / r)
    # a small insolvent position: everything seized, the rest of the debt is lost for sure
    debt = 1500.0
    value = 0.8 * debt
    r = sized_chunk(value, value * lt, debt, lb, ctx, params)
    assert r == pytest.approx(value / (1 + lb))
    s = 0.02 * math.sqrt((1e7 - debt) / 1e6)
    before = float(black_scholes("put", value / (1 + lb), debt, 1.0, s).price)
    assert optimized_score(value, value * lt, debt, lb, value, ctx, params) == pytest.approx(
        (before - (debt - value / (1 + lb))) / r
    )


def test_slippage_output_is_what_the_sales_lost() -> None:
    """One liquidation into a constant-product pool: slippage = G(Q) with Q the seized collateral's value."""
    reserve = 1e6
    book = LoanBook(["ETH"], [[10.0]], [15_000.0], [[0.8]], [[0.05]])
    setup = SimSetup(
        book,
        [constant_product(reserve)],
        oracle=OracleModel(heartbeat=60, deviation=0.0, delay=0),
        liquidators=LiquidatorModel(latency=0, capacity=1e12, gas_units=0.0),
        impact_half_life=None,
    )
    prices = np.array([2000.0, 1850.0])[None, :, None]  # HF 0.987: one 50 % liquidation
    for engine in ("fast", "reference"):
        out = run_engine(setup, prices, 60, "health_first", engine=engine)
        q = 7_500.0 * 1.05  # repay × (1 + LB), seized at the oracle = market price
        assert out.repaid[0] == pytest.approx(7_500.0)
        assert out.slippage[0] == pytest.approx(q * q / (reserve + q), rel=1e-12)
