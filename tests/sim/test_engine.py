"""The fast kernels against the reference engine, and the mechanics on hand-checked cases.

The reference (:mod:`solvency.sim.reference`) is the definition; the sorted kernel, the general kernel and
the interpreted kernels must reproduce it on randomized books, markets and policies (hypothesis).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.market.liquidity import constant_product, depth_table, power_law
from solvency.sim.book import LoanBook
from solvency.sim.engine import Engine, run_engine
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel, SimSetup
from solvency.sim.paths import GBM, Shape, ShapedPaths
from solvency.sim.policy import CTX_ELIGIBLE_DEBT, CTX_SIGMA, HEALTH_FIRST, LARGEST_FIRST, LiquidationPolicy

FIELDS = ("bad_debt", "insolvent", "liquidations", "volume", "repaid", "reached", "shortfall")


def closest_to_insolvency(coll_value, adj_value, debt, bonus, market_value, ctx, params):
    """A custom policy using the context: debt over market value, tilted by the step's volatility."""
    return debt / max(market_value, 1e-12) + params[0] * ctx[CTX_SIGMA] - 1e-12 * ctx[CTX_ELIGIBLE_DEBT]


def half_size(coll_value, adj_value, debt, bonus, market_value, max_repay, ctx, params):
    """A custom sizing: half the close-factor amount (so the dust rule and multiple rounds get exercised)."""
    return 0.5 * max_repay


CUSTOM = LiquidationPolicy("closest_to_insolvency", closest_to_insolvency, half_size, params=(3.0,))
POLICIES = [HEALTH_FIRST, LARGEST_FIRST, CUSTOM]


def assert_same(a, b, rel: float = 1e-9) -> None:
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if x.dtype.kind == "i":
            assert np.array_equal(x, y), name
        else:
            assert np.allclose(x, y, rtol=rel, atol=1e-6), (name, x, y)


@st.composite
def setups(draw: st.DrawFn, multi: bool = False) -> tuple[SimSetup, np.ndarray, int, LiquidationPolicy]:
    n_assets = draw(st.integers(1, 2)) if not multi else 2
    n = draw(st.integers(1, 25))
    s0 = np.array([2000.0, 50.0][:n_assets])
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    debt = rng.lognormal(9.0, 1.8, n)
    debt[rng.random(n) < 0.05] = 0.0  # a few positions without debt
    hf = rng.uniform(0.85, 1.6, n)
    lt = rng.uniform(0.5, 0.92, (n, n_assets))
    lb = rng.uniform(0.0, 0.12, (n, n_assets))
    share = np.zeros((n, n_assets))
    share[np.arange(n), rng.integers(0, n_assets, n)] = 1.0
    if multi:
        w = rng.uniform(0.2, 0.8, n)
        split = rng.random(n) < 0.7
        share[split] = np.column_stack([w[split], 1 - w[split]])
    value = hf * np.maximum(debt, 1.0) / (share * lt).sum(axis=1)
    collateral = share * value[:, None] / s0
    collateral[rng.random(n) < 0.04] = 0.0  # a few positions without collateral
    book = LoanBook([f"A{k}" for k in range(n_assets)], collateral, debt, lt, lb)
    kind = draw(st.sampled_from(["cp", "table", "power"]))
    depth = draw(st.floats(0.001, 1.0))
    curves = []
    for _ in range(n_assets):
        if kind == "cp":
            curves.append(constant_product(2e5).stressed(depth))
        elif kind == "table":
            curves.append(depth_table([1e4, 1e5, 1e6], [0.002, 0.01, 0.05]).stressed(depth))
        else:
            curves.append(power_law(0.01, 0.8).stressed(depth))
    step = draw(st.sampled_from([60, 300, 600]))
    setup = SimSetup(
        book,
        curves,
        oracle=OracleModel(
            heartbeat=draw(st.sampled_from([60, 600, 3600])),
            deviation=draw(st.sampled_from([0.0, 0.005, 0.02])),
            delay=draw(st.sampled_from([0, 100, 600, 1800])),
        ),
        liquidators=LiquidatorModel(
            latency=draw(st.sampled_from([0, 300, 1200])),
            capacity=draw(st.sampled_from([5e3, 5e4, 1e9])),
            gas_units=draw(st.sampled_from([0.0, 3e5])),
            gas_gwei=draw(st.sampled_from([10.0, 500.0])),
            native_price=2000.0,
            gas_asset=draw(st.sampled_from([-1, 0])),
            per_step=draw(st.integers(1, 3)),
            profit_check=draw(st.booleans()),
        ),
        close_factor=CloseFactorRule(
            default=draw(st.sampled_from([0.5, 1.0])),
            full_below_value=draw(st.sampled_from([0.0, 2000.0])),
            min_leftover=draw(st.sampled_from([0.0, 1000.0])),
        ),
        impact_half_life=draw(st.sampled_from([None, 600, 7200])),
        sigma=np.full(n_assets, 1.2),
    )
    steps = draw(st.integers(1, 40))
    if draw(st.booleans()):
        model = GBM(book.assets, s0, sigma=draw(st.floats(0.2, 3.0)), mu=draw(st.floats(-20, 5)), step=step)
    else:
        trough = draw(st.floats(0.4, 0.95))
        shape = Shape((0.0, steps * step / 7200, steps * step / 3600), (1.0, trough, (1 + trough) / 2))
        model = ShapedPaths(book.assets, s0, shapes=[shape] * n_assets, sigma=1.0, step=step)
    prices = model.simulate(3, steps, rng)
    return setup, prices, step, draw(st.sampled_from(POLICIES))


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(setups())
def test_fast_engines_equal_reference_single_collateral(case) -> None:
    setup, prices, step, policy = case
    ref = run_engine(setup, prices, step, policy, engine="reference")
    assert_same(run_engine(setup, prices, step, policy), ref)
    assert_same(run_engine(setup, prices, step, policy, engine="general"), ref)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(setups(multi=True))
def test_general_kernel_equals_reference_multi_collateral(case) -> None:
    setup, prices, step, policy = case
    ref = run_engine(setup, prices, step, policy, engine="reference")
    out = run_engine(setup, prices, step, policy)  # multi-collateral: "fast" picks the general kernel
    assert Engine(setup, step, policy).kind == ("general" if not setup.book.is_single_collateral else "sorted")
    assert_same(out, ref)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(setups())
def test_interpreted_kernels_equal_compiled(case) -> None:
    setup, prices, step, policy = case
    compiled = run_engine(setup, prices, step, policy)
    assert_same(run_engine(setup, prices, step, policy, use_numba=False), compiled)
    assert_same(run_engine(setup, prices, step, policy, engine="general", use_numba=False), compiled)


def test_results_do_not_depend_on_thread_groups() -> None:
    from solvency.sim.book import synthetic_book

    book = synthetic_book(assets=["ETH"], prices=[2000], lt=0.83, lb=0.05, positions=500, debt_total=5e7, seed=1)
    setup = SimSetup(book, [depth_table([1e6, 1e7], [0.002, 0.01]).stressed(0.2)])
    prices = GBM(["ETH"], 2000, sigma=2.0, mu=-30, step=300).simulate(37, 100, np.random.default_rng(3))
    engine = Engine(setup, 300)
    assert_same(engine.run(prices, n_groups=1), engine.run(prices, n_groups=5), rel=1e-12)


# ------------------------------------------------------------------------------------- hand-checked cases


def one_position(c: float, d: float, lt: float = 0.8, lb: float = 0.05, **kw) -> SimSetup:
    book = LoanBook(["ETH"], [[c]], [d], [[lt]], [[lb]])
    liq = kw.pop("liquidators", LiquidatorModel(latency=0, capacity=1e12, gas_units=0.0))
    return SimSetup(
        book,
        [kw.pop("curve", constant_product(1e15))],  # deep enough that slippage is ~0
        oracle=kw.pop("oracle", OracleModel(heartbeat=60, deviation=0.0, delay=0)),
        liquidators=liq,
        **kw,
    )


def path(*prices: float) -> np.ndarray:
    return np.array(prices, dtype="float64")[None, :, None]


def test_toxic_liquidation_spiral_warmuz() -> None:
    """Warmuz, Chaudhary & Pinna (2022), "Toxic Liquidation Spirals" (arXiv:2212.07306): liquidating a position
    whose LTV exceeds 1/(1+LB) *raises* its LTV. Repay r, seize r(1+LB)/p: LTV' = (d−r)/(cp − r(1+LB)) > d/(cp)
    ⟺ d(1+LB) > cp ⟺ LTV > 1/(1+LB). A solvent position above that LTV is driven into insolvency by its
    own liquidations."""
    lb, price = 0.10, 1000.0  # toxic threshold 1/1.1 = 0.909
    for ltv, toxic in ((0.93, True), (0.88, False)):
        # one ETH at 1000, debt 1000·ltv: HF = 0.8/ltv < 1, liquidatable from the first step; 50 % close factor
        setup = one_position(1.0, price * ltv, lt=0.8, lb=lb, close_factor=CloseFactorRule(0.5, 0.0, 0.0, 0.0))
        d, c, ltvs, repaid, seized = price * ltv, 1.0, [ltv], 0.0, 0.0
        for _ in range(4):  # steps 0..3, one liquidation each (per_step = 1) while HF = 0.8/LTV < 1
            if 0.8 * c * price / d >= 1:
                break
            r = 0.5 * d
            d, c = d - r, c - r * (1 + lb) / price
            repaid, seized = repaid + r, seized + r * (1 + lb)
            ltvs.append(d / (c * price))
        assert all((b > a) is toxic for a, b in itertools.pairwise(ltvs))
        for engine in ("reference", "fast"):
            out = run_engine(setup, path(price, price, price, price), 60, engine=engine)
            assert out.liquidations[0] == len(ltvs) - 1 == (4 if toxic else 3)
            assert out.repaid[0] == pytest.approx(repaid) and out.volume[0] == pytest.approx(seized)
            final_ltv = (price * ltv - out.repaid[0]) / ((1.0 - out.volume[0] / price) * price)
            assert final_ltv == pytest.approx(ltvs[-1])
            assert bool(final_ltv > ltv) is toxic
            # toxic: solvent at the start (LTV 0.93 < 1), insolvent after its own liquidations
            assert bool(out.bad_debt[0] > 0) is toxic


def test_close_factor_aave_v33() -> None:
    """50 % above HF 0.95; 100 % at or below it, or when the collateral or debt is under $2,000."""
    # HF at 870 = 10·870·0.8/7000 = 0.994 → 50 %
    out = run_engine(one_position(10.0, 7000.0), path(1000.0, 870.0), 60)
    assert out.repaid[0] == pytest.approx(3500.0)
    # HF at 800 = 0.914 ≤ 0.95 → 100 %
    out = run_engine(one_position(10.0, 7000.0), path(1000.0, 800.0), 60)
    assert out.repaid[0] == pytest.approx(7000.0)
    # debt 1,900 < $2,000 → 100 % even at HF 0.998 (liquidation price 2,375)
    out = run_engine(one_position(1.0, 1900.0, lt=0.8), path(3000.0, 2370.0), 60)
    assert out.repaid[0] == pytest.approx(1900.0)


def test_dust_rule_leaves_a_thousand_or_clears() -> None:
    # debt 2,600, HF 0.99: 50 % would leave 1,300 ≥ 1,000 → allowed
    out = run_engine(one_position(4.0, 2600.0, lt=0.8), path(1000.0, 804.4), 60)
    assert out.repaid[0] == pytest.approx(1300.0)
    # a size policy asking for 80 % of the close-factor amount gets exactly that when no dust is left behind
    small = LiquidationPolicy("tiny", HEALTH_FIRST.score, lambda *a: 0.8 * a[5])
    setup = one_position(3.0, 2600.0, lt=0.8, close_factor=CloseFactorRule(0.5, 0.95, 2000.0, 1000.0))
    # HF at 1080 = 3·1080·0.8/2600 = 0.997 → cf 50 %; asking 0.8·1300 = 1040 leaves debt 1560, collateral
    # value 3·1080 − 1040·1.05 = 2148 → fine
    out = run_engine(setup, path(2000.0, 1080.0), 60, small, engine="reference")
    assert out.repaid[0] == pytest.approx(1040.0)


def test_bad_debt_when_collateral_is_worth_less_than_debt() -> None:
    # no liquidators: one ETH against 900 of debt, price 1000 → 700: bad debt 200, one insolvent position
    setup = one_position(1.0, 900.0, liquidators=LiquidatorModel(capacity=0.0, gas_units=0.0))
    for engine in ("fast", "reference"):
        out = run_engine(setup, path(1000.0, 800.0, 700.0), 60, engine=engine)
        assert out.bad_debt[0] == pytest.approx(200.0)
        assert out.insolvent[0] == 1 and out.liquidations[0] == 0 and out.reached[0] == 1
    # collateral exhausted by a liquidation: all of it seized, the remaining debt is bad debt
    setup = one_position(1.0, 900.0, lt=0.95, lb=0.05)  # liquidation price 947: solvent and safe at 1,000
    out = run_engine(setup, path(1000.0, 600.0), 60)
    assert out.repaid[0] == pytest.approx(600.0 / 1.05)
    assert out.bad_debt[0] == pytest.approx(900.0 - 600.0 / 1.05)


def test_oracle_delay_heartbeat_and_deviation() -> None:
    # liquidation price 1000/(1·0.8) = 1250 ... use a position liquidatable below 900
    c, d = 1.0, 720.0  # liquidation price 720/0.8 = 900
    prices = path(1000.0, 950.0, 880.0, 880.0, 880.0, 880.0)
    steps_to_liquidation = {}
    for delay in (0, 120, 180):
        setup = one_position(c, d, oracle=OracleModel(heartbeat=60, deviation=0.0, delay=delay))
        liq = []
        for t in range(1, prices.shape[1]):
            out = run_engine(setup, prices[:, : t + 1], 60)
            liq.append(out.liquidations[0])
        steps_to_liquidation[delay] = liq.index(1) + 1
    assert steps_to_liquidation == {0: 2, 120: 4, 180: 5}
    # deviation threshold: a 1 % deviation oracle ignores moves below 1 % until the heartbeat
    setup = one_position(1.0, 720.0 * 0.995, oracle=OracleModel(heartbeat=600, deviation=0.01, delay=0))
    # liquidation price 895.5; price creeps 900 → 895 (−0.56 %): the oracle stays at 900, no liquidation
    out = run_engine(setup, path(900.0, 895.0, 895.0, 895.0), 60)
    assert out.liquidations[0] == 0
    out = run_engine(setup, path(900.0, 895.0, 895.0, 895.0, 895.0, 895.0, 895.0, 895.0, 895.0, 895.0, 895.0), 60)
    assert out.liquidations[0] == 1  # the 10-minute heartbeat refreshes it


def test_latency_delays_liquidation() -> None:
    prices = path(1000.0, 880.0, 880.0, 880.0, 880.0)
    for latency, expected in ((0, [1, 1, 1, 1]), (60, [0, 1, 1, 1]), (180, [0, 0, 0, 1])):
        setup = one_position(1.0, 720.0, liquidators=LiquidatorModel(latency=latency, gas_units=0.0))
        got = [run_engine(setup, prices[:, : t + 1], 60).liquidations[0] for t in range(1, 5)]
        assert got == expected, latency


def test_capacity_per_step_and_policy_order() -> None:
    """Capacity 1,000 for the step; three eligible positions at 880:
    A (1 ETH, debt 750, HF 0.939), B (1 ETH, 780, HF 0.903), C (10 ETH, 7,200, HF 0.978).
    health_first: B in full (780, HF ≤ 0.95), then A would need 750 > the 220 left and a partial repay
    would leave dust (< $1,000 of debt) → skipped, then C takes the 220 → 2 liquidations.
    largest_first: C first, 1,000 of its 3,600 close-factor amount → 1 liquidation."""
    book = LoanBook(["ETH"], [[1.0], [1.0], [10.0]], [750.0, 780.0, 7200.0], [[0.8]] * 3, [[0.05]] * 3)
    liq = LiquidatorModel(latency=0, capacity=1000.0, gas_units=0.0)
    setup = SimSetup(book, [constant_product(1e15)], oracle=OracleModel(60, 0.0, 0), liquidators=liq)
    for policy, count in ((HEALTH_FIRST, 2), (LARGEST_FIRST, 1)):
        for engine in ("reference", "fast"):
            out = run_engine(setup, path(1000.0, 880.0), 60, policy, engine=engine)
            assert out.liquidations[0] == count and out.repaid[0] == pytest.approx(1000.0), (policy.name, engine)


def test_gas_makes_small_positions_unprofitable() -> None:
    # bonus 5 % of a 200 repay = 10 < gas 0.1 ETH × 880 = 88: nobody liquidates; a 20k position pays
    liq = LiquidatorModel(latency=0, gas_units=500_000, gas_gwei=200.0, gas_asset=0)
    small = one_position(0.3, 200.0, liquidators=liq)
    assert run_engine(small, path(1000.0, 800.0), 60).liquidations[0] == 0
    big = one_position(30.0, 20_000.0, liquidators=liq)
    assert run_engine(big, path(1000.0, 800.0), 60).liquidations[0] == 1


def test_price_impact_feeds_back() -> None:
    # two positions: liquidating the first one's collateral into a thin pool pushes the price under the second's
    book = LoanBook(["ETH"], [[100.0], [100.0]], [70_000.0, 66_000.0], [[0.8]] * 2, [[0.05]] * 2)
    thin = constant_product(8e5)
    setup = SimSetup(
        book,
        [thin],
        oracle=OracleModel(60, 0.0, 0),
        liquidators=LiquidatorModel(latency=0, gas_units=0.0, profit_check=False),
        impact_half_life=None,
    )
    prices = path(1000.0, 870.0, 870.0, 870.0)  # first: liq price 875; second: 825 — only reached via impact
    out = run_engine(setup, prices, 60)
    assert out.reached[0] == 2
    deep = SimSetup(book, [constant_product(1e15)], oracle=setup.oracle, liquidators=setup.liquidators)
    assert run_engine(deep, prices, 60).reached[0] == 1


def test_multi_collateral_seizes_the_largest_value() -> None:
    book = LoanBook(["ETH", "BTC"], [[1.0, 0.01]], [820.0], [[0.8, 0.8]], [[0.05, 0.1]])
    setup = SimSetup(
        book,
        [constant_product(1e15), constant_product(1e15)],
        oracle=OracleModel(60, 0.0, 0),
        liquidators=LiquidatorModel(latency=0, gas_units=0.0),
    )
    prices = np.array([[[1000.0, 30000.0], [900.0, 30000.0]]])  # value 900 ETH + 300 BTC; HF = 960/820 … drop
    prices[0, 1] = [700.0, 25000.0]  # HF = (700 + 250)·0.8/820 = 0.927 → 100 %, seize ETH (700 > 250) at 5 %
    for engine in ("fast", "reference"):
        out = run_engine(setup, prices, 60, engine=engine)
        assert out.liquidations[0] == 1
        assert out.repaid[0] == pytest.approx(700.0 / 1.05)  # all the ETH, repaying 666.67 of 820
        assert out.volume[0] == pytest.approx(700.0)
    assert math.isclose(out.bad_debt[0], 0.0)  # the BTC (250) still covers the remaining 153.33


def test_uncompilable_policy_is_a_clear_error() -> None:
    from solvency.errors import SolvencyInputError
    from solvency.sim.policy import POLICIES

    def uses_python_objects(coll_value, adj_value, debt, bonus, market_value, ctx, params):
        return float(len(POLICIES))  # a dict of Python objects: fine in Python, not in numba

    bad = LiquidationPolicy("bad", uses_python_objects)
    setup = one_position(1.0, 720.0)
    with pytest.raises(SolvencyInputError, match="numba cannot compile"):
        run_engine(setup, path(1000.0, 880.0), 60, bad)
    assert run_engine(setup, path(1000.0, 880.0), 60, bad, engine="reference").liquidations[0] == 1
