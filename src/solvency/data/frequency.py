"""Bar length of a price series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from solvency.errors import DataFormatError


def infer_step(index: pd.DatetimeIndex) -> int:
    """The bar length in seconds: the most common positive spacing between consecutive timestamps.

    Robust to gaps, duplicates and a few unsorted rows (it uses the mode of the positive steps).

    Raises
    ------
    DataFormatError
        Fewer than two distinct timestamps.

    Examples
    --------
    >>> idx = pd.date_range("2020-01-01", periods=5, freq="1h", tz="UTC").delete(2)
    >>> infer_step(idx)
    3600
    """
    # pandas >= 3 may hold µs or s resolution: convert before reading integers.
    ns = np.asarray(pd.DatetimeIndex(index).as_unit("ns").asi8, dtype="int64")
    steps = np.diff(ns)
    steps = steps[steps > 0]
    if steps.size == 0:
        raise DataFormatError("cannot infer the bar length: fewer than two distinct, increasing timestamps")
    values, counts = np.unique(steps, return_counts=True)
    return max(1, round(int(values[np.argmax(counts)]) / 1e9))
