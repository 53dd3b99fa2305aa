"""Resolve the price series a command runs on: a user's file, or the embedded sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from solvency.data.loading import load_prices
from solvency.data.sample import sample_prices


def prices_or_sample(path: str | Path | None = None, *, column: str | None = None, freq: str = "1d") -> pd.DataFrame:
    """Load ``path`` with :func:`load_prices`, or return the embedded sample at ``freq`` when ``path`` is None."""
    if path is None:
        return sample_prices(freq)
    return load_prices(path, column=column)
