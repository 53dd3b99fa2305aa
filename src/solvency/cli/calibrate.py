"""``solvency calibrate …``: calibrate protocol parameters. Each market type adds one command to the group.

To add a command (e.g. ``calibrate lending``), define it in its own function taking the group and call it from
:func:`register`, as :func:`_perp` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, stdout
from solvency.cli._sweep import MARKETS_DIR_OPTION, SCHEDULER_OPTION, WORKERS_OPTION

group = typer.Typer(help="Calibrate protocol parameters from market data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the ``calibrate`` group (with every market type's command) to the root app."""
    _perp(group)
    app.add_typer(group, name="calibrate")


def _perp(grp: typer.Typer) -> None:
    @grp.command("perp")
    def perp(
        market: Path | None = typer.Option(None, "--market", help="Market spec TOML with a [perp] section."),
        prices: Path | None = typer.Option(None, "--prices", help="Price history (overrides the spec's)."),
        seed: int | None = typer.Option(None, "--seed", help="Seed of the insurance-fund simulation."),
        markets: Path | None = MARKETS_DIR_OPTION,
        workers: int | None = WORKERS_OPTION,
        scheduler: str | None = SCHEDULER_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """IMF / MMF by size tier, OI caps (dYdX v4 ramp), liquidation fee and insurance-fund target."""
        with cli_errors(as_json):
            from solvency.calibrate.perp import calibrate_perp
            from solvency.config import MarketSpec, load_market
            from solvency.data.resolve import prices_or_sample

            if markets is not None or workers is not None or scheduler is not None:
                from solvency.cli._sweep import market_sweep

                market_sweep(
                    calibrate_perp, markets=markets, protocol="perp", kwargs={"seed": seed}, workers=workers,
                    scheduler=scheduler, as_json=as_json, render_one=_render_perp,
                    conflicts={"--market": market, "--prices": prices},
                )  # fmt: skip
                return

            spec = load_market(market) if market is not None else MarketSpec()
            frame = prices_or_sample(prices) if prices is not None else None
            result = calibrate_perp(spec, prices=frame, seed=seed)
            emit(result.to_dict(), as_json, _render_perp)


def _render_perp(p: Mapping[str, Any]) -> None:
    stdout.print(
        kv_table(
            f"Perp margins at {pct(p['coverage'], 1)} coverage",
            [
                ("IMF (base)", pct(p["imf"])),
                ("MMF (base)", pct(p["mmf"])),
                ("maintenance fraction", p["maintenance_fraction"]),
                ("liquidation fee", pct(p["liquidation_fee"])),
                ("OI lower cap", p["oi_lower_cap"]),
                ("OI upper cap", p["oi_upper_cap"]),
                ("insurance fund target", p["insurance_fund_target"]),
            ],
        )
    )
    table = Table(title="Tiers", title_justify="left")
    for col in ("max notional", "IMF", "MMF", "max leverage"):
        table.add_column(col, justify="right")
    for t in p["tiers"]:
        table.add_row(fmt(t["max_notional"]), pct(t["imf"]), pct(t["mmf"]), f"{1 / t['imf']:.1f}x")
    stdout.print(table)
