"""The planner: optimality of ``optimized`` against exhaustive search, and the rules every chunk obeys."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from solvency.config import MarketSpec
from solvency.errors import SolvencyInputError
from solvency.liquidation import POLICY_NAMES, plan_liquidations
from solvency.liquidation.plan import PLAN_KEYS, plan_from_arrays
from solvency.market.liquidity import constant_product, depth_table, power_law
from solvency.sim.book import LoanBook, synthetic_book
from solvency.sim.mechanics import CloseFactorRule
from tests.liquidation.bruteforce import best_schedule, objective
from tests.liquidation.rules import State, apply, violations

NO_DUST = CloseFactorRule(min_leftover=0.0)
STEP = 300


def _book(debts: list[float], hfs: list[float], lt: float, lb: float, price: float) -> LoanBook:
    debt = np.asarray(debts, dtype="float64")
    coll = np.asarray(hfs) * debt / lt / price
    return LoanBook(("WETH",), coll[:, None], debt, lt, lb)


def tiny(positions: st.SearchStrategy[int], steps: st.SearchStrategy[int]) -> st.SearchStrategy[tuple]:
    """Books of ``positions`` positions whose plan takes exactly ``steps`` steps (capacity or depth binding)."""

    def build(n: int, k: int) -> st.SearchStrategy[tuple]:
        lo, hi = 1.0 / k, (1.0 / (k - 1) if k > 1 else 1.5)
        return st.tuples(
            st.lists(st.floats(2e3, 2e6), min_size=n, max_size=n),  # debts
            st.lists(st.floats(0.55, 0.9995), min_size=n, max_size=n),  # health factors
            st.sampled_from([(0.83, 0.05), (0.78, 0.05), (0.68, 0.07), (0.93, 0.02)]),
            st.floats(0.2, 3.0),  # volatility
            st.floats(lo + 0.01 * (hi - lo), hi - 0.01 * (hi - lo)),  # per-step amount / total allowance
            st.sampled_from(["capacity", "depth"]),
        )

    return st.tuples(positions, steps).flatmap(lambda nk: build(*nk))


def _require(condition: bool, in_hypothesis: bool) -> None:
    if in_hypothesis:
        assume(condition)
    else:
        assert condition


def _check_optimal(case: tuple, max_steps: int, *, record: bool = True) -> None:
    debts, hfs, (lt, lb), sigma, share, binding = case
    price = 2000.0
    book = _book(debts, hfs, lt, lb, price)
    curve = power_law(0.01, 0.6)
    probe = plan_from_arrays(
        book,
        prices=[price],
        sigma=[sigma],
        curves=[curve],
        step=STEP,
        capacity=1e12,
        policy="optimized",
        close_factor=NO_DUST,
    )
    total = float(probe.positions["allowance"].sum())
    _require(total > 0, record)
    depth_repay = curve.size_at_impact(lb / (1 + lb)) / (1 + lb)
    if binding == "capacity":
        capacity = share * total
        curve_used = curve.stressed(max(1.0, 2 * capacity / depth_repay))  # depth never binds
    else:
        capacity = 10 * total
        curve_used = curve.stressed(share * total / depth_repay)  # depth binds at share × total
    per_step = min(capacity, curve_used.size_at_impact(lb / (1 + lb)) / (1 + lb))
    plans = {
        p: plan_from_arrays(
            book,
            prices=[price],
            sigma=[sigma],
            curves=[curve_used],
            step=STEP,
            capacity=capacity,
            policy=p,
            close_factor=NO_DUST,
        )
        for p in POLICY_NAMES
    }
    opt = plans["optimized"]
    _require(1 <= opt.steps <= max_steps, record)
    if record:
        event(f"{len(debts)} positions, {opt.steps} steps")
    pos = opt.positions
    phi0, slope = pos["expected_loss_untouched"].to_numpy(), pos["slope"].to_numpy()
    horizon = float(opt.settings.horizon)
    best, schedule = best_schedule(pos["allowance"].to_numpy(), slope, per_step, opt.steps, phi0, STEP, horizon)
    scale = max(1.0, float(phi0.sum()))
    for name, plan in plans.items():
        chunks = list(zip(plan.chunks["index"], plan.chunks["step"], plan.chunks["repay"], strict=True))
        # the reported figure is the model's expected bad debt, integrated state by state
        assert plan.expected_bad_debt == pytest.approx(objective(phi0, slope, chunks, STEP, horizon), abs=1e-9 * scale)
        assert plan.expected_bad_debt >= best - 1e-9 * scale, name
    assert opt.expected_bad_debt == pytest.approx(best, abs=1e-9 * scale)
    assert objective(phi0, slope, schedule, STEP, horizon) == pytest.approx(best, abs=1e-9 * scale)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(case=tiny(st.integers(1, 8), st.integers(1, 3)))
def test_optimized_equals_exhaustive_search(case: tuple) -> None:
    _check_optimal(case, max_steps=3)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(case=tiny(st.integers(5, 8), st.just(4)))
def test_optimized_equals_exhaustive_search_four_steps(case: tuple) -> None:
    _check_optimal(case, max_steps=4)


def test_optimized_equals_exhaustive_search_eight_positions_four_steps() -> None:
    rng = np.random.default_rng(8)
    for binding in ("capacity", "depth"):
        case = (list(rng.uniform(2e3, 2e6, 8)), list(rng.uniform(0.55, 0.9995, 8)), (0.83, 0.05), 1.2, 0.29, binding)
        _check_optimal(case, max_steps=4, record=False)


def test_exhaustive_search_finds_the_known_better_order() -> None:
    """A hand-made case where health_first is not optimal: the deepest position is insolvent (its liquidation
    only crystallises a loss), so capacity is better spent first on the solvent one about to follow it."""
    price = 2000.0
    book = _book([100_000.0, 100_000.0], [0.70, 0.94], 0.83, 0.05, price)
    curve = power_law(0.01, 0.6).stressed(1e6)
    kwargs = {"prices": [price], "sigma": [2.0], "curves": [curve], "step": STEP, "close_factor": NO_DUST}
    first = plan_from_arrays(book, capacity=1e12, policy="optimized", **kwargs)
    capacity = float(first.positions["allowance"].min()) * 0.9
    hf = plan_from_arrays(book, capacity=capacity, policy="health_first", **kwargs)
    opt = plan_from_arrays(book, capacity=capacity, policy="optimized", **kwargs)
    assert hf.chunks["index"].iloc[0] == 0 and opt.chunks["index"].iloc[0] == 1
    assert opt.expected_bad_debt < hf.expected_bad_debt


# ------------------------------------------------------------------------------------------ every chunk


books = st.tuples(
    st.integers(1, 40),  # positions
    st.integers(0, 10_000),  # seed
    st.floats(0.55, 0.99),  # price as a share of the start price (the crash)
    st.floats(0.003, 0.5),  # capacity per step, as a share of the book's debt
    st.floats(0.05, 2.0),  # depth multiplier
    st.sampled_from(["depth_table", "power_law", "constant_product"]),
    st.booleans(),  # two assets
    st.booleans(),  # per-position bonuses
)


def _curve(kind: str):  # type: ignore[no-untyped-def]
    if kind == "depth_table":
        return depth_table([1e6, 1e7, 5e7, 1e8, 2.5e8], [0.001, 0.005, 0.02, 0.04, 0.10])
    if kind == "power_law":
        return power_law(0.004, 0.7)
    return constant_product(3e7)


@settings(max_examples=60, deadline=None)
@given(case=books, policy=st.sampled_from(POLICY_NAMES))
def test_every_chunk_respects_the_rules_capacity_and_depth(case: tuple, policy: str) -> None:
    n, seed, fall, share, depth, kind, two, mixed_lb = case
    rng = np.random.default_rng(seed)
    debt_total = float(rng.uniform(1e5, 5e8))
    capacity = share * debt_total
    assets = ["WETH", "WBTC"] if two else ["WETH"]
    start = np.array([2000.0, 60_000.0][: len(assets)])
    book = synthetic_book(
        assets=assets,
        prices=start,
        lt=[0.83, 0.78][: len(assets)],
        lb=[0.05, 0.06][: len(assets)],
        positions=n,
        debt_total=debt_total,
        seed=seed,
        hf_min=1.0,
        hf_median=1.15,
        hf_dispersion=0.8,
    )
    if mixed_lb:
        book = LoanBook(
            book.assets, book.collateral, book.debt, book.lt, rng.choice([0.03, 0.05, 0.075], size=book.lb.shape)
        )
    prices = start * fall
    curves = [_curve(kind).stressed(depth) for _ in assets]
    plan = plan_from_arrays(
        book, prices=prices, sigma=[0.9] * len(assets), curves=curves, step=STEP, capacity=capacity, policy=policy
    )
    chunks = plan.chunks
    rows = plan.positions
    # capacity per step
    per_step = chunks.groupby("step")["repay"].sum()
    assert (per_step <= capacity * (1 + 1e-9)).all()
    # the close-factor and dust rules, chunk by chunk on the position's state
    states = {
        int(k): State(float(r.collateral_value), float(r.debt), 0.0, 0.0) for k, r in enumerate(rows.itertuples())
    }
    live = np.flatnonzero((book.debt > 0) & (book.health_factor(prices) < 1))
    for k, i in enumerate(live):
        a = int(book.primary_asset[i])
        states[k].lt, states[k].lb = float(book.lt[i, a]), float(book.lb[i, a])
    for row in chunks.itertuples():
        s = states[int(row.index)]
        assert not violations(s, float(row.repay)), (row, s, violations(s, float(row.repay)))
        assert float(row.seize) == pytest.approx(float(row.repay) * (1 + s.lb) / prices[assets.index(row.asset)])
        states[int(row.index)] = apply(s, float(row.repay))
    # depth: within a step each asset's sales stay below the size whose impact is the bonus break-even,
    # so every chunk's average slippage is within its bonus
    for (step, asset), group in chunks.groupby(["step", "asset"]):
        curve = curves[assets.index(asset)]
        sold = 0.0
        for row in group.itertuples():
            bonus = states[int(row.index)].lb
            q = float(row.repay) * (1 + bonus)
            budget = curve.size_at_impact(bonus / (1 + bonus))
            assert sold + q <= budget * (1 + 1e-9) + 1e-6, (step, asset)
            slip = float(curve.cost(sold + q)) - float(curve.cost(sold))
            assert float(row.expected_slippage) == pytest.approx(slip, rel=1e-9, abs=1e-9)
            assert slip <= q * bonus / (1 + bonus) * (1 + 1e-9) + 1e-9
            sold += q
    assert plan.total_slippage == pytest.approx(float(chunks["expected_slippage"].sum()))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 1000), c1=st.floats(1e5, 2e7), factor=st.floats(1.0, 5.0))
def test_more_capacity_never_raises_optimized_bad_debt(seed: int, c1: float, factor: float) -> None:
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=80, seed=seed)
    kwargs = {
        "prices": [1600.0],
        "sigma": [1.0],
        "curves": [power_law(0.004, 0.7)],
        "step": STEP,
        "policy": "optimized",
        "close_factor": NO_DUST,
        "horizon": 86_400,
    }
    low = plan_from_arrays(book, capacity=c1, **kwargs)
    high = plan_from_arrays(book, capacity=c1 * factor, **kwargs)
    assert high.expected_bad_debt <= low.expected_bad_debt * (1 + 1e-12) + 1e-9


# ------------------------------------------------------------------------------------------ interface


@pytest.fixture
def book_csv(tmp_path):  # type: ignore[no-untyped-def]
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=300, seed=4, debt_total=5e7)
    path = tmp_path / "book.csv"
    book.to_frame().to_csv(path, index=False)
    return path


def test_plan_contract_and_csv_book(book_csv) -> None:  # type: ignore[no-untyped-def]
    plan = plan_liquidations(book_csv, price=1650.0, sigma=0.7, capacity=1e6, policy="optimized")
    out = plan.to_dict()
    assert set(out) == {"policy", "plan", "expected_bad_debt", "total_slippage"}
    assert out["policy"] == "optimized" and out["plan"]
    assert all(set(c) == set(PLAN_KEYS) for c in out["plan"])
    assert [c["order"] for c in out["plan"]] == list(range(len(out["plan"])))
    steps = [c["step"] for c in out["plan"]]
    assert steps == sorted(steps)
    assert 0 < out["expected_bad_debt"] <= plan.untouched_bad_debt
    assert "liquidatable positions" in plan.summary()


def test_plan_uses_the_market_spec_and_price_history(book_csv) -> None:  # type: ignore[no-untyped-def]
    from solvency.data.sample import sample_prices

    history = sample_prices("1d")
    scale = 1650.0 / float(history["close"].iloc[-1])
    history = history * scale
    plan = plan_liquidations(book_csv, prices=history, policy="health_first")
    assert plan.settings.prices[0] == pytest.approx(1650.0)
    from solvency.market.volatility import volatility

    assert plan.settings.sigma[0] == pytest.approx(volatility(history).sigma_annual)
    spec = MarketSpec()
    assert plan.settings.capacity == pytest.approx(spec.liquidators.capacity_per_step)
    # capacity is per [sim] step: a 1-minute plan gets a fifth of the 5-minute capacity
    short = plan_liquidations(book_csv, prices=history, policy="health_first", step="1m")
    assert short.settings.capacity == pytest.approx(spec.liquidators.capacity_per_step / 5)


def test_nothing_to_liquidate() -> None:
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=50, seed=1)
    plan = plan_liquidations(book, price=2500.0, sigma=0.5)
    assert plan.to_dict() == {"policy": "risk_weighted", "plan": [], "expected_bad_debt": 0.0, "total_slippage": 0.0}
    assert plan.steps == 0


def test_bad_inputs_are_named() -> None:
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=50, seed=1)
    with pytest.raises(SolvencyInputError, match="unknown liquidation policy"):
        plan_liquidations(book, price=1500.0, policy="fifo")
    with pytest.raises(SolvencyInputError, match="not both"):
        plan_liquidations(book, price=1500.0, prices=pd.DataFrame({"close": [1.0]}))
    with pytest.raises(SolvencyInputError, match="positive"):
        plan_liquidations(book, price=-3.0, sigma=0.5)
    with pytest.raises(SolvencyInputError, match="capacity"):
        plan_liquidations(book, price=1500.0, sigma=0.5, capacity=0.0)
    with pytest.raises(SolvencyInputError, match="depth"):
        plan_liquidations(book, price=1500.0, sigma=0.5, depth=math.nan)
    multi = synthetic_book(
        assets=["WETH", "WBTC"], prices=[2000.0, 6e4], lt=0.8, lb=0.05, positions=50, seed=1, multi_collateral_share=1.0
    )
    with pytest.raises(SolvencyInputError, match="several collateral assets"):
        plan_liquidations(multi, price=[1000.0, 3e4], sigma=0.5)


def test_risk_weighted_key_is_the_loss_avoided() -> None:
    """Key = expected loss when reached (a put, valued independently) minus the loss crystallised now."""
    from solvency.pricing.black import black_scholes
    from solvency.units import SECONDS_PER_YEAR

    price, lt, lb, sigma = 2000.0, 0.83, 0.05, 1.5
    # same size; one already insolvent, one about to be, one far from it
    book = _book([1e6, 1e6, 1e6], [0.80, 0.88, 0.99], lt, lb, price)
    plan = plan_from_arrays(
        book,
        prices=[price],
        sigma=[sigma],
        curves=[power_law(0.001, 0.5)],
        step=STEP,
        capacity=1e5,
        policy="risk_weighted",
    )
    assert plan.chunks["index"].iloc[0] == 1  # the solvent one about to cross goes first
    rows = plan.positions
    wait = max(1.0, (3e6 - 1e6) / 1e5)  # steps until reached if passed over: the rest of the queue
    s = sigma * math.sqrt(wait * STEP / SECONDS_PER_YEAR)
    value = rows["collateral_value"].to_numpy()
    put = black_scholes("put", value / (1 + lb), 1e6, 1.0, s).price
    now = np.maximum(1e6 - value / (1 + lb), 0.0)
    assert np.allclose(rows["key"].to_numpy(), put - now, rtol=1e-9, atol=1e-6)
