"""SmartLTV and Morpho Blue's LIF against the reference values in tests/results/lending_baselines.json."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvency.calibrate.baselines import morpho_lif, smart_ltv
from solvency.errors import SolvencyInputError

from ..conftest import RESULTS

REF = json.loads((RESULTS / "lending_baselines.json").read_text())


@pytest.mark.parametrize("case", REF["morpho_lif"]["cases"], ids=lambda c: f"lltv={c['lltv']}")
def test_morpho_lif_reference(case: dict) -> None:
    assert morpho_lif(case["lltv"]) == pytest.approx(case["lif"], abs=REF["morpho_lif"]["tolerance"])


@pytest.mark.parametrize("case", REF["smart_ltv"]["cases"], ids=lambda c: f"sigma={c['sigma']}")
def test_smart_ltv_reference(case: dict) -> None:
    got = smart_ltv(case["sigma"], case["liquidity"], case["debt_cap"], case["bonus"], case["c"])
    assert got == pytest.approx(case["ltv"], abs=REF["smart_ltv"]["tolerance"])


def test_morpho_lif_is_capped_and_vectorized() -> None:
    lltv = np.array([0.3, 0.5, 0.86, 1.0])
    lif = morpho_lif(lltv)
    assert lif[0] == pytest.approx(1.15)  # 1/(0.79) = 1.266 > 1.15: the cap binds
    assert lif[-1] == pytest.approx(1.0)
    assert np.all(np.diff(lif) <= 0)


@given(
    st.floats(0.01, 3.0),
    st.floats(1e3, 1e9),
    st.floats(1e3, 1e9),
    st.floats(0.0, 0.2),
    st.floats(0.01, 1.0),
)
def test_smart_ltv_falls_with_volatility_and_debt(sigma, liq, debt, bonus, c) -> None:
    base = smart_ltv(sigma, liq, debt, bonus, c)
    assert smart_ltv(sigma * 1.1, liq, debt, bonus, c) <= base
    assert smart_ltv(sigma, liq, debt * 1.1, bonus, c) <= base
    assert smart_ltv(sigma, liq * 1.1, debt, bonus, c) >= base
    assert base == pytest.approx(np.exp(-c * sigma * np.sqrt(debt / liq)) - bonus)


@pytest.mark.parametrize("bad", [dict(sigma=-0.1), dict(liquidity=0.0), dict(debt_cap=-1.0), dict(bonus=-0.01)])
def test_smart_ltv_refuses_bad_inputs(bad: dict) -> None:
    args = dict(sigma=0.5, liquidity=1.0, debt_cap=1.0, bonus=0.05, c=0.2) | bad
    with pytest.raises(SolvencyInputError):
        smart_ltv(**args)


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.2, float("nan")])
def test_morpho_lif_refuses_bad_lltv(bad: float) -> None:
    with pytest.raises(SolvencyInputError):
        morpho_lif(bad)
