"""calibrate_lending end to end on small markets: the JSON contract, invariants over random markets, and the
monotonicity the search guarantees (higher σ never raises LT; deeper liquidity never lowers caps or LT)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvency.calibrate.lending import calibrate_lending
from solvency.calibrate.setup import prepare
from solvency.errors import SolvencyInputError
from solvency.sim.book import synthetic_book

from ._lending_support import tiny_spec

KEYS = {
    "market", "asset", "ltv", "liquidation_threshold", "liquidation_bonus", "close_factor", "supply_cap",
    "borrow_cap", "invariants", "risk", "baselines", "sensitivity", "transition",
}  # fmt: skip
RISK = {"bad_debt_es99", "bad_debt_var95", "lar95", "prob_bad_debt"}
STEP = {"step", "after_days", "ltv", "liquidation_threshold", "liquidation_bonus", "newly_liquidatable_collateral"}


def stressed(**overrides):
    """A tiny market where the budget binds: a wild asset (sample returns × 2.5) and a tight budget."""
    base = {"prices__sample_vol_multiplier": 2.5, "risk__budget": 0.0005, "sim__start_price": 3000.0}
    return tiny_spec(**(base | overrides))


@pytest.fixture(scope="module")
def result():
    return calibrate_lending(stressed(), lt_curve=[0.7, 0.8, 0.9])


def test_json_contract(result) -> None:
    d = result.to_dict()
    assert set(d) == KEYS
    assert set(d["risk"]) == RISK
    assert {"smart_ltv", "morpho_lif", "current"} <= set(d["baselines"])
    assert {"sigma", "depth", "frontier", "lt_curve"} <= set(d["sensitivity"])
    assert d["transition"] and all(set(s) >= STEP for s in d["transition"])
    assert [p["multiplier"] for p in d["sensitivity"]["sigma"]["points"]] == [0.75, 1.25, 1.5]
    assert [p["multiplier"] for p in d["sensitivity"]["depth"]["points"]] == [0.5, 2.0]
    assert "83.00%" in d["baselines"]["current"]["comparison"]


def test_recommendation_is_consistent(result) -> None:
    p = result.params
    assert 0 < p.ltv < p.liquidation_threshold and p.liquidation_threshold * (1 + p.liquidation_bonus) < 1
    assert result.lt_binding == "budget"  # the test market is built so that the budget binds
    assert result.frontier.lt_at(result.sigma) == pytest.approx(p.liquidation_threshold, abs=1e-6)
    assert result.search_exact
    # the LT curve at today's σ: bad debt rises with LT and the recommendation sits where the budget is reached
    es = [ev.es99 for ev in result.lt_curve]
    assert es == sorted(es)
    assert result.risk.es99 <= 1.05 * result.budget * result.debt_total
    sig = [pt["liquidation_threshold"] for pt in result.sensitivity["sigma"]["points"]]
    assert sig[0] >= p.liquidation_threshold - 1e-6 >= sig[1] - 1e-6 and sig[1] >= sig[2]


def test_same_seed_same_answer() -> None:
    a = calibrate_lending(stressed(), depth_sensitivity=False).to_dict()
    b = calibrate_lending(stressed(), depth_sensitivity=False).to_dict()
    assert a == b


markets = st.fixed_dictionaries(
    {
        "prices__sample_vol_multiplier": st.sampled_from([0.75, 1.5, 2.5, 3.5]),
        "risk__budget": st.sampled_from([0.0002, 0.001, 0.005]),
        "book__hf_median": st.sampled_from([1.3, 1.6, 2.2]),
        "book__whale_share": st.sampled_from([0.0, 0.2, 0.5]),
        "book__seed": st.integers(0, 50),
        "liquidity__stress_multiplier": st.sampled_from([0.2, 0.5, 1.0]),
    }
)
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(markets)
def test_invariants_hold_for_every_recommendation(m: dict) -> None:
    r = calibrate_lending(stressed(**m), depth_sensitivity=False)
    inv = r.invariants()
    assert inv["ltv_positive"] and inv["ltv_below_lt"] and inv["lt_times_one_plus_lb_below_one"]
    assert inv["caps_positive"]
    assert all(math.isfinite(v) for v in r.params.to_dict().values())
    for s in r.transition:
        assert s.ltv < s.liquidation_threshold


@SLOW
@given(markets, st.sampled_from([1.2, 1.6, 2.5]))
def test_higher_sigma_never_raises_lt(m: dict, k: float) -> None:
    low = calibrate_lending(stressed(**m), depth_sensitivity=False)
    high_m = m | {"prices__sample_vol_multiplier": m["prices__sample_vol_multiplier"] * k}
    high = calibrate_lending(stressed(**high_m), depth_sensitivity=False)
    assert high.sigma > low.sigma
    assert high.params.liquidation_threshold <= low.params.liquidation_threshold
    assert high.params.ltv <= low.params.ltv


def _scaled(spec, depth: float):
    """``spec`` with every size of its depth table × ``depth``: the same market with deeper liquidity."""
    spec.liquidity.sizes = [x * depth for x in spec.liquidity.sizes]
    return spec


def _deeper(m: dict, depth: float, **extra):
    shallow, deep = stressed(**(m | extra)), _scaled(stressed(**(m | extra)), depth)
    return calibrate_lending(shallow, depth_sensitivity=False), calibrate_lending(deep, depth_sensitivity=False)


def _assert_no_worse_when_deeper(a, b) -> None:
    """``b`` is ``a``'s market with deeper liquidity: LT, LTV and both caps never lower, the bonus never higher."""
    assert b.sensitivity["depth"]["depth"] > a.sensitivity["depth"]["depth"]
    assert b.params.liquidation_threshold >= a.params.liquidation_threshold
    assert b.params.ltv >= a.params.ltv
    assert b.params.supply_cap >= a.params.supply_cap * (1 - 1e-9)
    assert b.params.borrow_cap >= a.params.borrow_cap * (1 - 1e-9)
    assert b.params.liquidation_bonus <= a.params.liquidation_bonus + 1e-12


@SLOW
@given(markets, st.sampled_from([1.3, 2.0, 4.0]), st.sampled_from([None, 0.03]))
def test_deeper_liquidity_never_lowers_caps_or_lt(m: dict, depth: float, bonus: float | None) -> None:
    """The issue's property over random markets: every size of the depth table × ``depth`` (within one ladder
    bracket, or across one or two), with the bonus calibrated or held fixed."""
    a, b = _deeper(m, depth, calibration__liquidation_bonus=bonus)
    _assert_no_worse_when_deeper(a, b)


COUNTEREXAMPLES = {
    # Hypothesis found these against the search without the depth ladder (that version kept them as tests), on
    # the stress paths of that time — a diffusion without jumps, with the Student-t ν = 4 volatility mixture, so
    # they are pinned to it (`calibration__jumps`, `calibration__vol_mixture`):
    # twice the depth lowered the needed bonus (2.3 % → 1.6 %) and the thinner margin cost LT ...
    "re-calibrated bonus": ({"prices__sample_vol_multiplier": 1.5, "risk__budget": 0.0002, "book__hf_median": 1.3,
                             "book__whale_share": 0.0, "book__seed": 0, "liquidity__stress_multiplier": 0.2},
                            {"calibration__jumps": "none", "calibration__vol_mixture": "student-t"}),
    # ... and at a fixed 3 % bonus one path's cascade ended with more bad debt in the twice-deeper market.
    "cascade at a fixed bonus": ({"prices__sample_vol_multiplier": 2.5, "risk__budget": 0.0002,
                                  "book__hf_median": 1.6, "book__whale_share": 0.2, "book__seed": 24,
                                  "liquidity__stress_multiplier": 0.2},
                                 {"calibration__liquidation_bonus": 0.03, "calibration__jumps": "none",
                                  "calibration__vol_mixture": "student-t"}),
}  # fmt: skip


@pytest.mark.parametrize("case", list(COUNTEREXAMPLES))
def test_the_former_counterexamples_come_out_monotone(case: str) -> None:
    m, extra = COUNTEREXAMPLES[case]
    a, b = _deeper(m, 2.0, **extra)
    _assert_no_worse_when_deeper(a, b)
    # The simulation itself is still not monotone in depth: each market's own curve and bonus searched over σ
    # without the ladder (the former method) gives the deeper market the lower LT ...
    own = [
        prepare(spec, s0=3000.0).frontier(r.frontier.sigmas).lt_at(r.sigma)
        for spec, r in ((stressed(**(m | extra)), a), (_scaled(stressed(**(m | extra)), 2.0), b))
    ]
    assert own[1] < own[0]
    # ... what makes the recommendation monotone is the construction: both markets read the same ladder rows.
    n = min(a.ladder.sigmas.size, b.ladder.sigmas.size)
    common = set(a.ladder.rows) & set(b.ladder.rows)
    assert len(common) >= 2
    for k in common:
        ra, rb = a.ladder.rows[k], b.ladder.rows[k]
        assert ra.lb == rb.lb and np.array_equal(ra.lts[:n], rb.lts[:n])


def test_budget_and_book_inputs() -> None:
    with pytest.raises(SolvencyInputError, match="budget"):
        calibrate_lending(stressed(), budget=1.5)
    book = synthetic_book(assets=["WETH"], prices=[3000.0], lt=0.83, lb=0.05, positions=100, debt_total=1e7, seed=3)
    r = calibrate_lending(stressed(), book=book, depth_sensitivity=False)
    assert r.debt_total == pytest.approx(1e7)
    assert np.isclose(r.current.supply_cap, book.collateral.sum())


@pytest.mark.realdata
@pytest.mark.slow
def test_weth_on_real_eth_data(real_data) -> None:
    """A WETH/USDC market with stated Aave-like liquidity on Binance ETH daily: a recommendation, compared with
    Aave's 83 % in the output (figures and the explanation in benchmarks/RESULTS.md)."""
    from ..conftest import ROOT

    r = calibrate_lending(
        ROOT / "examples" / "markets" / "aave-v3-weth.toml",
        prices=real_data / "daily" / "binance_ETHUSDT_1d.csv",
        depth_sensitivity=False,
    )
    assert r.sigma_info["as_of"].startswith("2026-03")
    assert 0.3 < r.params.liquidation_threshold < 0.95 and r.lt_binding == "budget"
    assert r.budget_met and r.search_exact
    assert "current 83.00%" in r.baselines["current"]["comparison"]
    # the stress paths carry the jump law estimated on ETH hourly data, and the JSON says so
    assert r.sigma_info["jumps"]["source"] == "default"
    assert r.sensitivity["model"]["jumps"]["intensity_per_year"] == pytest.approx(26.44)
    # ... and the volatility mixture measured on ETH (3-day realized over forecast volatility)
    assert r.sigma_info["vol_mixture"]["source"] == "estimated"
    # the higher of the two LTs carries the more bad debt in the same stress, and whichever LT is the lower one is
    # within the budget (with the Student-t mixture Aave's 83 % was above the recommendation and over budget at
    # March 2026's σ; with the measured mixture it is below it, 0.63 × budget at seed 4 — benchmarks/RESULTS.md)
    lt, cur = r.params.liquidation_threshold, r.current.liquidation_threshold
    assert (r.risk_current.es99 >= r.risk.es99) == (cur > lt)
    assert r.budget * r.debt_total >= r.risk.es99
    assert (r.risk_current.es99 > r.budget * r.debt_total) == (cur > lt)
    assert all(r.invariants()[k] for k in ("ltv_below_lt", "lt_times_one_plus_lb_below_one", "caps_positive"))
