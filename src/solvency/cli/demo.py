"""``solvency demo``: the volatility engine end to end on the embedded sample market (offline, ~10 s)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, pct, progress, stdout
from solvency.cli.vol import _render_backtest, model_progress


def demo(as_json: bool = JSON_OPTION) -> None:
    """Run the real volatility pipeline on the embedded sample market and print its summary."""
    from solvency.data.resolve import prices_or_sample
    from solvency.market.overview import market_overview

    with cli_errors(as_json):
        prices = prices_or_sample(None)
        with progress() as bar:
            overview = market_overview(prices, progress=model_progress(bar, "backtest "))
        emit(overview.to_dict(), as_json, render_overview)


def render_overview(d: Mapping[str, Any]) -> None:
    """Rich tables of a :meth:`MarketOverview.to_dict` payload (reused by the full demo)."""
    stdout.print(f"[bold]{d['source']}[/] · {d['bars']:,} {d['bar']} bars · as of {d['as_of']}")
    markov = d["markov"]
    regime = f"regime (rules): [bold]{d['regime']}[/]"
    if markov:
        vols = ", ".join(f"{k} {pct(v, 0)}" for k, v in markov["volatility"].items())
        regime += f" · Markov switching: [bold]{markov['current']}[/] (regime vols {vols})"
    stdout.print(regime)
    models = d["models"]
    horizons = list(next(iter(models.values()))["sigma_horizon"])
    table = Table(title="volatility forecasts", title_justify="left")
    table.add_column("model", style="bold")
    table.add_column("annualised", justify="right")
    for h in horizons:
        table.add_column(f"σ {h}", justify="right")
    table.add_column(f"ES99 {horizons[0]} loss", justify="right")
    table.add_column("ξ", justify="right")
    for name, m in models.items():
        tail = m["tail"][horizons[0]]
        table.add_row(
            name,
            pct(m["sigma_annual"], 1),
            *(pct(m["sigma_horizon"][h], 2) for h in horizons),
            pct(tail["es99"], 2),
            "—" if tail["xi"] is None else f"{tail['xi']:.3f}",
        )
    stdout.print(table)
    t = d["loss_tails"]
    tails = Table(title=f"per-bar ({d['bar']}) loss tails: EVT vs historical vs normal", title_justify="left")
    tails.add_column("method", style="bold")
    for col in ("VaR 99 %", "ES 99 %", "VaR 99.9 %", "ES 99.9 %"):
        tails.add_column(col, justify="right")
    for name in ("evt", "historical", "normal"):
        row = t[name]
        tails.add_row(name, *(pct(row[k]) for k in ("var99", "es99", "var999", "es999")))
    stdout.print(tails)
    if d["backtest"] is not None:
        _render_backtest(d["backtest"])


def register(app: typer.Typer) -> None:
    """Attach ``demo`` to the root app."""
    app.command("demo")(demo)
