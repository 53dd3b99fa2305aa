"""``solvency vol`` and ``solvency vol-backtest``: volatility now, over a horizon, and how good the forecasts are."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.progress import Progress
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, progress, stdout
from solvency.data.resolve import prices_or_sample

FILE_ARG = typer.Argument(None, help="Price file (CSV/Parquet/JSON); default: the embedded sample market.")
COLUMN_OPTION = typer.Option(None, "--column", help="Series to use where the file holds several.")


class Model(StrEnum):
    """Forecast models of ``solvency vol``."""

    ewma = "ewma"
    garch = "garch"
    gjr = "gjr"
    har = "har"


def vol(
    file: Path | None = FILE_ARG,
    column: str | None = COLUMN_OPTION,
    model: Model = typer.Option(
        Model.ewma, "--model", help="ewma (RiskMetrics), garch / gjr (Student t, via arch) or har (log-HAR-RV)."
    ),
    horizon: str = typer.Option("1d", "--horizon", help='Forecast horizon: "10m", "1h", "1d", "7d" …'),
    as_json: bool = JSON_OPTION,
) -> None:
    """Volatility now (annualised) and over a horizon, with the market regime and EVT tail risk."""
    from solvency.market.volatility import volatility

    with cli_errors(as_json):
        prices = prices_or_sample(file, column=column)
        result = volatility(prices, model=model.value, horizon=horizon)
        payload = result.to_dict()
        if not as_json:
            stdout.print(f"[dim]{prices.attrs.get('source', '')} · {len(prices):,} bars · as of {result.as_of}[/]")
            for note in result.notes:
                stdout.print(f"[yellow]note:[/] {note}")
        emit(payload, as_json, _render_vol)


def _render_vol(d: Mapping[str, Any]) -> None:
    h = d["horizon"]
    rows: list[tuple[str, Any]] = [
        ("model", d["model"]),
        ("volatility, annualised", pct(d["sigma_annual"])),
        (f"volatility over {h}", pct(d["sigma_horizon"])),
        ("regime", d["regime"]),
    ]
    t = d["tail"]
    if t["var99"] is not None:
        rows += [
            (f"VaR 99 % ({h} loss)", pct(t["var99"])),
            (f"ES 99 % ({h} loss)", pct(t["es99"])),
            (f"VaR 99.9 % ({h} loss)", pct(t["var999"])),
            (f"ES 99.9 % ({h} loss)", pct(t["es999"])),
            ("GPD tail shape ξ", fmt(t["xi"], 3)),
        ]
    stdout.print(kv_table("volatility", rows))


def vol_backtest_cmd(
    file: Path | None = FILE_ARG,
    column: str | None = COLUMN_OPTION,
    start: str | None = typer.Option(None, "--start", help="First day scored (YYYY-MM-DD); default after 250 bars."),
    refit_every: int = typer.Option(20, "--refit-every", min=1, help="Bars between GARCH re-estimations."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Walk-forward one-step variance forecasts of every model, scored by QLIKE and MSE (Diebold-Mariano vs EWMA)."""
    from solvency.market.backtest import vol_backtest

    with cli_errors(as_json):
        prices = prices_or_sample(file, column=column)
        with progress() as bar:
            result = vol_backtest(prices, start=start, refit_every=refit_every, progress=model_progress(bar))
        emit(result.to_dict(), as_json, _render_backtest)


def model_progress(bar: Progress, prefix: str = "") -> Callable[[str, int, int], None]:
    """A backtest progress callback ``(model, done, total)`` that keeps one bar per model."""
    tasks: dict[str, Any] = {}

    def tick(model: str, done: int, total: int) -> None:
        if model not in tasks:
            tasks[model] = bar.add_task(f"{prefix}{model}", total=total)
        bar.update(tasks[model], completed=done)

    return tick


def _render_backtest(d: Mapping[str, Any]) -> None:
    table = Table(title=f"walk-forward variance forecasts · {d['n']:,} bars · proxy {d['proxy']}", title_justify="left")
    table.add_column("model", style="bold")
    table.add_column("QLIKE", justify="right")
    table.add_column("MSE", justify="right")
    table.add_column("vs EWMA (QLIKE)", justify="right")
    base = d["models"]["ewma"]["qlike"]
    for name, s in d["models"].items():
        label = f"{name} *" if name == d["best"] else name
        table.add_row(label, fmt(s["qlike"]), f"{s['mse']:.3e}", pct(1 - s["qlike"] / base, 1))
    stdout.print(table)
    p = d["dm_pvalue"]
    verdict = "—" if p is None else f"{p:.3g}" + (" (significant at 5 %)" if p < 0.05 else " (not significant)")
    stdout.print(
        f"best [bold]{d['best']}[/]: QLIKE {pct(d['improvement_vs_ewma'], 1)} better than EWMA; "
        f"Diebold-Mariano p-value {verdict}"
    )


def register(app: typer.Typer) -> None:
    """Attach ``vol`` and ``vol-backtest`` to the root app."""
    app.command("vol")(vol)
    app.command("vol-backtest")(vol_backtest_cmd)
