"""``solvency data …``: check, clean and fetch price files."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach the ``data`` command group to the root app."""
    group = typer.Typer(help="Check, clean and fetch price data.", no_args_is_help=True)
    app.add_typer(group, name="data")
