"""Shared CLI plumbing: error handling, ``--json`` output, rich tables and progress bars on stderr.

Every command follows one pattern::

    @app.command()
    def vol(..., as_json: bool = JSON_OPTION) -> None:
        with cli_errors(as_json):
            result = library_call(...)
            emit(result, as_json, render)

so that ``--json`` prints exactly one JSON object on stdout, progress and logs go to stderr, input errors exit 1.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from solvency.errors import SolvencyError, SolvencyInputError
from solvency.jsonutil import dumps

JSON_OPTION = typer.Option(False, "--json", help="Print exactly one JSON object on stdout.")

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True)


@contextlib.contextmanager
def cli_errors(as_json: bool) -> Iterator[None]:
    """Turn solvency errors into a clear message and exit code 1 (JSON error object under ``--json``)."""
    try:
        yield
    except typer.Exit:
        raise
    except SolvencyInputError as exc:
        _fail(as_json, exc.to_dict(), str(exc))
    except SolvencyError as exc:
        _fail(as_json, {"kind": type(exc).__name__, "message": str(exc)}, str(exc))


def _fail(as_json: bool, payload: dict[str, Any], text: str) -> None:
    if as_json:
        sys.stdout.write(dumps({"error": payload}) + "\n")
    stderr.print(f"[bold red]error:[/] {text}", highlight=False)
    raise typer.Exit(1)


def emit(payload: Mapping[str, Any], as_json: bool, render: Callable[[Mapping[str, Any]], None] | None = None) -> None:
    """Print a result: one JSON object on stdout, or the human rendering."""
    if as_json:
        sys.stdout.write(dumps(payload) + "\n")
        sys.stdout.flush()
    elif render is not None:
        render(payload)
    else:
        stdout.print_json(dumps(payload))


def kv_table(title: str, rows: Mapping[str, Any] | list[tuple[str, Any]]) -> Table:
    """Two-column table of labelled values."""
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    items = rows.items() if isinstance(rows, Mapping) else rows
    for key, value in items:
        table.add_row(str(key), fmt(value))
    return table


def fmt(value: Any, digits: int = 4) -> str:
    """Human formatting of a number (fixed digits, thousands separators) or anything else."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:
            return "—"
        if abs(value) >= 1e4:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value != 0 else f"{value:.{digits}f}"
    return str(value)


def pct(value: float | None, digits: int = 2) -> str:
    """A fraction shown as a percentage (display only; values stay fractions everywhere else)."""
    return "—" if value is None or value != value else f"{100 * value:.{digits}f} %"


def progress(*, disable: bool = False) -> Progress:
    """A rich progress bar on stderr (never on stdout, so ``--json`` stays clean)."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=disable,
    )
