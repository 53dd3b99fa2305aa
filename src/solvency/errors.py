"""Exception hierarchy.

Every error a user can cause with bad input is a :class:`SolvencyInputError` that names where the problem
is (file, row, time) and, where possible, how to fix it. The CLI turns these into a message on stderr and
exit code 1; anything else escaping is a bug.
"""

from __future__ import annotations

from typing import Any


class SolvencyError(Exception):
    """Base class of every error raised on purpose by solvency."""


class SolvencyInputError(SolvencyError, ValueError):
    """Bad input: a file, a value, a configuration or a request that cannot be used.

    Parameters
    ----------
    message
        What is wrong, in one sentence.
    path
        The file the problem is in, if any.
    row
        1-based data row (header excluded) the problem is at, if known.
    time
        The timestamp the problem is at, if known.
    hint
        How to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Any = None,
        row: int | None = None,
        time: Any = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.row = row
        self.time = None if time is None else str(time)
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.time is not None:
            where.append(f"at {self.time}")
        text = (": ".join([", ".join(where), self.message])) if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description, as printed by the CLI under ``--json``."""
        return {
            "kind": type(self).__name__,
            "message": self.message,
            "path": self.path,
            "row": self.row,
            "time": self.time,
            "hint": self.hint,
        }


class DataFormatError(SolvencyInputError):
    """A data file cannot be read or has no usable price column / time column."""


class DataQualityError(SolvencyInputError):
    """A price series has fatal quality problems (non-positive, non-finite, duplicate or unsorted rows)."""


class ConfigError(SolvencyInputError):
    """A TOML configuration (market spec, oracle config) is invalid."""


class FetchError(SolvencyError):
    """A remote data source failed after all retries."""


class GuardrailViolation(SolvencyError):
    """A parameter update was refused by a guardrail (raised only where refusing is the caller's contract)."""
