"""Target models: the interim rule's formulas and monotonicity; the calibrator's table interface."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.errors import ConfigError
from solvency.oracle.config import REGIMES, InterimModelSpec
from solvency.oracle.state import MarketState
from solvency.oracle.targets import InterimTargets, TableTargets, TargetModel

BASE = {"ltv": 0.805, "liquidation_threshold": 0.83, "liquidation_bonus": 0.05, "supply_cap": 1e6}


def st_(sigma: float, regime: str = "normal") -> MarketState:
    return MarketState(
        time=0.0, price=1.0, sigma=sigma, sigma_short=sigma, sigma_long=sigma, drawdown=0.0, regime=regime
    )


def test_interim_by_hand() -> None:
    m = InterimTargets(InterimModelSpec(), BASE)
    out = m.targets(st_(1.0, "stressed"))
    # move = 2.33·1.0·sqrt(2/365)·1.25; LB = 0.05·1.2; LT = exp(−move)/(1+LB); LTV = LT·exp(−0.75·sqrt(1/365))
    move = 2.33 * math.sqrt(2 / 365) * 1.25
    lb = 0.06
    lt = math.exp(-move) / (1 + lb)
    assert out["liquidation_bonus"] == pytest.approx(lb)
    assert out["liquidation_threshold"] == pytest.approx(lt)
    assert out["ltv"] == pytest.approx(lt * math.exp(-0.75 * math.sqrt(1 / 365)))
    assert out["supply_cap"] == pytest.approx(1e6 * 0.75 * 0.8)  # regime 0.75, σ_ref/σ = 0.8
    # the defining property: a liquidation after the move still covers debt plus bonus
    assert out["liquidation_threshold"] * (1 + out["liquidation_bonus"]) == pytest.approx(math.exp(-move))


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 10.0), st.floats(0.05, 10.0), st.sampled_from(REGIMES))
def test_interim_tightens_with_sigma(s1: float, s2: float, regime: str) -> None:
    m = InterimTargets(InterimModelSpec(), BASE)
    lo, hi = sorted((s1, s2))
    a, b = m.targets(st_(lo, regime)), m.targets(st_(hi, regime))
    for p in ("ltv", "liquidation_threshold", "supply_cap"):
        assert b[p] <= a[p] + 1e-15
    assert 0 < b["ltv"] < b["liquidation_threshold"] < 1


def test_interim_tightens_with_regime() -> None:
    m = InterimTargets(InterimModelSpec(), BASE)
    lts = [m.targets(st_(0.9, r))["liquidation_threshold"] for r in REGIMES]
    assert lts == sorted(lts, reverse=True) and lts[-1] < lts[1]


def test_model_satisfies_protocol() -> None:
    assert isinstance(InterimTargets(InterimModelSpec(), BASE), TargetModel)


def table_rows() -> list[dict[str, object]]:
    rows = []
    for i, regime in enumerate(REGIMES):
        for sigma, lt in [(0.4, 0.86), (0.8, 0.83), (2.0, 0.70)]:
            rows.append({"regime": regime, "sigma": sigma, "liquidation_threshold": lt - 0.02 * i, "ltv": lt - 0.05})
    return rows


def test_table_interpolates_in_sigma_flat_beyond() -> None:
    t = TableTargets(table_rows())
    assert t.targets(st_(0.6, "calm"))["liquidation_threshold"] == pytest.approx(0.845)  # halfway 0.86 → 0.83
    assert t.targets(st_(1.4, "crisis"))["liquidation_threshold"] == pytest.approx(0.765 - 0.06)
    assert t.targets(st_(0.1, "normal"))["ltv"] == pytest.approx(0.81)  # flat below the grid
    assert t.targets(st_(9.0, "normal"))["ltv"] == pytest.approx(0.65)  # flat above


def test_table_from_csv_file(tmp_path) -> None:
    path = tmp_path / "targets.csv"
    lines = ["regime,sigma,ltv,liquidation_threshold"]
    lines += [f"{r['regime']},{r['sigma']},{r['ltv']},{r['liquidation_threshold']}" for r in table_rows()]
    path.write_text("\n".join(lines) + "\n")
    t = TableTargets.from_file(path)
    assert t.targets(st_(0.8, "stressed"))["liquidation_threshold"] == pytest.approx(0.79)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([], "empty"),
        ([{"regime": "calm", "sigma": 1, "ltv": 0.8}], "no rows for regime 'normal'"),
        ([{"regime": r, "sigma": 1, "colour": 1} for r in REGIMES], "not parameters"),
        ([{"regime": r, "sigma": 1, "ltv": 0.0} for r in REGIMES], "positive"),
        ([{"regime": r, "sigma": 1, "ltv": 0.8} for r in REGIMES] * 2, "distinct"),
    ],
)
def test_table_rejects_bad_tables(rows, match) -> None:
    with pytest.raises(ConfigError, match=match):
        TableTargets(rows)
