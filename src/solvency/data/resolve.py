"""Resolve the price series a command runs on: a user's file (validated), or the embedded sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from solvency.data.loading import load_prices
from solvency.data.sample import sample_prices
from solvency.data.validation import ValidationReport, format_time, validate_prices
from solvency.errors import DataQualityError

SHOWN_PROBLEMS = 5
"""Fatal problems named in a :class:`~solvency.errors.DataQualityError` message before counting the rest."""


def prices_or_sample(
    path: str | Path | None = None,
    *,
    column: str | None = None,
    freq: str = "1d",
    validate: bool = True,
) -> pd.DataFrame:
    """Load ``path`` with :func:`load_prices` and validate it, or return the embedded sample when ``path`` is None.

    A file with fatal problems (non-finite or non-positive prices, repeated or unsorted timestamps) is
    refused; non-fatal findings (gaps, spikes, stale runs …) pass, counted per kind in ``attrs["quality"]``
    so that a command can mention them.

    Raises
    ------
    DataFormatError
        The file cannot be read (see :func:`load_prices`).
    DataQualityError
        The series has fatal problems; the message names the first few with their times and rows, counts
        the rest, and says how to fix them (``solvency data check FILE --clean``).
    """
    if path is None:
        return sample_prices(freq)
    frame = load_prices(path, column=column)
    if validate:
        report = validate_prices(frame)
        if not report.ok:
            raise quality_error(report, path)
        frame.attrs["quality"] = report.counts()
    return frame


def quality_error(report: ValidationReport, path: str | Path | None) -> DataQualityError:
    """The error that refuses a series with fatal problems, naming the first few and counting the rest."""
    fatal = report.fatal
    shown = [
        f"{i.kind} at {format_time(i.time) if i.time is not None else '?'}"
        + (f" (row {i.row})" if i.row is not None else "")
        + f": {i.detail}"
        for i in fatal[:SHOWN_PROBLEMS]
    ]
    rest = len(fatal) - len(shown)
    message = f"{len(fatal)} fatal data problem{'s' if len(fatal) > 1 else ''}: " + "; ".join(shown)
    if rest:
        message += f"; and {rest} more"
    first = fatal[0]
    # The error's own time/row point at the first problem, so JSON consumers get a location too.
    return DataQualityError(
        message,
        path=path,
        row=first.row,
        time=format_time(first.time) if first.time is not None else None,
        hint=f"run: solvency data check {path if path is not None else 'FILE'} --clean",
    )
