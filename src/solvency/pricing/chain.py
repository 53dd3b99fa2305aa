"""Deribit option chains in the pricer's conventions (pure functions on frames; reading files is the caller's)."""

from __future__ import annotations

import pandas as pd

from solvency.errors import SolvencyInputError
from solvency.units import SECONDS_PER_YEAR

_NAME = r"^(?P<underlying>[A-Z]+)-(?P<date>\d{1,2}[A-Z]{3}\d{2})-(?P<strike>\d+(?:\.\d+)?)-(?P<cp>[CP])$"


def deribit_chain(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise a Deribit chain snapshot table.

    Deribit options are European, expire at 08:00 UTC, and are quoted in the underlying (``mark_price`` in BTC);
    the pricer's conventions are Black-76 on ``underlying_price`` (the forward of that expiry), r = 0, time in years
    of 365 days. Needs ``instrument_name``, ``harvest_time``, ``mark_price``, ``underlying_price``.

    Returns
    -------
    pandas.DataFrame
        The input plus ``strike``, ``kind`` ("call"/"put"), ``expiry`` (UTC), ``expiry_years``, ``forward`` and
        ``price`` (``mark_price × underlying_price``, quote currency).
    """
    parts = frame["instrument_name"].astype(str).str.extract(_NAME)
    if parts["strike"].isna().any():
        bad = frame["instrument_name"][parts["strike"].isna()].iloc[0]
        raise SolvencyInputError(f"not a Deribit option name: {bad!r}", hint="e.g. BTC-26DEC25-90000-C")
    out = frame.copy()
    out["strike"] = parts["strike"].astype(float)
    out["kind"] = parts["cp"].map({"C": "call", "P": "put"})
    out["expiry"] = pd.to_datetime(parts["date"], format="%d%b%y", utc=True) + pd.Timedelta(hours=8)
    out["expiry_years"] = (out["expiry"] - out["harvest_time"]).dt.total_seconds() / SECONDS_PER_YEAR
    out["forward"] = out["underlying_price"].astype(float)
    out["price"] = out["mark_price"].astype(float) * out["forward"]
    return out
