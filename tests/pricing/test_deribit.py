"""Real Deribit BTC chain (2025-12-07): implied vols from marks, Greek conventions, the DVOL-style index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from solvency.pricing.black import black76
from solvency.pricing.chain import deribit_chain
from solvency.pricing.implied import implied_vol
from solvency.pricing.vol_index import variance_swap_index

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def chain(real_data) -> pd.DataFrame:
    return deribit_chain(pd.read_parquet(real_data / "options" / "deribit_BTC_option_chains_2025-12-07.parquet"))


def _tolerance(c: pd.DataFrame) -> np.ndarray:
    """Per-row tolerance in vol points: what the file's own rounding and timing can explain.

    mark_iv is rounded to 0.01 (±0.005); mark_price to 1e-6 BTC (±0.5e-6·F USD, divided by vega per vol point);
    mark and underlying_price are sampled moments apart (the same strike's call and put carry forwards up to
    ~1e-4·F apart in this file), worth |delta|·1e-4·F / vega.
    """
    g = black76(c["kind"], c["forward"], c["strike"], c["expiry_years"], c["mark_iv"] / 100)
    vega_pt = g.vega / 100
    f = c["forward"].to_numpy()
    return 0.005 + 0.5e-6 * f / vega_pt + np.abs(g.delta) * 1e-4 * f / vega_pt


def test_iv_from_marks_matches_mark_iv(chain) -> None:
    c = chain[chain["mark_price"] > 0]
    iv = implied_vol(c["price"], c["kind"], c["forward"], c["strike"], c["expiry_years"], model="black76") * 100
    tol = _tolerance(c)
    diff = np.abs(iv - c["mark_iv"].to_numpy())
    informative = tol < 0.05  # rows whose price pins σ to 0.05 vol points (excludes deep ITM, whose time value
    assert informative.sum() > 3000  # 3,251 rows here; is below the price's 1e-6 BTC rounding)
    assert np.nanmedian(diff[informative]) < 0.01
    assert np.mean(diff[informative] <= tol[informative]) > 0.99
    # the snapshot whose marks and forwards were taken together matches to the 0.01 rounding
    first = c["harvest_time"] == c["harvest_time"].min()
    assert np.all(diff[first & informative] <= tol[first & informative])


def test_file_has_no_greeks_to_compare(chain) -> None:
    """The greek_* columns of this file are empty (0 of 7,708 rows): stated, and checked so it is noticed if not."""
    assert chain[["greek_delta", "greek_gamma", "greek_vega", "greek_theta"]].notna().sum().sum() == 0


def test_greek_conventions_against_py_vollib_on_the_chain(chain) -> None:
    """Deribit's conventions (Black-76 on the forward, r = 0, vega per 1 vol point, theta per day) via py_vollib."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from py_vollib.black.greeks.analytical import delta, gamma, theta, vega

    c = chain[chain["mark_price"] > 0].iloc[::25]
    g = black76(c["kind"], c["forward"], c["strike"], c["expiry_years"], c["mark_iv"] / 100)
    rows = zip(c["kind"], c["forward"], c["strike"], c["expiry_years"], c["mark_iv"] / 100, strict=True)
    ref = np.array([[f(k[0], fw, kk, t, 0.0, v) for f in (delta, gamma, vega, theta)] for k, fw, kk, t, v in rows])
    assert np.allclose(g.delta, ref[:, 0], rtol=1e-9, atol=1e-12)
    assert np.allclose(g.gamma, ref[:, 1], rtol=1e-9, atol=1e-18)
    assert np.allclose(g.vega / 100, ref[:, 2], rtol=1e-9, atol=1e-12)
    assert np.allclose(g.theta / 365, ref[:, 3], rtol=1e-9, atol=1e-9)


def test_vol_index_near_dvol(chain, real_data) -> None:
    dvol = pd.read_csv(real_data / "options" / "deribit_DVOL-BTC_1h_2025.csv", parse_dates=["timestamp"])
    dvol = dvol.set_index("timestamp")["iv_30d"]
    gaps = []
    for when, snap in chain.groupby("harvest_time"):
        if len(snap) < 100:
            continue
        ours = variance_swap_index(snap[snap["mark_price"] > 0]).value
        gaps.append(ours - dvol[when.floor("h")])
    gaps = np.array(gaps)
    assert len(gaps) == 11
    # marks of far-wing strikes (fitted smile, up to 120 % IV) are in our sum; DVOL's own strike filter is not public
    assert np.all((gaps > 0) & (gaps < 4.0)), gaps
