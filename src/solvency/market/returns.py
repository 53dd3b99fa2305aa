"""Log returns of a price frame, the bar length and the annualisation factor that goes with it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from solvency.data.frequency import infer_step
from solvency.errors import SolvencyInputError
from solvency.units import periods_per_year


def log_returns(prices: pd.DataFrame | pd.Series, column: str = "close") -> pd.Series:
    """Log returns ``ln(P_t / P_{t-1})`` of the close (first row dropped).

    Raises
    ------
    SolvencyInputError
        A price is non-positive or non-finite (run ``solvency data check`` / ``--clean`` first).
    """
    series = prices[column] if isinstance(prices, pd.DataFrame) else prices
    values = series.to_numpy(dtype="float64")
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        where = series.index[int(np.flatnonzero(bad)[0])]
        raise SolvencyInputError(
            f"price {values[bad][0]!r} is not positive and finite",
            path=getattr(series, "attrs", {}).get("source") or prices.attrs.get("source"),
            time=where,
            hint="run `solvency data check FILE --clean`",
        )
    out = np.log(series).diff().iloc[1:]
    out.name = "log_return"
    return out


def annualisation(prices: pd.DataFrame | pd.Series) -> tuple[int, float]:
    """Bar length in seconds and the number of such bars in a (365-day) year."""
    step = infer_step(prices.index)
    return step, periods_per_year(step)
