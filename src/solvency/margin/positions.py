"""Positions files for portfolio margin: one row per option or perp position.

CSV columns (header required, any case):

* ``instrument`` — a label (e.g. ``ETH-27MAR26-3000-C``); free text;
* ``kind`` — ``call``, ``put`` or ``perp``;
* ``strike`` — option strike (quote units); empty for perps;
* ``expiry`` — option expiry, ISO date or time (UTC; a bare date means 08:00 UTC, the Deribit / Derive convention);
  empty for perps;
* ``quantity`` — signed size in units of the underlying (negative = short); for perps the position size;
* optional ``vol`` — the option's implied volatility (fraction); optional ``account`` — a portfolio id.

Every problem is reported with its row number (1-based, header excluded) and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from solvency.errors import DataFormatError, SolvencyInputError

REQUIRED = ("instrument", "kind", "strike", "expiry", "quantity")
KINDS = {"call": 1, "c": 1, "put": -1, "p": -1, "perp": 0, "perpetual": 0, "future": 0}


@dataclass(frozen=True)
class Book:
    """A book of positions as arrays (struct of arrays). ``sign`` is +1 call, −1 put, 0 perp."""

    instrument: np.ndarray
    sign: np.ndarray
    strike: np.ndarray
    expiry: pd.DatetimeIndex
    quantity: np.ndarray
    vol: np.ndarray
    account: np.ndarray

    def __len__(self) -> int:
        return int(self.sign.size)


def read_positions(path: str | Path) -> Book:
    """Read a positions CSV into a :class:`Book` (see the module docstring for the format)."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError("positions file not found", path=path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"cannot read positions CSV: {exc}", path=path) from None
    return positions_from_frame(table, source=str(path))


def positions_from_frame(table: pd.DataFrame, *, source: str = "<positions>") -> Book:
    """Validate a raw positions table (strings or numbers) into a :class:`Book`."""
    table = table.rename(columns={c: str(c).strip().lower() for c in table.columns})
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise DataFormatError(
            f"missing column(s) {', '.join(missing)}; found {list(table.columns)}",
            path=source,
            hint="columns: instrument, kind, strike, expiry, quantity[, vol, account]",
        )
    if len(table) == 0:
        raise DataFormatError("positions file has no rows", path=source)
    n = len(table)
    sign = np.empty(n)
    strike = np.full(n, np.nan)
    quantity = np.empty(n)
    vol = np.full(n, np.nan)
    expiry: list[pd.Timestamp | None] = [None] * n
    has_vol = "vol" in table.columns
    for i, row in enumerate(table.itertuples(index=False)):
        rec = row._asdict()
        where = {"path": source, "row": i + 1}
        kind = str(rec["kind"]).strip().lower()
        if kind not in KINDS:
            raise SolvencyInputError(f"unknown kind {rec['kind']!r}", **where, hint="use call, put or perp")
        sign[i] = KINDS[kind]
        quantity[i] = _number(rec["quantity"], "quantity", where)
        if sign[i] == 0:
            if str(rec["strike"]).strip() or str(rec["expiry"]).strip():
                raise SolvencyInputError("a perp has no strike or expiry", **where, hint="leave them empty")
            continue
        strike[i] = _number(rec["strike"], "strike", where)
        if not strike[i] > 0:
            raise SolvencyInputError(f"strike must be positive, got {rec['strike']!r}", **where)
        expiry[i] = _expiry(rec["expiry"], where)
        if has_vol and str(rec["vol"]).strip():
            vol[i] = _number(rec["vol"], "vol", where)
            if not 0 < vol[i] < 20:
                raise SolvencyInputError(
                    f"vol must be a fraction in (0, 20), got {rec['vol']!r}", **where, hint="0.65 means 65 %"
                )
    account = table["account"].astype(str).to_numpy() if "account" in table.columns else np.full(n, "default")
    stamps = pd.DatetimeIndex(pd.to_datetime([e if e is not None else pd.NaT for e in expiry], utc=True))
    return Book(
        instrument=table["instrument"].astype(str).to_numpy(),
        sign=sign,
        strike=strike,
        expiry=stamps,
        quantity=quantity,
        vol=vol,
        account=account,
    )


def _number(value: object, name: str, where: dict) -> float:
    text = str(value).strip()
    try:
        out = float(text)
    except ValueError:
        raise SolvencyInputError(f"{name} is not a number: {text!r}", **where) from None
    if not np.isfinite(out):
        raise SolvencyInputError(f"{name} must be finite, got {text!r}", **where)
    return out


def _expiry(value: object, where: dict) -> pd.Timestamp:
    text = str(value).strip()
    if not text:
        raise SolvencyInputError("an option needs an expiry", **where, hint="e.g. 2026-03-27 or 2026-03-27T08:00Z")
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise SolvencyInputError(
            f"cannot parse expiry {text!r}", **where, hint="use ISO dates, e.g. 2026-03-27"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    if len(text) == 10:  # a bare date: options on crypto venues expire at 08:00 UTC
        stamp = stamp + pd.Timedelta(hours=8)
    return stamp.tz_convert("UTC")
