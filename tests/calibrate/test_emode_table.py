"""E-mode from the stETH/ETH depeg; the oracle's target table (read back by TableTargets)."""

from __future__ import annotations

import numpy as np
import pytest

from solvency.calibrate.emode import STETH_ETH_JUNE_2022, calibrate_emode, depeg_shape, realised_vol
from solvency.calibrate.setup import prepare
from solvency.calibrate.table import REGIMES, target_table
from solvency.config import EModeSpec
from solvency.errors import SolvencyInputError
from solvency.oracle.state import MarketState
from solvency.oracle.targets import TableTargets

from ._lending_support import tiny_spec


def test_depeg_path_is_the_june_2022_ratio() -> None:
    shape = depeg_shape()
    assert shape.drawdown == pytest.approx(1 - 0.9367 / 0.9784, rel=1e-9)  # 0.9784 on 06-05 → 0.9367 on 06-15
    assert shape.hours[-1] == 24 * (len(STETH_ETH_JUNE_2022) - 1)
    assert 0.05 < realised_vol(shape) < 0.5
    with pytest.raises(SolvencyInputError):
        depeg_shape((1.0,))


@pytest.fixture(scope="module")
def emode():
    spec = tiny_spec()
    spec.calibration.emode = EModeSpec(positions=300)
    return calibrate_emode(spec, paths=300)


def test_emode_recommendation(emode) -> None:
    d = emode.to_dict()
    assert 0 < d["ltv"] < d["liquidation_threshold"] <= 0.97
    assert d["liquidation_threshold"] * (1 + d["liquidation_bonus"]) <= 0.99 + 1e-12
    assert d["binding"] in ("budget", "lt_max", "lt_times_one_plus_lb")
    assert d["aave_reference"]["liquidation_threshold"] == 0.95
    assert d["depeg"] == pytest.approx(0.0426, abs=1e-3)
    # a market-price oracle on a −4.3 % depeg over ten days: Aave's 95 % takes no bad debt in this model either
    assert d["aave_reference"]["risk"]["bad_debt_es99"] == 0.0


def test_emode_needs_its_section() -> None:
    with pytest.raises(SolvencyInputError, match="emode"):
        calibrate_emode(tiny_spec())


def test_a_hard_depeg_from_a_ratio_file_binds_the_budget(tmp_path) -> None:
    ratio = [1.0] * 6 + [0.80, 0.78, 0.80, 0.83, 0.86, 0.88]  # a −20 % gap within one hour, then a slow recovery
    path = tmp_path / "ratio.csv"
    path.write_text("time,close\n" + "".join(f"2022-06-01T{h:02d}:00:00Z,{r}\n" for h, r in enumerate(ratio)))
    spec = tiny_spec()
    spec.calibration.emode = EModeSpec(positions=300, ratio_file=path)
    hard = calibrate_emode(spec, paths=300)
    assert hard.binding == "budget" and hard.liquidation_threshold < 0.85
    assert hard.depeg == pytest.approx(0.22)
    assert hard.risk_reference.es99 > hard.risk.es99  # Aave's 95 % would take bad debt here


def test_target_table_is_monotone_and_readable(tmp_path) -> None:
    spec = tiny_spec(prices__sample_vol_multiplier=2.5, risk__budget=0.0005)
    setup = prepare(spec, s0=3000.0, paths=300)
    table = target_table(setup, sigmas=[0.3, 0.8, 1.6, 3.2])
    rows = table.rows
    assert {r["regime"] for r in rows} == set(REGIMES) and len(rows) == 16
    by = {(r["regime"], r["sigma"]): r for r in rows}
    for regime in REGIMES:
        lts = [by[(regime, s)]["liquidation_threshold"] for s in (0.3, 0.8, 1.6, 3.2)]
        assert lts == sorted(lts, reverse=True)
    for s in (0.3, 0.8, 1.6, 3.2):
        lts = [by[(r, s)]["liquidation_threshold"] for r in REGIMES]
        lbs = [by[(r, s)]["liquidation_bonus"] for r in REGIMES]
        assert lts == sorted(lts, reverse=True) and lbs == sorted(lbs)
        for r in REGIMES:
            row = by[(r, s)]
            assert 0 < row["ltv"] < row["liquidation_threshold"]
            assert row["liquidation_threshold"] * (1 + row["liquidation_bonus"]) <= 0.99 + 1e-9
    path = table.write(tmp_path / "weth.csv")
    targets = TableTargets.from_file(path)
    state = MarketState(time=0, price=1, sigma=1.2, sigma_short=1, sigma_long=1, drawdown=0, regime="crisis")
    got = targets.targets(state)
    lo, hi = by[("crisis", 0.8)]["liquidation_threshold"], by[("crisis", 1.6)]["liquidation_threshold"]
    assert min(lo, hi) - 1e-6 <= got["liquidation_threshold"] <= max(lo, hi) + 1e-6
    assert np.isclose(TableTargets.from_file(table.write(tmp_path / "weth.json")).targets(state)["ltv"], got["ltv"])
