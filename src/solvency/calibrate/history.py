"""The price history a calibration runs on: a file (validated), a frame, or the embedded sample scaled per asset.

Offline, every example market runs on the embedded sample (:mod:`solvency.data.sample`), an ETH-like series. A
market for a calmer or wilder asset says how to reshape it in ``[prices]``: ``sample_vol_multiplier`` scales every
log return (so every volatility estimate scales by the same factor, tails and crashes included) and
``sample_price`` sets the price of the first bar::

    ln P'_t = ln P'_0 + k · (ln P_t − ln P_0)

applied to open, high, low and close alike (a monotone map, so bars stay consistent). With a price file the
file is used as it is.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from solvency.config import MarketSpec
from solvency.data.resolve import prices_or_sample
from solvency.data.sample import sample_prices
from solvency.errors import SolvencyInputError

OHLC = ("open", "high", "low", "close")


def rescale_sample(frame: pd.DataFrame, *, vol_multiplier: float = 1.0, price: float | None = None) -> pd.DataFrame:
    """The sample with log returns scaled by ``vol_multiplier`` and its first bar's open moved to ``price``.

    Examples
    --------
    >>> s = sample_prices("1d")
    >>> t = rescale_sample(s, vol_multiplier=0.5, price=30_000.0)
    >>> round(float(t["open"].iloc[0]), 6)
    30000.0
    """
    if not vol_multiplier > 0 or (price is not None and not price > 0):
        raise SolvencyInputError(f"sample scaling needs a positive multiplier and price, got {vol_multiplier}, {price}")
    if vol_multiplier == 1.0 and price is None:
        return frame
    out = frame.copy()
    base = float(frame["open"].iloc[0] if "open" in frame.columns else frame["close"].iloc[0])
    start = math.log(price if price is not None else base)
    for col in OHLC:
        if col in out.columns:
            out[col] = np.exp(start + vol_multiplier * (np.log(frame[col].to_numpy()) - math.log(base)))
    out.attrs.update(frame.attrs)
    out.attrs["source"] = f"{frame.attrs.get('source', 'sample')} ×{vol_multiplier:g} vol" + (
        f", first open {price:g}" if price is not None else ""
    )
    return out


def market_history(spec: MarketSpec, prices: str | Path | pd.DataFrame | None = None) -> pd.DataFrame:
    """``prices`` (a frame, or a file to load and validate), else the spec's file, else the scaled sample."""
    if isinstance(prices, pd.DataFrame):
        return prices
    if prices is not None:
        return prices_or_sample(prices, column=spec.prices.column)
    if spec.prices.file is not None:
        return prices_or_sample(spec.prices.file, column=spec.prices.column)
    return rescale_sample(
        sample_prices(spec.prices.freq),
        vol_multiplier=spec.prices.sample_vol_multiplier,
        price=spec.prices.sample_price,
    )
