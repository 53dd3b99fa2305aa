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


PANELS: dict[str, tuple[str, ...]] = {
    "Start here": ("demo", "report"),
    "1 · Measure the market": ("data", "vol", "vol-backtest"),
    "2 · Simulate the protocol": ("stress",),
    "3 · Calibrate parameters": ("calibrate", "backtest", "margin", "margin-backtest"),
    "4 · Publish them guarded": ("serve", "replay", "keys", "ledger"),
    "5 · Liquidate": ("liquidate",),
}
"""The help screen's panels, in the pipeline's order (DESIGN §2); commands keep this order inside a panel."""


def _register() -> None:
    from solvency.cli import backtest, calibrate, data, demo, liquidate, margin, oracle, stress, vol

    for module in (demo, data, vol, stress, calibrate, backtest, margin, oracle, liquidate):
        module.register(app)
    order = [name for names in PANELS.values() for name in names]
    panel_of = {name: panel for panel, names in PANELS.items() for name in names}

    def key(info: typer.models.CommandInfo | typer.models.TyperInfo) -> int:
        return order.index(info.name) if info.name in order else len(order)

    for infos in (app.registered_commands, app.registered_groups):
        infos.sort(key=key)
        for info in infos:
            if info.name in panel_of:
                info.rich_help_panel = panel_of[info.name]


_register()


def main() -> None:
    """Entry point of the ``solvency`` console script."""
    app()
