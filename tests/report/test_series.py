"""Compact series for results and plots: rounding, ISO times, thinning."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from solvency.report.series import every, rounded, times, timeseries


def test_rounded_keeps_six_significant_digits_and_nulls_non_finite() -> None:
    assert rounded([1234.56789, 0.000123456789, -2.5, math.nan, math.inf]) == [1234.57, 0.000123457, -2.5, None, None]


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False))
def test_rounded_relative_error_is_below_half_a_unit_in_the_sixth_digit(x: float) -> None:
    (y,) = rounded([x])
    assert y is not None
    assert abs(y - x) <= 5e-6 * abs(x) + 1e-300


def test_times_are_utc_iso_with_z_also_from_naive_and_other_zones() -> None:
    naive = pd.DatetimeIndex(["2020-03-12 10:00"])
    paris = pd.DatetimeIndex(["2020-03-12 11:00"]).tz_localize("Europe/Paris")
    assert times(naive) == ["2020-03-12T10:00:00Z"]
    assert times(paris) == ["2020-03-12T10:00:00Z"]


def test_timeseries_rounds_numbers_and_keeps_labels() -> None:
    idx = pd.date_range("2024-01-01", periods=3, freq="D", tz="UTC")
    labels = np.array(["calm", None, "crisis"], dtype=object)
    out = timeseries(idx, x=np.array([1.0, np.nan, 3.123456789]), label=labels)
    assert out == {
        "time": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"],
        "x": [1.0, None, 3.12346],
        "label": ["calm", None, "crisis"],
    }


@given(st.integers(min_value=1, max_value=5000), st.integers(min_value=2, max_value=700))
def test_every_bounds_the_rows_and_keeps_first_and_last(n: int, limit: int) -> None:
    frame = pd.DataFrame({"v": np.arange(n)})
    out = every(frame, limit)
    assert len(out) <= limit + 1  # the last row is always kept
    assert out["v"].iloc[0] == 0 and out["v"].iloc[-1] == n - 1
    assert out["v"].is_monotonic_increasing
    if n <= limit:
        assert len(out) == n
