"""The demo pipeline on the sample: every section runs, the results are JSON, seeds reproduce, sections agree with
the library called directly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from solvency.calibrate.perp import calibrate_perp
from solvency.jsonutil import dumps
from solvency.report.inputs import load_inputs
from solvency.report.pipeline import Context, DemoSettings, run_demo, sections
from tests.report.conftest import SMALL

pytestmark = pytest.mark.xdist_group("demo")


def test_every_section_ran_and_is_json(demo_run: dict[str, Any]) -> None:
    r = demo_run["results"]
    assert list(r["sections"]) == [s.key for s in sections()]
    assert set(r["timings"]) == {"inputs", *r["sections"]}
    assert r["runtime_s"] >= sum(r["timings"].values()) * 0.99
    doc = json.loads(dumps(r))
    for key, sec in doc["sections"].items():
        assert sec["title"] and isinstance(sec["summary"], dict), key
    assert doc["data"]["mode"] == "sample" and doc["settings"]["stress_paths"] == SMALL.stress_paths


def test_sections_match_the_library(demo_run: dict[str, Any]) -> None:
    s = demo_run["doc"]["sections"]
    inputs = load_inputs(None)
    direct = calibrate_perp(inputs.market("perp-eth"), prices=inputs.hourly, seed=s["perp"]["seed"])
    assert s["perp"]["calibration"]["imf"] == direct.imf
    assert s["perp"]["calibration"]["insurance_fund_target"] == direct.insurance_fund_target
    st = s["stress"]
    for sc in st["scenarios"].values():
        assert sc["paths"] == SMALL.stress_paths and len(sc["bad_debt_paths"]) == SMALL.stress_paths
        assert sc["bad_debt_share"]["es99"] == pytest.approx(sc["bad_debt"]["es99"] / st["debt_total"])
        assert max(sc["bad_debt_paths"]) == pytest.approx(sc["bad_debt_share"]["max"], rel=1e-5)
    o = s["oracle"]
    assert o["updates_total"] == len(o["updates"]) == o["summary"]["updates"]


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    settings = DemoSettings(seed=3, stress_paths=20, scenarios=("may-2021",))
    a = run_demo(settings=settings, only=["stress"])["sections"]["stress"]
    b = run_demo(settings=settings, only=["stress"])["sections"]["stress"]
    c = run_demo(settings=DemoSettings(seed=4, stress_paths=20, scenarios=("may-2021",)), only=["stress"])
    pa, pb = a["scenarios"]["may-2021"]["bad_debt_paths"], b["scenarios"]["may-2021"]["bad_debt_paths"]
    assert pa == pb
    assert c["sections"]["stress"]["scenarios"]["may-2021"]["bad_debt_paths"] != pa


def test_section_seeds_are_distinct_and_stable() -> None:
    ctx = Context(load_inputs(None), DemoSettings(seed=1), lambda *_: None)
    assert ctx.seed("stress") == Context(ctx.inputs, DemoSettings(seed=1), ctx.progress).seed("stress")
    assert len({ctx.seed(k) for k in ("market", "stress", "perp", "portfolio", "oracle")}) == 5
    assert ctx.seed("stress") != Context(ctx.inputs, DemoSettings(seed=2), ctx.progress).seed("stress")


def test_lending_section_keeps_the_invariants_and_the_steward_limits(demo_run: dict[str, Any]) -> None:
    ln = demo_run["doc"]["sections"]["lending"]
    assert list(ln["markets"]) == ["aave-v3-weth", "aave-v3-wbtc", "aave-v3-wsteth", "aave-v3-link"]
    for name, m in ln["markets"].items():
        assert 0 < m["ltv"] < m["liquidation_threshold"] < 1, name
        assert m["liquidation_threshold"] * (1 + m["liquidation_bonus"]) < 1, name
        assert m["supply_cap"] > 0 and m["borrow_cap"] > 0, name
        previous = m["current"]
        for step in m["transition"]:
            for key in ("ltv", "liquidation_threshold", "liquidation_bonus"):
                assert abs(step[key] - previous[key]) <= 0.005 + 1e-9, (name, step)
            assert step["ltv"] < step["liquidation_threshold"]
            previous = step
        if m["transition"]:
            assert m["transition"][-1]["liquidation_threshold"] == pytest.approx(m["liquidation_threshold"])
        lts = [c["liquidation_threshold"] for c in m["lt_curve"]]
        assert lts == sorted(lts) and len(lts) >= 10
