"""Array kernels of validation against slow, obviously-correct references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvency.data import checks
from solvency.data.cleaning import _longest_increasing


def naive_rolling(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(x)
    w = min(window, n)
    med, mad = np.empty(n), np.empty(n)
    for i in range(n):
        lo = min(max(0, i - w // 2), n - w)  # centred, clamped to a full window at the edges
        win = x[lo : lo + w]
        m = np.median(win)
        med[i], mad[i] = m, np.median(np.abs(win - m))
    return med, mad


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(st.floats(-10, 10, allow_nan=False), min_size=1, max_size=80),
    window=st.integers(1, 25),
)
def test_rolling_median_mad_matches_naive(x: list[float], window: int) -> None:
    arr = np.asarray(x)
    med, mad = checks.rolling_median_mad(arr, window)
    ref_med, ref_mad = naive_rolling(arr, window)
    np.testing.assert_allclose(med, ref_med, rtol=0, atol=1e-12)
    np.testing.assert_allclose(mad, ref_mad, rtol=0, atol=1e-12)


def test_rolling_chunks_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    x = np.random.default_rng(1).standard_normal(500)
    whole = checks.rolling_median_mad(x, 31)
    monkeypatch.setattr(checks, "_CHUNK", 7)
    chunked = checks.rolling_median_mad(x, 31)
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_array_equal(whole[1], chunked[1])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 4), max_size=40))
def test_equal_runs_matches_naive(values: list[int]) -> None:
    starts, lengths = checks.equal_runs(np.asarray(values))
    expected = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        if j > i:
            expected.append((i, j - i + 1))
        i = j + 1
    assert list(zip(starts.tolist(), lengths.tolist(), strict=True)) == expected


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=30))
def test_duplicates_and_descents_match_naive(times: list[int]) -> None:
    t = np.asarray(times, dtype="int64")
    repeats, firsts = checks.duplicate_positions(t)
    seen: dict[int, int] = {}
    expected = []
    for i, v in enumerate(times):
        if v in seen:
            expected.append((i, seen[v]))
        else:
            seen[v] = i
    assert list(zip(repeats.tolist(), firsts.tolist(), strict=True)) == expected
    assert checks.unsorted_positions(t).tolist() == [i for i in range(1, len(times)) if times[i] < times[i - 1]]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 50), unique=True, max_size=25))
def test_longest_increasing_is_increasing_and_longest(values: list[int]) -> None:
    t = np.asarray(values, dtype="int64")
    mask = _longest_increasing(t)
    kept = t[mask]
    assert np.all(np.diff(kept) > 0)
    # O(n^2) dynamic programme for the length
    best = [1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i]:
                best[i] = max(best[i], best[j] + 1)
    assert int(mask.sum()) == (max(best) if values else 0)


def test_gaps_count_missing_bars_and_tolerate_late_stamps() -> None:
    h = 3_600_000_000_000
    t = np.array([0, h, 2 * h, 6 * h, 7 * h + h // 10, 8 * h], dtype="int64")
    where, missing = checks.gap_positions(t, h)
    assert where.tolist() == [2] and missing.tolist() == [3]  # 3h, 4h, 5h missing; 7h06 is late, not a gap
    pos, offsets, phase = checks.off_grid_positions(t, h)
    assert pos.tolist() == [4] and offsets.tolist() == [h // 10] and phase == 0


@pytest.mark.parametrize(
    ("n", "p", "expected"),
    [
        (33_412, 0.0071, 4),  # Binance ETH hourly 2017-2021: 4 repeats (5 equal closes) are not chance
        (3_000, 0.5, 19),  # half the closes unchanged: ln(0.01/3000)/ln(0.5) = 18.2 → 19
        (1_000, 0.0, 3),  # no unchanged close at all: the floor
        (100, 1.0, 3),  # constant series: the floor, so the whole run is reported
    ],
)
def test_stale_threshold(n: int, p: float, expected: int) -> None:
    # m · p**k < 0.01  ⇔  k > ln(0.01 / m) / ln p, e.g. ln(0.01/33412)/ln(0.0071) = 3.04 → 4
    assert checks.stale_min_repeats(n, p, alpha=0.01, floor=3) == expected


def test_excursions_outside_the_close_band() -> None:
    close = np.array([1.0, 1.0, 1.0])
    high = np.array([1.0, 3.67, 1.01])
    low = np.array([0.99, 0.99, 0.5])
    opn = np.array([2.0, 1.0, 1.0])
    ex = checks.excursions(close, opn, high, low)
    np.testing.assert_allclose(ex["high"], [0.0, np.log(3.67), np.log(1.01)])
    np.testing.assert_allclose(ex["low"], [np.log(1 / 0.99), np.log(1 / 0.99), np.log(2.0)])
    np.testing.assert_allclose(ex["open"], [np.log(2.0), 0.0, 0.0])
