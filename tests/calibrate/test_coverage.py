"""Kupiec and Christoffersen: published non-rejection regions, closed forms and independent G-tests."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import chi2_contingency, power_divergence

from solvency.calibrate.coverage import christoffersen, kupiec
from solvency.errors import SolvencyInputError

from ..conftest import RESULTS


def test_kupiec_reproduces_jorion_table() -> None:
    table = json.loads((RESULTS / "kupiec_jorion_table.json").read_text())
    for row in table["rows"]:
        p, n = row["p"], row["T"]
        accepted = [x for x in range(n + 1) if kupiec(x, n, 1 - p).p_value > 0.05]
        assert max(accepted) == row["upper"] - 1, row
        assert accepted == list(range(min(accepted), max(accepted) + 1))
        if row["lower"] is not None:
            assert min(accepted) == row["lower"] + 1, row


def test_kupiec_closed_form() -> None:
    # x = 0: LR = −2 n ln(1 − p); x = 4, n = 250, p = 1 %: hand-evaluated likelihood ratio
    assert kupiec(0, 252, 0.99).lr == pytest.approx(-2 * 252 * np.log(0.99), rel=1e-13)
    lr = -2 * (246 * np.log(0.99) + 4 * np.log(0.01) - 246 * np.log(246 / 250) - 4 * np.log(4 / 250))
    assert kupiec(4, 250, 0.99).lr == pytest.approx(lr, rel=1e-13)
    assert kupiec(250, 250, 0.99).p_value < 1e-100


@given(st.integers(1, 5000), st.floats(0.001, 0.2), st.data())
def test_kupiec_equals_g_test(n, p, data) -> None:
    """The Kupiec LR is the G statistic of observed vs expected failure counts (scipy's power divergence)."""
    x = data.draw(st.integers(0, n))
    g = power_divergence([x, n - x], [n * p, n * (1 - p)], lambda_="log-likelihood").statistic
    assert kupiec(x, n, 1 - p).lr == pytest.approx(g, rel=1e-9, abs=1e-9)


def test_christoffersen_equals_contingency_g_test() -> None:
    """LR_ind is the likelihood-ratio (G) test of independence on the 2×2 table of consecutive hits."""
    rng = np.random.default_rng(0)
    for clustered in (False, True):
        hits = rng.random(3000) < 0.02
        if clustered:
            hits[1:] |= hits[:-1] & (rng.random(2999) < 0.5)
        r = christoffersen(hits, 0.98)
        table = np.array([[r.n00, r.n01], [r.n10, r.n11]])
        g, p, _, _ = chi2_contingency(table, correction=False, lambda_="log-likelihood")
        assert r.lr_ind == pytest.approx(g, rel=1e-9)
        assert r.p_value == pytest.approx(p, rel=1e-9)
        assert r.n00 + r.n01 + r.n10 + r.n11 == 2999
    assert christoffersen(hits, 0.98).p_value < 1e-6  # the clustered series is rejected


def test_christoffersen_hand_counts() -> None:
    hits = [0, 1, 1, 0, 0, 1, 0, 0]
    r = christoffersen(hits, 0.9)
    assert (r.n00, r.n01, r.n10, r.n11) == (2, 2, 2, 1)
    pi0, pi1, pi = 2 / 4, 1 / 3, 3 / 7
    ll1 = 2 * np.log(1 - pi0) + 2 * np.log(pi0) + 2 * np.log(1 - pi1) + np.log(pi1)
    ll0 = 4 * np.log(1 - pi) + 3 * np.log(pi)
    assert r.lr_ind == pytest.approx(-2 * (ll0 - ll1), rel=1e-13)
    assert r.lr_cc == pytest.approx(r.lr_ind + kupiec(3, 7, 0.9).lr, rel=1e-13)


def test_no_hits_is_independent() -> None:
    r = christoffersen(np.zeros(100, dtype=bool), 0.99)
    assert r.lr_ind == 0.0 and r.p_value == 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: kupiec(5, 4, 0.99), "exceedances"),
        (lambda: kupiec(1, 100, 99), "coverage"),
        (lambda: christoffersen([0, 2, 1], 0.99), "0/1"),
        (lambda: christoffersen([1], 0.99), "at least two"),
    ],
)
def test_bad_input(call, match) -> None:
    with pytest.raises(SolvencyInputError, match=match):
        call()
