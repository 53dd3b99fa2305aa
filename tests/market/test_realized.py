"""Realized estimators equal their textbook formulas, computed here independently with plain ``math``."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.errors import SolvencyInputError
from solvency.market.realized import (
    close_to_close_variance,
    garman_klass_variance,
    parkinson_variance,
    realized_variance,
    rogers_satchell_variance,
    rolling_volatility,
    yang_zhang_variance,
)

# Four daily bars (open, high, low, close), the second opening away from the first close (a gap).
BARS = [
    (100.0, 104.0, 98.0, 102.0),
    (102.5, 107.0, 101.0, 106.0),
    (106.0, 106.5, 99.0, 100.0),
    (100.0, 103.0, 97.5, 101.5),
]
O, H, L, C = (np.array(col) for col in zip(*BARS, strict=True))  # noqa: E741


def frame() -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=len(BARS), freq="D", tz="UTC", name="time")
    return pd.DataFrame({"open": O, "high": H, "low": L, "close": C}, index=idx)


def test_close_to_close() -> None:
    expected = [math.log(C[i] / C[i - 1]) ** 2 for i in range(1, 4)]
    got = close_to_close_variance(C)
    assert math.isnan(got[0])
    assert got[1:] == pytest.approx(expected, rel=1e-12, abs=0)


def test_parkinson() -> None:
    expected = [math.log(h / lo) ** 2 / (4 * math.log(2)) for _, h, lo, _ in BARS]
    assert parkinson_variance(H, L) == pytest.approx(expected, rel=1e-12, abs=0)
    # Risk DAO's ln((H/L)^2) is a different, wrong quantity: it must not be what we compute.
    wrong = [math.log((h / lo) ** 2) / (4 * math.log(2)) for _, h, lo, _ in BARS]
    assert not np.allclose(parkinson_variance(H, L), wrong)


def test_garman_klass() -> None:
    expected = [0.5 * math.log(h / lo) ** 2 - (2 * math.log(2) - 1) * math.log(c / o) ** 2 for o, h, lo, c in BARS]
    assert garman_klass_variance(O, H, L, C) == pytest.approx(expected, rel=1e-12, abs=0)


def test_rogers_satchell() -> None:
    expected = [math.log(h / c) * math.log(h / o) + math.log(lo / c) * math.log(lo / o) for o, h, lo, c in BARS]
    assert rogers_satchell_variance(O, H, L, C) == pytest.approx(expected, rel=1e-12, abs=0)


def _sample_var(xs: list[float]) -> float:
    m = sum(xs) / len(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def test_yang_zhang_window_3() -> None:
    n = 3
    overnight = [math.log(BARS[i][0] / BARS[i - 1][3]) for i in (1, 2, 3)]
    open_close = [math.log(c / o) for o, _, _, c in BARS[1:]]
    rs = [math.log(h / c) * math.log(h / o) + math.log(lo / c) * math.log(lo / o) for o, h, lo, c in BARS[1:]]
    k = 0.34 / (1.34 + (n + 1) / (n - 1))
    expected = _sample_var(overnight) + k * _sample_var(open_close) + (1 - k) * sum(rs) / n
    got = yang_zhang_variance(O, H, L, C, n)
    assert np.isnan(got[:3]).all()
    assert got[3] == pytest.approx(expected, rel=1e-12, abs=0)


def test_rolling_and_annualised() -> None:
    df = frame()
    vol = rolling_volatility(df, "parkinson", window=2)
    p = [math.log(h / lo) ** 2 / (4 * math.log(2)) for _, h, lo, _ in BARS]
    assert vol.iloc[3] == pytest.approx(math.sqrt((p[2] + p[3]) / 2 * 365), rel=1e-12)
    cc = rolling_volatility(df, "close_to_close", window=3, annualise=False)
    r = [math.log(C[i] / C[i - 1]) for i in (1, 2, 3)]
    assert cc.iloc[3] == pytest.approx(math.sqrt(_sample_var(r)), rel=1e-12)
    yz = rolling_volatility(df, "yang_zhang", window=3)
    assert yz.iloc[3] == pytest.approx(math.sqrt(yang_zhang_variance(O, H, L, C, 3)[3] * 365), rel=1e-12)


def test_frame_level_names_missing_columns() -> None:
    close_only = frame()[["close"]]
    with pytest.raises(SolvencyInputError, match="high, low"):
        realized_variance(close_only, "parkinson")
    with pytest.raises(SolvencyInputError, match="per-bar"):
        realized_variance(frame(), "yang_zhang")
    with pytest.raises(SolvencyInputError, match="unknown estimator"):
        realized_variance(frame(), "nope")
    assert realized_variance(close_only, "close_to_close").iloc[1] == pytest.approx(math.log(C[1] / C[0]) ** 2)


def test_efficiency_on_brownian_bars() -> None:
    """On simulated Brownian bars all estimators are unbiased; the range ones are far less noisy."""
    rng = np.random.default_rng(7)
    bars, steps, sigma = 2000, 2000, 0.02
    paths = np.cumsum(rng.standard_normal((bars, steps)) * sigma / math.sqrt(steps), axis=1)
    paths = np.hstack([np.zeros((bars, 1)), paths])
    o, h, lo, c = (np.exp(x) for x in (paths[:, 0], paths.max(1), paths.min(1), paths[:, -1]))
    target = sigma**2
    # Discrete monitoring shrinks the range slightly (2,000 steps: ~4 % low); allow for it.
    for est in (parkinson_variance(h, lo), garman_klass_variance(o, h, lo, c), rogers_satchell_variance(o, h, lo, c)):
        assert est.mean() == pytest.approx(target, rel=0.08)
        assert est.std() < 0.6 * (np.log(c / o) ** 2).std()


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(*(st.floats(0.5, 2.0) for _ in range(4))),
        min_size=1,
        max_size=20,
    )
)
def test_consistent_bars_give_non_negative_range_estimates(raw: list[tuple[float, ...]]) -> None:
    o = np.array([x[0] for x in raw])
    c = np.array([x[1] for x in raw])
    h = np.maximum(o, c) * np.array([1 + x[2] / 10 for x in raw])
    lo = np.minimum(o, c) / np.array([1 + x[3] / 10 for x in raw])
    assert (parkinson_variance(h, lo) >= 0).all()
    assert (garman_klass_variance(o, h, lo, c) >= -1e-15).all()
    assert (rogers_satchell_variance(o, h, lo, c) >= -1e-15).all()
