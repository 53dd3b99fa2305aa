"""Portfolio margin: kernel vs reference, a slow per-scenario reference, monotone in notional, file errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.config import MarketSpec, OptionsSpec
from solvency.errors import SolvencyInputError
from solvency.margin.grid import build_grid, vol_multipliers
from solvency.margin.kernel import HAVE_NUMBA, scenario_pnl
from solvency.margin.portfolio import portfolio_margin
from solvency.margin.positions import read_positions
from solvency.pricing.black import black76

NOW = "2026-01-15T08:00:00Z"


def _market(**opts) -> MarketSpec:
    m = MarketSpec()
    m.options = OptionsSpec(spot=3000.0, implied_vol=0.7, price_range=0.15, valuation_time=NOW, **opts)
    return m


def _book(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["instrument", "kind", "strike", "expiry", "quantity"])


def test_kernels_agree() -> None:
    rng = np.random.default_rng(0)
    n = 5000
    sign = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    k = 3000 * np.exp(rng.normal(0, 0.4, n))
    t = rng.uniform(1 / 365 / 24, 2, n)
    v = rng.uniform(0.2, 1.5, n)
    q = rng.normal(0, 5, n)
    acc = rng.integers(0, 7, n)
    g = build_grid(0.16, OptionsSpec())
    mult = vol_multipliers(t * 365, OptionsSpec())
    disc = np.exp(-0.03 * t)
    ref = scenario_pnl(sign, 3000.0, k, t, v, q, acc, 7, g.move, g.vol_state, mult, disc, engine="numpy")
    # slow, obvious reference: one option, one scenario at a time through black76
    slow = np.zeros((7, len(g)))
    for i in range(0, n, 97):
        base = black76(sign[i], 3000.0, k[i], t[i], v[i], 0.03).price
        for j in range(len(g)):
            val = black76(sign[i], 3000.0 * (1 + g.move[j]), k[i], t[i], v[i] * mult[i, g.vol_state[j]], 0.03).price
            slow[acc[i], j] += q[i] * (val - base)
    sub = np.arange(0, n, 97)
    part = scenario_pnl(
        sign[sub],
        3000.0,
        k[sub],
        t[sub],
        v[sub],
        q[sub],
        acc[sub],
        7,
        g.move,
        g.vol_state,
        mult[sub],
        disc[sub],
        engine="numpy",
    )
    assert np.allclose(part, slow, rtol=1e-10, atol=1e-8)
    if HAVE_NUMBA:
        fast = scenario_pnl(sign, 3000.0, k, t, v, q, acc, 7, g.move, g.vol_state, mult, disc, engine="numba")
        assert np.allclose(fast, ref, rtol=1e-9, atol=1e-7 * np.abs(ref).max())


def test_short_strangle_margin_and_attribution() -> None:
    book = _book([("P", "put", 2500, "2026-03-27", -10), ("C", "call", 3500, "2026-03-27", -10)])
    r = portfolio_margin(book, _market())
    assert r.initial_margin > r.short_option_minimum == pytest.approx(0.01 * 3000 * 20)
    assert r.maintenance_margin == pytest.approx(0.8 * r.initial_margin)
    weighted = [-sc["pnl"] * sc["weight"] for sc in r.scenarios]
    assert r.initial_margin == pytest.approx(max(weighted))  # the extended moves count at 30 %
    worst = r.scenarios[int(np.argmax(weighted))]
    assert r.worst_scenario == {k: worst[k] for k in ("price_move", "vol_shock", "pnl")}
    assert r.worst_scenario["vol_shock"] == pytest.approx(0.45)  # short vega: the vol-up scenario hurts
    assert abs(r.worst_scenario["price_move"]) >= 0.15 - 1e-12
    a = r.attribution
    assert a["delta"] + a["gamma"] + a["vega"] + a["residual"] == pytest.approx(r.worst_scenario["pnl"])
    assert r.greeks["vega"] < 0 and r.greeks["gamma"] < 0 and r.greeks["theta"] > 0
    assert len(r.scenarios) == 33


def test_perp_only_margin_is_linear() -> None:
    r = portfolio_margin(_book([("PERP", "perp", "", "", 2.0)]), _market())
    assert r.initial_margin == pytest.approx(2 * 3000 * 0.15)
    assert r.worst_scenario["price_move"] == pytest.approx(-0.15)
    assert r.greeks["delta"] == 2.0


def test_hedge_lowers_margin() -> None:
    naked = _book([("C", "call", 3000, "2026-02-27", -10)])
    hedged = _book([("C", "call", 3000, "2026-02-27", -10), ("PERP", "perp", "", "", 5)])
    assert portfolio_margin(hedged, _market()).initial_margin < portfolio_margin(naked, _market()).initial_margin


@settings(max_examples=30, deadline=None)
@given(st.floats(1.0, 20.0), st.integers(0, 2**31))
def test_margin_non_decreasing_in_notional(scale, seed) -> None:
    rng = np.random.default_rng(seed)
    rows = [
        (f"o{i}", rng.choice(["call", "put"]), float(3000 * np.exp(rng.normal(0, 0.3))), "2026-06-26", rng.normal(0, 5))
        for i in range(6)
    ] + [("PERP", "perp", "", "", float(rng.normal(0, 3)))]
    book = _book(rows)
    bigger = book.assign(quantity=book["quantity"] * scale)
    m = _market()
    assert portfolio_margin(bigger, m).initial_margin >= portfolio_margin(book, m).initial_margin * (1 - 1e-12)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("instrument,kind,strike,expiry\nx,call,1,2026-01-01\n", "missing column"),
        ("instrument,kind,strike,expiry,quantity\nx,straddle,1,2026-06-01,1\n", "row 1.*unknown kind"),
        ("instrument,kind,strike,expiry,quantity\nx,call,1,2026-06-01,1\ny,put,-5,2026-06-01,1\n", "row 2.*strike"),
        ("instrument,kind,strike,expiry,quantity\nx,call,100,,1\n", "needs an expiry"),
        ("instrument,kind,strike,expiry,quantity\nx,call,100,soon,1\n", "cannot parse expiry"),
        ("instrument,kind,strike,expiry,quantity\nx,call,100,2026-06-01,abc\n", "quantity is not a number"),
        ("instrument,kind,strike,expiry,quantity\nx,perp,100,,1\n", "perp has no strike"),
        ("instrument,kind,strike,expiry,quantity\nx,call,100,2026-06-01,nan\n", "finite"),
    ],
)
def test_positions_errors_name_the_row(tmp_path, text, match) -> None:
    path = tmp_path / "book.csv"
    path.write_text(text)
    with pytest.raises(SolvencyInputError, match=match):
        read_positions(path)


def test_expired_option_is_rejected() -> None:
    with pytest.raises(SolvencyInputError, match="expired"):
        portfolio_margin(_book([("C", "call", 3000, "2025-12-26", 1)]), _market())
