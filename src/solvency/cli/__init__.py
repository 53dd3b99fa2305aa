"""The ``solvency`` command line (typer). Thin: it parses, calls the library and renders.

Each group of commands lives in its own module and registers itself on :data:`app` here.
"""

from __future__ import annotations

import typer

from solvency import __version__

app = typer.Typer(
    name="solvency",
    help="Calibrate, stress-test and publish the security parameters of DeFi lending and derivative protocols.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"solvency {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """solvency: measure the market, simulate the protocol, calibrate parameters, publish them guarded."""


def _register() -> None:
    from solvency.cli import data as _data
    from solvency.cli import stress as _stress

    _data.register(app)
    from solvency.cli import margin as _margin

    _margin.register(app)
    from solvency.cli import calibrate as _calibrate

    _calibrate.register(app)

    from solvency.cli import vol as _vol

    _vol.register(app)

    from solvency.cli import demo as _demo

    _demo.register(app)

    from solvency.cli import oracle as _oracle

    _oracle.register(app)

    _stress.register(app)

    from solvency.cli import liquidate as _liquidate

    _liquidate.register(app)

    from solvency.cli import backtest as _backtest

    _backtest.register(app)


_register()


def main() -> None:
    """Entry point of the ``solvency`` console script."""
    app()
