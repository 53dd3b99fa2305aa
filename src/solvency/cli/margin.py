"""``solvency margin`` (portfolio margin of an options/perps book) and ``solvency margin-backtest``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, stdout
from solvency.cli._sweep import SCHEDULER_OPTION, WORKERS_OPTION


def _market(market: Path | None, prices: Path | None):
    from solvency.config import MarketSpec, load_market
    from solvency.data.resolve import prices_or_sample

    spec = load_market(market) if market is not None else MarketSpec()
    frame = None
    if prices is not None:
        frame = prices_or_sample(prices)
    return spec, frame


def register(app: typer.Typer) -> None:
    """Attach ``margin`` and ``margin-backtest`` to the root app."""

    @app.command("margin")
    def margin(
        portfolio: Path = typer.Argument(..., help="Positions CSV (instrument, kind, strike, expiry, quantity, vol)."),
        market: Path | None = typer.Option(None, "--market", help="Market spec TOML (\\[options] section)."),
        prices: Path | None = typer.Option(None, "--prices", help="Price history of the underlying."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Portfolio margin: worst loss over the price × vol scenario grid, with Greeks attribution."""
        with cli_errors(as_json):
            from solvency.margin.portfolio import portfolio_margin

            spec, frame = _market(market, prices)
            result = portfolio_margin(portfolio, spec, prices=frame)
            emit(result.to_dict(), as_json, _render_margin)

    @app.command("margin-backtest")
    def margin_backtest(
        files: list[Path] = typer.Argument(
            ..., help="Price history (hourly or finer for hour horizons); several: a sweep."
        ),
        coverage: float = typer.Option(0.99, "--coverage", help="Target coverage, a fraction (0.99)."),
        horizon: str = typer.Option("1h", "--horizon", help="Liquidation horizon, e.g. 1h, 4h."),
        workers: int | None = WORKERS_OPTION,
        scheduler: str | None = SCHEDULER_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Walk the dynamic margin forward; Kupiec and Christoffersen tests vs a static margin."""
        with cli_errors(as_json):
            if len(files) > 1 or workers is not None or scheduler is not None:
                from solvency.cli._sweep import margin_sweep
                from solvency.units import parse_duration

                h = parse_duration(horizon)
                if not margin_sweep(
                    files=files,
                    coverage=coverage,
                    horizon=h,
                    workers=workers,
                    scheduler=scheduler,
                    as_json=as_json,
                    render_one=_render_backtest,
                ):
                    raise typer.Exit(1)
                return
            (file,) = files
            from solvency.calibrate.margin_backtest import margin_backtest as run
            from solvency.data.resolve import prices_or_sample
            from solvency.units import parse_duration

            result = run(prices_or_sample(file), coverage=coverage, horizon=parse_duration(horizon))
            emit(result.to_dict(), as_json, _render_backtest)
            if not result.passed:
                raise typer.Exit(1)


def _render_margin(p: Mapping[str, Any]) -> None:
    w = p["worst_scenario"]
    stdout.print(
        kv_table(
            "Portfolio margin",
            [
                ("initial margin", p["initial_margin"]),
                ("maintenance margin", p["maintenance_margin"]),
                ("short-option minimum", p["short_option_minimum"]),
                ("price range R", pct(p["price_range"])),
                ("worst scenario", f"price {pct(w['price_move'])}, vol {pct(w['vol_shock'])}, P&L {fmt(w['pnl'])}"),
            ],
        )
    )
    table = Table(title="Greeks and worst-scenario attribution", title_justify="left")
    for col in ("", "delta", "gamma", "vega", "theta", "residual"):
        table.add_column(col, justify="right")
    g, a = p["greeks"], p["attribution"]
    table.add_row("greek", *(fmt(g[k]) for k in ("delta", "gamma", "vega", "theta")), "")
    table.add_row("P&L", fmt(a["delta"]), fmt(a["gamma"]), fmt(a["vega"]), "", fmt(a["residual"]))
    stdout.print(table)


def _render_backtest(p: Mapping[str, Any]) -> None:
    s = p["static"]
    table = Table(title="Margin backtest", title_justify="left")
    for col in ("margin", "mean level", "exceedances", "expected", "Kupiec p", "Christoffersen p"):
        table.add_column(col, justify="right")
    table.add_row(
        "dynamic",
        pct(p["mean_margin"]),
        fmt(p["exceedances"]),
        fmt(p["expected"], 1),
        fmt(p["kupiec_p"]),
        fmt(p["christoffersen_p"]),
    )
    table.add_row(
        "static",
        pct(s["margin"]),
        fmt(s["exceedances"]),
        fmt(p["expected"], 1),
        fmt(s["kupiec_p"]),
        fmt(s["christoffersen_p"]),
    )
    stdout.print(table)
    stdout.print(f"observations {p['observations']:,}; dynamic margin {'passes' if p['pass'] else 'FAILS'} both tests")
