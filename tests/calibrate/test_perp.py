"""Perp calibration: dYdX v4 OI ramp (their own test cases), monotone tiers, fee, caps, insurance simulation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvency.calibrate.perp import (
    calibrate_perp,
    impact,
    initial_margin_quantums,
    insurance_fund_target,
    liquidation_fee,
    margin_tiers,
    oi_caps,
    oi_ramp_imf,
    oi_ramp_imf_ppm,
    tier_margins,
)
from solvency.config import MarketSpec, PerpSpec
from solvency.data.sample import sample_prices

from ..conftest import RESULTS

CASES = json.loads((RESULTS / "dydx_v4_oimf_cases.json").read_text())


@pytest.mark.parametrize("case", CASES["adjusted_ppm"], ids=lambda c: c["name"])
def test_oi_ramp_matches_dydx_ppm(case) -> None:
    got = oi_ramp_imf_ppm(case["base_ppm"], case["lower"], case["upper"], case["oi"])
    assert got == case["expected_ppm"]


@pytest.mark.parametrize("case", CASES["initial_margin_quantums"], ids=lambda c: c["name"])
def test_initial_margin_matches_dydx(case) -> None:
    ppm = oi_ramp_imf_ppm(case["base_ppm"], case["lower"], case["upper"], case["oi"])
    assert initial_margin_quantums(case["notional"], ppm) == case["expected"]


@given(
    st.integers(1, 999_999),
    st.integers(0, 10**12),
    st.integers(1, 10**12),
    st.integers(0, 3 * 10**12),
)
def test_float_ramp_equals_integer_ramp(base, lower, width, oi) -> None:
    upper = lower + width
    exact = oi_ramp_imf_ppm(base, lower, upper, oi)
    approx = float(oi_ramp_imf(base / 1e6, lower, upper, oi)) * 1e6
    assert exact <= approx + 1e-6 < exact + 1 + 1e-6  # the float formula before dYdX's floor


def test_ramp_edges() -> None:
    assert oi_ramp_imf(0.05, 10.0, 20.0, [0.0, 10.0, 15.0, 20.0, 30.0]).tolist() == [0.05, 0.05, 0.525, 1.0, 1.0]
    assert float(oi_ramp_imf(0.05, 0.0, 0.0, 1e9)) == 0.05


@given(st.floats(0.001, 0.2), st.lists(st.floats(1e3, 1e9), min_size=2, max_size=50))
def test_margin_non_decreasing_in_notional(tail, sizes) -> None:
    spec = PerpSpec()
    tiers = margin_tiers(tail, liquidation_fee(spec), spec)
    sizes = np.sort(np.array(sizes))
    imf, mmf = tier_margins(sizes, tiers)
    assert np.all(np.diff(mmf) >= 0) and np.all(np.diff(imf) >= 0)
    assert np.all(mmf <= imf + 1e-15)
    assert np.all(np.diff(mmf * sizes) >= 0)  # the margin amount too


def test_mmf_decomposition_and_imf() -> None:
    spec = PerpSpec()
    fee = liquidation_fee(spec)
    tiers = margin_tiers(0.02, fee, spec)
    t = tiers[1]
    assert t["mmf"] == pytest.approx(0.02 + float(impact(t["max_notional"], spec)) + fee)
    assert t["imf"] == pytest.approx(t["mmf"] / spec.maintenance_fraction)
    assert spec.liquidation_fee_floor <= fee <= spec.liquidation_fee_cap


def test_oi_caps_close_within_budget() -> None:
    spec = PerpSpec()
    lower, upper = oi_caps(spec)
    assert float(impact(spec.oi_liquidation_share * lower, spec)) == pytest.approx(spec.oi_impact_budget)
    assert upper == pytest.approx(spec.oi_cap_ratio * lower)


def test_insurance_fund_grows_with_leverage_and_is_reproducible() -> None:
    prices = sample_prices("1h").iloc[-24 * 400 :]
    spec = PerpSpec(insurance_paths=300, insurance_positions=100)
    tight = margin_tiers(0.005, 0.001, spec)
    loose = margin_tiers(0.05, 0.001, spec)
    a = insurance_fund_target(prices, tight, open_interest=1e9, coverage=0.99, spec=spec, seed=1)
    b = insurance_fund_target(prices, tight, open_interest=1e9, coverage=0.99, spec=spec, seed=1)
    c = insurance_fund_target(prices, loose, open_interest=1e9, coverage=0.99, spec=spec, seed=1)
    assert a == b
    assert a.target > c.target >= 0 and a.probability > c.probability


def test_calibrate_perp_on_sample() -> None:
    market = MarketSpec()
    market.prices.freq = "4h"
    market.perp.insurance_paths = 200
    out = calibrate_perp(market).to_dict()
    assert set(out) == {
        "imf",
        "mmf",
        "maintenance_fraction",
        "tiers",
        "oi_lower_cap",
        "oi_upper_cap",
        "liquidation_fee",
        "insurance_fund_target",
        "coverage",
    }
    assert 0 < out["mmf"] < out["imf"] < 1 and out["oi_lower_cap"] < out["oi_upper_cap"]
    assert [t["mmf"] for t in out["tiers"]] == sorted(t["mmf"] for t in out["tiers"])
