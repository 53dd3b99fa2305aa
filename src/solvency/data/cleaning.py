"""Explicit cleaning of a price series: every row dropped, moved or repaired is listed with its reason.

:func:`clean_prices` applies these rules, in this order, and nothing else:

1. **Bad rows are dropped**: a row with no time, or with any price field (open, high, low, close) missing,
   non-finite, zero or negative. No price is invented for it; if that leaves a hole in the grid, the hole is
   reported as a ``gap`` by the validation of the cleaned series.
2. **Repeated timestamps keep one row**: the one written last in the file (the larger file row), because a
   repeated bar in an export is usually a later, complete re-download of a partial bar. The others are
   dropped, saying whether their prices differed.
3. **Rows are sorted by time**. The rows listed as ``moved`` are the fewest whose moving restores the order
   (those outside a longest increasing run of times), not every row whose position shifted.
4. **Spikes are repaired** (unless ``repair_spikes=False``), as reported by
   :func:`~solvency.data.validation.validate_prices`: a spiked close becomes the geometric mean of the closes
   on either side; a spiked open becomes the previous close (the bar's own close for the first bar); a
   spiked high or low is clamped to ``max(open, close)`` or ``min(open, close)``. Validation runs again after
   each pass (at most ``max_passes``) because a repaired close can reveal that its bar's other fields were
   shifted with it (a whole bar ×50).
5. **OHLC inconsistencies are clamped**: ``high = max(open, high, close)``, ``low = min(open, low, close)``.

Gaps, off-grid timestamps and stale runs are left as they are: filling them would invent data. They stay
in the cleaned series' report.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from solvency.data.loading import PRICE_FIELDS
from solvency.data.validation import ValidationReport, ValidationRules, format_time, validate_prices
from solvency.errors import SolvencyInputError


@dataclass(frozen=True)
class Change:
    """One row dropped, moved or repaired by :func:`clean_prices`.

    Attributes
    ----------
    time
        The row's time (None for a row without one).
    row
        1-based data row in the source file.
    action
        ``"dropped"``, ``"moved"`` or ``"repaired"``.
    kind
        The kind of issue that caused it (``non_finite``, ``duplicate``, ``spike`` …).
    reason
        Why, in words, with the values involved.
    field
        The price field repaired (None for dropped and moved rows).
    old, new
        Value before and after a repair.
    """

    time: pd.Timestamp | None
    row: int | None
    action: str
    kind: str
    reason: str
    field: str | None = None
    old: float | None = None
    new: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "time": self.time,
            "row": self.row,
            "action": self.action,
            "kind": self.kind,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
        }


def clean_prices(
    df: pd.DataFrame,
    report: ValidationReport | None = None,
    *,
    repair_spikes: bool = True,
    rules: ValidationRules | None = None,
    max_passes: int = 3,
) -> tuple[pd.DataFrame, list[Change]]:
    """Clean a price frame by the rules of this module and list every change.

    Parameters
    ----------
    df
        As returned by :func:`~solvency.data.loading.load_prices` (``attrs["rows"]`` names file rows).
    report
        The frame's :class:`~solvency.data.validation.ValidationReport`, if already computed (it must be of
        this frame); used for the first pass of spike repairs.
    repair_spikes
        Repair spikes (rule 4). Turn off to keep real single-bar events (a stablecoin's depeg low) that the
        validation flags because they look like bad prints.
    rules
        Validation thresholds, as for :func:`~solvency.data.validation.validate_prices`.
    max_passes
        Passes of spike repair and re-validation.

    Returns
    -------
    (cleaned, changes)
        ``cleaned`` is sorted, with unique timestamps and finite positive prices; its ``attrs["rows"]`` are
        the source rows it kept. ``changes`` lists every row touched, in time order.

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2024-01-02", "2024-01-01", "2024-01-03", "2024-01-03"], tz="UTC")
    >>> clean, changes = clean_prices(pd.DataFrame({"close": [2.0, 1.0, float("nan"), 3.0]}, index=idx))
    >>> [(c.row, c.action, c.kind) for c in changes]
    [(1, 'moved', 'unsorted'), (3, 'dropped', 'non_finite')]
    >>> list(clean["close"])
    [1.0, 2.0, 3.0]
    """
    rules = rules or ValidationRules()
    if report is not None and report.rows != len(df):
        raise SolvencyInputError(
            f"the report describes {report.rows} rows but the frame has {len(df)}: it is not this frame's report"
        )
    if "close" not in df.columns:
        raise SolvencyInputError(f"no close column among {list(df.columns)}", path=df.attrs.get("source"))
    index = pd.DatetimeIndex(df.index)
    index = index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")
    frame = df.copy()
    frame.index = index
    rows = _rows(df)
    frame["__row"] = rows
    changes: list[Change] = []

    frame = _drop_bad_rows(frame, changes)
    frame = _drop_duplicates(frame, changes)
    frame = _sort(frame, changes)
    fields = [f for f in PRICE_FIELDS if f in frame.columns]

    for npass in range(max_passes):
        work = _as_prices(frame, df)
        rep = report if (npass == 0 and report is not None and not changes) else validate_prices(work, rules=rules)
        todo = [i for i in rep.issues if i.kind == "ohlc_inconsistent" or (repair_spikes and i.kind == "spike")]
        if not todo:
            break
        _repair(frame, todo, fields, changes)

    cleaned = _as_prices(frame, df)
    cleaned.attrs["cleaned"] = True
    order = {"dropped": 0, "moved": 1, "repaired": 2}
    changes.sort(key=lambda c: (c.time is None, c.time.value if c.time is not None else 0, order[c.action], c.row or 0))
    return cleaned, changes


# ----------------------------------------------------------------------------------------------- steps


def _drop_bad_rows(frame: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
    fields = [f for f in PRICE_FIELDS if f in frame.columns]
    no_time = np.asarray(frame.index.isna())
    values = {f: pd.to_numeric(frame[f], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) for f in fields}
    with np.errstate(invalid="ignore"):
        nonfinite = {f: ~np.isfinite(v) for f, v in values.items()}
        nonpos = {f: np.isfinite(v) & (v <= 0) for f, v in values.items()}
    bad = no_time.copy()
    for f in fields:
        bad |= nonfinite[f] | nonpos[f]
    rows = frame["__row"].to_numpy()
    for p in np.flatnonzero(bad):
        if no_time[p]:
            changes.append(Change(None, int(rows[p]), "dropped", "non_finite", "the row has no time"))
            continue
        nf = [f for f in fields if nonfinite[f][p]]
        parts = [f"{f} is {values[f][p]}" for f in nf + [f for f in fields if nonpos[f][p]]]
        kind = "non_finite" if nf else "non_positive"
        reason = f"{', '.join(parts)}: no price is invented for it"
        changes.append(Change(frame.index[p], int(rows[p]), "dropped", kind, reason))
    return frame.loc[~bad]


def _drop_duplicates(frame: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
    fields = [f for f in (*PRICE_FIELDS, "volume") if f in frame.columns]
    rows = frame["__row"].to_numpy()
    t = frame.index.as_unit("ns").asi8
    # Keep the row written last in the file of each timestamp.
    order = np.lexsort((rows, t))
    last = np.r_[t[order][1:] != t[order][:-1], True]
    keep = np.zeros(len(frame), bool)
    keep[order[last]] = True
    kept_at = {int(t[p]): p for p in order[last]}
    for p in np.flatnonzero(~keep):
        q = kept_at[int(t[p])]
        diff = [f for f in fields if not _same(frame[f].iloc[p], frame[f].iloc[q])]
        how = "same values" if not diff else f"{diff[0]} {frame[diff[0]].iloc[p]} vs {frame[diff[0]].iloc[q]} kept"
        reason = f"timestamp repeated; kept row {rows[q]}, the later row in the file ({how})"
        changes.append(Change(frame.index[p], int(rows[p]), "dropped", "duplicate", reason))
    return frame.loc[keep]


def _sort(frame: pd.DataFrame, changes: list[Change]) -> pd.DataFrame:
    t = frame.index.as_unit("ns").asi8
    if len(t) < 2 or bool(np.all(t[1:] > t[:-1])):
        return frame
    stay = _longest_increasing(t)
    rows = frame["__row"].to_numpy()
    running_max = np.maximum.accumulate(t)
    for p in np.flatnonzero(~stay):
        if p > 0 and running_max[p - 1] > t[p]:
            q = int(np.flatnonzero(t[:p] > t[p])[0])
            reason = f"moved into time order: it came after row {rows[q]} ({format_time(frame.index[q])})"
        else:
            later = int(np.flatnonzero(t[p + 1 :] < t[p])[0]) + p + 1
            reason = f"moved into time order: it came before row {rows[later]} ({format_time(frame.index[later])})"
        changes.append(Change(frame.index[p], int(rows[p]), "moved", "unsorted", reason))
    return frame.sort_index(kind="stable")


def _repair(frame: pd.DataFrame, todo: list, fields: list[str], changes: list[Change]) -> None:
    pos_of = {int(ts.value): k for k, ts in enumerate(frame.index.as_unit("ns"))}
    col = {f: frame.columns.get_loc(f) for f in fields}
    # Closes first: field spikes and OHLC clamps are judged against the repaired close.
    order = {"close": 0, "open": 1, "high": 2, "low": 3}
    todo = sorted(todo, key=lambda i: (i.kind != "spike", order.get((i.field or "").split(",")[0], 9)))
    for issue in todo:
        k = pos_of[int(issue.time.as_unit("ns").value)]
        row = int(frame["__row"].iloc[k])
        get = lambda f, k=k: float(frame.iat[k, col[f]])  # noqa: E731
        if issue.kind == "spike":
            f = issue.field
            old = get(f)
            if f == "close":
                prev_c, next_c = float(frame.iat[k - 1, col["close"]]), float(frame.iat[k + 1, col["close"]])
                new = float(np.sqrt(prev_c * next_c))
                how = f"geometric mean of the closes around it ({prev_c:.6g}, {next_c:.6g})"
            elif f == "open":
                new = float(frame.iat[k - 1, col["close"]]) if k > 0 else get("close")
                how = "the previous close" if k > 0 else "the bar's close (first bar)"
            elif f == "high":
                new = max(get("open"), get("close")) if "open" in col else get("close")
                how = "max(open, close)"
            else:
                new = min(get("open"), get("close")) if "open" in col else get("close")
                how = "min(open, close)"
            frame.iat[k, col[f]] = new
            changes.append(
                Change(issue.time, row, "repaired", "spike", f"{issue.detail}; set to {how}", field=f, old=old, new=new)
            )
        else:  # ohlc_inconsistent: clamp high up and low down to the body of the bar
            o, h, lo, c = get("open"), get("high"), get("low"), get("close")
            fixes = (
                ("high", h, max(o, c, lo), "raised to max(open, close)"),
                ("low", lo, min(o, c, h), "lowered to min(open, close)"),
            )
            for f, old, new, how in fixes:
                if (new > old) if f == "high" else (new < old):
                    frame.iat[k, col[f]] = new
                    reason = f"{issue.detail}; {f} {how}"
                    changes.append(Change(issue.time, row, "repaired", issue.kind, reason, field=f, old=old, new=new))


# --------------------------------------------------------------------------------------------- helpers


def _as_prices(frame: pd.DataFrame, original: pd.DataFrame) -> pd.DataFrame:
    out = frame.drop(columns="__row")
    out.index.name = original.index.name or "time"
    out.attrs = {k: v for k, v in original.attrs.items() if k != "warnings"}
    out.attrs["rows"] = frame["__row"].to_numpy().copy()
    out.attrs["reversed"] = bool(original.attrs.get("reversed", False))
    return out


def _rows(df: pd.DataFrame) -> np.ndarray:
    rows = df.attrs.get("rows")
    if rows is not None and np.asarray(rows).shape == (len(df),):
        return np.asarray(rows).astype("int64")
    return np.arange(1, len(df) + 1, dtype="int64")


def _same(a: Any, b: Any) -> bool:
    return bool(a == b or (pd.isna(a) and pd.isna(b)))


def _longest_increasing(t: np.ndarray) -> np.ndarray:
    """Mask of one longest strictly increasing subsequence of ``t`` (patience sorting, O(n log n))."""
    tails: list[int] = []  # values
    tail_pos: list[int] = []
    parent = np.full(t.size, -1)
    for p, v in enumerate(t.tolist()):
        k = bisect.bisect_left(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_pos.append(p)
        else:
            tails[k] = v
            tail_pos[k] = p
        parent[p] = tail_pos[k - 1] if k > 0 else -1
    mask = np.zeros(t.size, bool)
    p = tail_pos[-1] if tail_pos else -1
    while p >= 0:
        mask[p] = True
        p = parent[p]
    return mask
