"""Each figure plots the run's own numbers (taken from the results, never recomputed)."""

from __future__ import annotations

from typing import Any

import pytest

from solvency.report import figures

pytestmark = pytest.mark.xdist_group("demo")


def _trace(fig: Any, name: str) -> Any:
    return next(t for t in fig.data if t.name == name)


def test_price_and_regimes(demo_run: dict[str, Any]) -> None:
    m = demo_run["doc"]["sections"]["market"]
    fig = figures.price_regimes(m)
    assert list(_trace(fig, "close").y) == m["series"]["close"]
    strip = _trace(fig, "regime")
    levels = ["calm", "normal", "stressed", "crisis"]
    rules = [None if v is None else levels[v] for v in strip.z[0]]
    assert rules == m["series"]["regime"]
    assert len(strip.x) == len(m["series"]["time"])


def test_volatility_forecast_vs_realized(demo_run: dict[str, Any]) -> None:
    m = demo_run["doc"]["sections"]["market"]
    f = m["forecast"]
    fig = figures.vol_forecast(m)
    assert [t.name for t in fig.data][1:] == ["EWMA", "GARCH", "GJR", "HAR"]
    assert list(fig.data[0].y) == [100 * v for v in f["realized"]]
    assert list(_trace(fig, "GARCH").y) == [100 * v for v in f["garch"]]


def test_bad_debt_distribution_and_markers(demo_run: dict[str, Any]) -> None:
    st = demo_run["doc"]["sections"]["stress"]
    fig = figures.bad_debt(st)
    boxes = [t for t in fig.data if t.type == "box"]
    assert [b.name for b in boxes] == list(st["scenarios"])
    for b in boxes:
        assert list(b.y) == [100 * v for v in st["scenarios"][b.name]["bad_debt_paths"]]
    es = _trace(fig, "ES99")
    assert list(es.y) == [100 * st["scenarios"][n]["bad_debt_share"]["es99"] for n in st["scenarios"]]
    assert len(st["replays"]) >= 1 and set(st["conditions"]) == {"current", "congested-2020"}
    for condition in st["conditions"]:
        marks = _trace(fig, f"replay, {condition} operations")
        assert list(marks.y) == [
            100 * r["conditions"][condition]["bad_debt_share"]["mean"] for r in st["replays"].values()
        ]


def test_margin_exceedances(demo_run: dict[str, Any]) -> None:
    p = demo_run["doc"]["sections"]["perp"]
    fig = figures.margin_exceedances(p)
    c = p["cumulative"]
    assert list(_trace(fig, "dynamic margin").y) == c["dynamic"]
    assert c["dynamic"][-1] == p["backtest"]["exceedances"]  # the line ends at the backtest's count
    assert c["static"][-1] == p["backtest"]["static"]["exceedances"]
    hits = _trace(fig, "exceedance")
    assert len(hits.x) == sum(p["zoom"]["exceeded"])


def test_tiers_grid_and_oracle(demo_run: dict[str, Any]) -> None:
    s = demo_run["doc"]["sections"]
    tiers = figures.perp_tiers(s["perp"])
    assert list(_trace(tiers, "IMF").y) == [100 * t["imf"] for t in s["perp"]["calibration"]["tiers"]]
    grid = figures.portfolio_grid(s["portfolio"])
    im = _trace(grid, "− initial margin")
    assert set(im.y) == {-s["portfolio"]["margin"]["initial_margin"]}
    assert min(min(t.y) for t in grid.data if t.name != "− initial margin") == pytest.approx(
        s["portfolio"]["margin"]["worst_scenario"]["pnl"]
    )
    market = next(iter(s["oracle"]["markets"]))
    fig = figures.oracle_timeline(s["oracle"], market)
    t = s["oracle"]["markets"][market]["timeline"]
    assert list(_trace(fig, "ltv").y) == [100 * v for v in t["ltv"]]
    assert list(_trace(fig, "price").y) == t["price"]


def test_lending_figures(demo_run: dict[str, Any]) -> None:
    ln = demo_run["doc"]["sections"]["lending"]
    weth = ln["markets"]["aave-v3-weth"]
    frontier = figures.lt_frontier(ln)
    line = _trace(frontier, "WETH")
    assert list(line.x) == [100 * c["liquidation_threshold"] for c in weth["lt_curve"]]
    assert list(line.y) == [100 * c["bad_debt_es99"] / weth["debt_total"] for c in weth["lt_curve"]]
    star = _trace(frontier, "WETH recommended")
    assert list(star.x) == [100 * weth["liquidation_threshold"]]
    params = figures.lending_params(ln)
    rec = [t for t in params.data if t.name == "recommended"]
    assert [list(t.y) for t in rec][1] == [100 * m["liquidation_threshold"] for m in ln["markets"].values()]
    timeline = figures.transition_timeline(ln)
    lt_first = next(t for t in timeline.data if t.name == "LT")
    assert list(lt_first.y) == [100 * weth["current"]["liquidation_threshold"]] + [
        100 * s["liquidation_threshold"] for s in weth["transition"]
    ]


def test_policy_comparison(demo_run: dict[str, Any]) -> None:
    lq = demo_run["doc"]["sections"]["liquidation"]
    c = lq["comparison"]
    fig = figures.policy_comparison(lq)
    bars = [t for t in fig.data if t.name == "risk weighted"]
    assert len(bars) == 2  # bad debt and slippage
    assert list(bars[0].y) == [
        100 * c["scenarios"][s]["policies"]["risk_weighted"]["bad_debt_mean"] / lq["debt_total"] for s in c["scenarios"]
    ]
    assert set(c["policies"]) == {"health_first", "largest_first", "risk_weighted", "optimized"}
