"""Units and time spans.

Time spans are integer seconds in code and strings such as ``"10m"``, ``"1h"``, ``"1d"`` at the edges.
Crypto markets trade every day, so a year is 365 days of 86,400 s.
"""

from __future__ import annotations

import re

from solvency.errors import SolvencyInputError

SECONDS_PER_YEAR: int = 365 * 86_400
"""Seconds in a (crypto, 24/7) year, used to annualise volatility."""

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$", re.IGNORECASE)


def parse_duration(value: str | int | float) -> int:
    """Parse a time span into whole seconds.

    Parameters
    ----------
    value
        ``"30s"``, ``"10m"``, ``"1h"``, ``"1d"``, ``"2w"``, or a number of seconds.

    Returns
    -------
    int
        Seconds (> 0).

    Examples
    --------
    >>> parse_duration("10m"), parse_duration("1d"), parse_duration(3600)
    (600, 86400, 3600)
    """
    if isinstance(value, bool):
        raise SolvencyInputError(f"not a time span: {value!r}", hint='use e.g. "10m", "1h", "1d"')
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _SPAN.match(str(value))
        if not match:
            raise SolvencyInputError(f"not a time span: {value!r}", hint='use e.g. "10m", "1h", "1d"')
        seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not seconds > 0 or seconds != seconds:
        raise SolvencyInputError(f"time span must be positive: {value!r}")
    return round(seconds)


def format_duration(seconds: int | float) -> str:
    """Render seconds as the largest exact unit: 600 → ``"10m"``, 86400 → ``"1d"``, 90 → ``"90s"``.

    Examples
    --------
    >>> format_duration(600), format_duration(86400), format_duration(5400)
    ('10m', '1d', '90m')
    """
    s = round(seconds)
    for name, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)):
        if s >= size and s % size == 0:
            return f"{s // size}{name}"
    return f"{s}s"


def periods_per_year(step_seconds: int | float) -> float:
    """Number of bars of ``step_seconds`` in a year (365 days), the factor that annualises variance."""
    return SECONDS_PER_YEAR / float(step_seconds)
