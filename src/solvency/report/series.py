"""Time series as compact JSON for the results file and the plots: ISO times and floats rounded to what a plot
can show (6 significant digits), NaN as null."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from solvency.jsonutil import to_jsonable

DIGITS = 6
"""Significant digits kept for plotted values (a plot resolves ~1e-3 of its range; the summary keeps full floats)."""


def rounded(values: Iterable[Any], digits: int = DIGITS) -> list[float | None]:
    """Floats rounded to ``digits`` significant digits; non-finite values become None."""
    out: list[float | None] = []
    for v in np.asarray(list(values) if not isinstance(values, np.ndarray) else values, dtype="float64").tolist():
        out.append(float(f"{v:.{digits}g}") if math.isfinite(v) else None)
    return out


def times(index: pd.Index) -> list[str]:
    """ISO-8601 UTC strings of a DatetimeIndex (seconds resolution, ``Z`` suffix)."""
    idx = pd.DatetimeIndex(index)
    idx = idx.tz_localize("UTC") if idx.tz is None else idx.tz_convert("UTC")
    return [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in idx]


def timeseries(index: pd.Index, **columns: Any) -> dict[str, list[Any]]:
    """``{"time": [...], name: [...]}``; numeric columns rounded, others (labels) kept as JSON values."""
    out: dict[str, list[Any]] = {"time": times(index)}
    for name, values in columns.items():
        arr = np.asarray(values)
        if arr.dtype.kind in "fiu":
            out[name] = rounded(arr)
        else:
            out[name] = [None if (v is None or (isinstance(v, float) and v != v)) else to_jsonable(v) for v in arr]
    return out


def every(frame: pd.DataFrame | pd.Series, limit: int) -> pd.DataFrame | pd.Series:
    """Every k-th row so that at most ``limit`` rows remain (always keeping the last)."""
    n = len(frame)
    if n <= limit:
        return frame
    k = math.ceil(n / limit)
    take = np.unique(np.r_[np.arange(0, n, k), n - 1])
    return frame.iloc[take]
