"""Time-varying LT/LB (:mod:`solvency.sim.schedule`): engines agree, a constant schedule changes nothing, and
the timing rules hold on hand-checked cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.errors import SolvencyInputError
from solvency.market.liquidity import constant_product, depth_table
from solvency.sim.book import LoanBook, synthetic_book
from solvency.sim.engine import Engine, run_engine
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel, SimSetup
from solvency.sim.paths import GBM
from solvency.sim.schedule import ParamSchedule
from tests.sim.test_engine import FIELDS, assert_same, one_position, path, setups


def examples(n: int) -> settings:
    slow = [HealthCheck.too_slow, HealthCheck.data_too_large]
    return settings(max_examples=n, deadline=None, suppress_health_check=slow)


def lt_path(draw: st.DrawFn, n_points: int) -> np.ndarray:
    """A step path that moves down and up, holds, and comes back exactly to its start (both kernel branches)."""
    start = draw(st.floats(0.45, 0.92))
    values = [start]
    for _ in range(n_points - 1):
        move = draw(st.sampled_from(["hold", "hold", "down", "up", "back"]))
        v = values[-1]
        if move == "down":
            v = max(0.3, v - draw(st.floats(0.001, 0.12)))
        elif move == "up":
            v = min(0.95, v + draw(st.floats(0.001, 0.08)))
        elif move == "back":
            v = start
        values.append(v)
    return np.array(values)


@st.composite
def scheduled_setups(draw: st.DrawFn, multi: bool = False):
    setup, prices, step, policy = draw(setups(multi=multi))
    n_points = prices.shape[1]
    asset = draw(st.sampled_from(setup.book.assets))
    lt = lt_path(draw, n_points)
    lb = draw(st.one_of(st.floats(0.0, 0.15), st.just(None)))
    if lb is None:
        lb = np.clip(np.cumsum(draw(st.lists(st.sampled_from([0.0, 0.0, 0.005, -0.005, 0.02]), min_size=n_points,
                                             max_size=n_points))) + 0.05, 0.0, 0.2)  # fmt: skip
    if draw(st.booleans()):  # duplicate positions: equal liquidation prices put the walk's order to the test
        b = setup.book
        k = max(1, len(b) // 2)
        book = LoanBook(
            b.assets,
            np.vstack([b.collateral, b.collateral[:k]]),
            np.concatenate([b.debt, b.debt[:k]]),
            np.vstack([b.lt, b.lt[:k]]),
            np.vstack([b.lb, b.lb[:k]]),
        )
        setup = replace(setup, book=book)
    return replace(setup, schedule=ParamSchedule(asset, lt=lt, lb=lb)), prices, step, policy


@examples(45)
@given(scheduled_setups())
def test_fast_engines_equal_reference_under_a_schedule(case) -> None:
    setup, prices, step, policy = case
    ref = run_engine(setup, prices, step, policy, engine="reference")
    assert_same(run_engine(setup, prices, step, policy), ref)
    assert_same(run_engine(setup, prices, step, policy, engine="general"), ref)


@examples(20)
@given(scheduled_setups(multi=True))
def test_general_kernel_equals_reference_multi_collateral_under_a_schedule(case) -> None:
    setup, prices, step, policy = case
    assert_same(run_engine(setup, prices, step, policy), run_engine(setup, prices, step, policy, engine="reference"))


@examples(5)
@given(scheduled_setups())
def test_interpreted_kernels_equal_compiled_under_a_schedule(case) -> None:
    setup, prices, step, policy = case
    compiled = run_engine(setup, prices, step, policy)
    assert_same(run_engine(setup, prices, step, policy, use_numba=False), compiled)
    assert_same(run_engine(setup, prices, step, policy, engine="general", use_numba=False), compiled)


# ------------------------------------------------------------------------- constant schedule == none


def crash_setup(book: LoanBook, **kw) -> SimSetup:
    return SimSetup(
        book,
        [depth_table([1e6, 1e7, 5e7], [0.002, 0.01, 0.05]).stressed(0.2)] * book.n_assets,
        oracle=OracleModel(heartbeat=3600, deviation=0.005, delay=300),
        liquidators=LiquidatorModel(latency=600, capacity=2e6, gas_asset=0, gas_gwei=80.0),
        **kw,
    )


def assert_identical(a, b) -> None:
    for name in FIELDS:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name


@pytest.mark.parametrize("engine", ["fast", "general", "reference"])
def test_constant_schedule_equals_no_schedule_bit_for_bit(engine: str) -> None:
    book = synthetic_book(assets=["ETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=400, debt_total=5e7, seed=4)
    prices = GBM(["ETH"], 2000.0, sigma=2.0, mu=-600.0, step=300).simulate(4 if engine == "reference" else 40, 96,
                                                                         np.random.default_rng(5))  # fmt: skip
    plain = run_engine(crash_setup(book), prices, 300, engine=engine)
    assert plain.liquidations.sum() > 50 and plain.bad_debt.sum() > 0  # the case does real work
    for schedule in (
        ParamSchedule("ETH", lt=0.83, lb=0.05),
        ParamSchedule("ETH", lt=np.full(200, 0.83), lb=np.full(97, 0.05)),
        ParamSchedule("ETH"),  # keeps the book's (uniform) values
    ):
        assert_identical(run_engine(crash_setup(book, schedule=schedule), prices, 300, engine=engine), plain)


def test_constant_schedule_equals_no_schedule_multi_collateral() -> None:
    rng = np.random.default_rng(2)
    n = 120
    coll = np.column_stack([rng.uniform(0.5, 20.0, n), rng.uniform(0.0, 0.4, n) * (rng.random(n) < 0.6)])
    debt = (coll * [2000.0, 30000.0]).sum(axis=1) * 0.8 / rng.uniform(1.0, 1.4, n)
    book = LoanBook(["ETH", "BTC"], coll, debt, [[0.83, 0.78]], [[0.05, 0.07]])
    prices = GBM(["ETH", "BTC"], [2000.0, 30000.0], sigma=1.5, mu=-30.0, step=300).simulate(8, 72, rng)
    for engine in ("fast", "reference"):
        plain = run_engine(crash_setup(book), prices, 300, engine=engine)
        assert plain.liquidations.sum() > 10
        for asset, lt, lb in (("ETH", 0.83, 0.05), ("BTC", 0.78, 0.07)):
            sched = crash_setup(book, schedule=ParamSchedule(asset, lt=lt, lb=lb))
            assert_identical(run_engine(sched, prices, 300, engine=engine), plain)


# ------------------------------------------------------------------------------------ hand-checked rules


def one_eth(d: float, schedule: ParamSchedule, latency: int = 0, **kw) -> SimSetup:
    liq = LiquidatorModel(latency=latency, capacity=1e12, gas_units=0.0)
    return replace(one_position(1.0, d, lt=0.8, lb=0.05, liquidators=liq, **kw), schedule=schedule)


def first_liquidation(setup: SimSetup, prices: np.ndarray, engine: str) -> int | None:
    """The step of the first liquidation (from runs on growing prefixes of the path)."""
    for t in range(1, prices.shape[1]):
        if run_engine(setup, prices[:, : t + 1], 60, engine=engine).liquidations[0]:
            return t
    return None


@pytest.mark.parametrize("engine", ["fast", "general", "reference"])
def test_an_lt_cut_liquidates_from_its_step_after_the_latency(engine: str) -> None:
    # 1 ETH at a flat 1,000 against 700 of debt: HF 1.14 at LT 0.8, 0.857 at LT 0.6 (cut at step 3)
    prices = path(*[1000.0] * 8)
    lt = [0.8, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6, 0.6]
    assert first_liquidation(one_eth(700.0, ParamSchedule("ETH", lt=lt)), prices, engine) == 3
    # liquidators 2 minutes behind: HF < 1 must hold over steps 3..5 — the cut is not backdated
    assert first_liquidation(one_eth(700.0, ParamSchedule("ETH", lt=lt), latency=120), prices, engine) == 5
    assert first_liquidation(one_eth(700.0, ParamSchedule("ETH", lt=0.8)), prices, engine) is None


@pytest.mark.parametrize("engine", ["fast", "general", "reference"])
def test_raising_lt_ends_eligibility(engine: str) -> None:
    # liquidatable at LT 0.8 from step 1 (price 850: liquidation price 875) but liquidators need 3 minutes;
    # LT rises to 0.9 at step 3 (liquidation price 778): never liquidated. Without the rise: at step 4.
    prices = path(1000.0, 850.0, 850.0, 850.0, 850.0, 850.0)
    up = ParamSchedule("ETH", lt=[0.8, 0.8, 0.8, 0.9, 0.9, 0.9])
    assert first_liquidation(one_eth(700.0, up, latency=180), prices, engine) is None
    assert first_liquidation(one_eth(700.0, ParamSchedule("ETH", lt=0.8), latency=180), prices, engine) == 4


@pytest.mark.parametrize("engine", ["fast", "general", "reference"])
def test_the_bonus_paid_is_the_steps(engine: str) -> None:
    # HF at 800 = 0.8·800/700 = 0.914 → close factor 100 %: repay 700, seize 700·(1+LB_t)/800 ETH
    prices = path(1000.0, 1000.0, 800.0)
    for lb in (0.05, 0.08):
        sched = ParamSchedule("ETH", lt=0.8, lb=[0.05, 0.05, lb])
        out = run_engine(one_eth(700.0, sched), prices, 60, engine=engine)
        assert out.repaid[0] == pytest.approx(700.0)
        assert out.volume[0] == pytest.approx(700.0 * (1.0 + lb))  # seized, valued at the oracle


def test_close_factor_follows_the_steps_health_factor() -> None:
    # at 890 and LT 0.8: HF = 0.8·890/700 = 1.017 (safe); LT cut to 0.76 → HF 0.966 → 50 %; to 0.74 → 0.941 → 100 %
    # (the $2,000 and dust rules off, so that only the health factor decides)
    prices = path(1000.0, 890.0)
    rule = CloseFactorRule(0.5, 0.95, 0.0, 0.0)
    for lt, repaid in ((0.76, 350.0), (0.74, 700.0)):
        for engine in ("fast", "reference"):
            setup = one_eth(700.0, ParamSchedule("ETH", lt=[0.8, lt]), close_factor=rule)
            assert run_engine(setup, prices, 60, engine=engine).repaid[0] == pytest.approx(repaid), (lt, engine)


def test_sorted_kernel_on_a_large_book_under_a_moving_lt() -> None:
    """The sorted walk (no re-sort, keys in the first step's scale) finds exactly the positions the general kernel
    finds by examining every position every step: 20,000 positions, LT stepping down and partly back up."""
    book = synthetic_book(assets=["ETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=20_000, debt_total=1e9, seed=1)
    n_steps = 96
    lt = np.concatenate([np.linspace(0.83, 0.70, 60), np.full(37, 0.76)])
    setup = crash_setup(book, schedule=ParamSchedule("ETH", lt=lt, lb=0.06))
    prices = GBM(["ETH"], 2000.0, sigma=1.0, mu=-10.0, step=300).simulate(4, n_steps, np.random.default_rng(1))
    fast = Engine(setup, 300)
    assert fast.kind == "sorted"
    out = fast.run(prices)
    assert_same(out, Engine(setup, 300, engine="general").run(prices))
    assert out.reached.min() > 0 and out.reached.max() < len(book) and out.liquidations.min() > 100


def test_schedule_errors_are_clear() -> None:
    book = LoanBook(["ETH"], [[1.0], [2.0]], [500.0, 900.0], [[0.8], [0.75]], [[0.05], [0.05]])
    curve = [constant_product(1e9)]
    with pytest.raises(SolvencyInputError, match="not in the book"):
        SimSetup(book, curve, schedule=ParamSchedule("BTC", lt=0.8))
    with pytest.raises(SolvencyInputError, match="differs between positions"):
        SimSetup(book, curve, schedule=ParamSchedule("ETH", lb=0.05))
    with pytest.raises(SolvencyInputError, match=r"in \(0, 1\).*point 1"):
        ParamSchedule("ETH", lt=[0.8, 83.0])
    with pytest.raises(SolvencyInputError, match=r"lb must be in \[0, 1\)"):
        ParamSchedule("ETH", lt=0.8, lb=[0.05, float("nan")])
    with pytest.raises(SolvencyInputError, match="1-d"):
        ParamSchedule("ETH", lt=[[0.8]])
    setup = SimSetup(book, curve, schedule=ParamSchedule("ETH", lt=[0.8, 0.8], lb=0.05))
    with pytest.raises(SolvencyInputError, match="has 2 points, the path 3"):
        run_engine(setup, path(1000.0, 900.0, 800.0), 60)
    assert ParamSchedule("ETH", lt=[0.8, 0.7, 0.7], lb=0.05).describe()["lt"] == {
        "start": 0.8, "end": 0.7, "min": 0.7, "max": 0.8, "changes": 1,
    }  # fmt: skip
