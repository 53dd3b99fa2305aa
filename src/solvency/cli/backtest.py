"""``solvency backtest …``: walk-forward backtests of calibrated parameters against static ones."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, pct, progress, stdout
from solvency.cli.calibrate import JUMPS_OPTION, JumpsChoice

group = typer.Typer(help="Walk-forward backtests of calibrated parameters.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Attach the ``backtest`` group to the root app."""
    _lending(group)
    app.add_typer(group, name="backtest")


def _lending(grp: typer.Typer) -> None:
    @grp.command("lending")
    def lending(
        market: Path | None = typer.Option(None, "--market", help="Market spec TOML (default: WETH/USDC sample)."),
        prices: Path | None = typer.Option(None, "--prices", help="Price history to walk over (e.g. ETH daily)."),
        rebalance: str = typer.Option("7d", "--rebalance", help="Interval between re-calibrations (≥ 3d)."),
        policy: str = typer.Option(
            "envelope", "--policy", help="envelope: tighten only from the static parameters; free: both ways."
        ),
        data_root: Path | None = typer.Option(
            None, "--data-root", help="Folder of the crash windows' files (default $SOLVENCY_DATA or ../..)."
        ),
        books: int = typer.Option(16, "--books", min=1, help="Synthetic books each crash is replayed on (mean)."),
        paths: int | None = typer.Option(None, "--paths", min=1, help="Stress paths of the frontier."),
        seed: int | None = typer.Option(None, "--seed", help="Seed of the stress paths."),
        jumps: JumpsChoice | None = JUMPS_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """Re-calibrate on data up to each date, apply forward, replay every crash under dynamic vs static."""
        with cli_errors(as_json):
            from solvency.calibrate.backtest_lending import backtest_lending
            from solvency.calibrate.setup import market_spec

            if jumps is not None:
                market = market_spec(market, jumps=jumps.value)

            with progress() as bar:
                task = bar.add_task("backtest", total=None)

                def tick(stage: str, done: int, total: int) -> None:
                    bar.update(task, description=stage, completed=done, total=total)

                result = backtest_lending(
                    market,
                    prices=prices,
                    rebalance=rebalance,
                    policy=policy,
                    data_root=data_root,
                    books=books,
                    paths=paths,
                    seed=seed,
                    progress=tick,
                )
            emit(result.to_dict(), as_json, _render)


def _render(d: Mapping[str, Any]) -> None:
    table = Table(
        title=f"walk-forward ({d['policy']}, every {d['rebalance']}, {d['period'][0][:10]} → {d['period'][1][:10]})",
        title_justify="left",
    )
    for col in ("window", "source", "LT dynamic", "LT static", "bad debt dynamic", "bad debt static"):
        table.add_column(col, justify="left" if col in ("window", "source") else "right")
    for w in d["windows"]:
        table.add_row(
            w["name"],
            w["source"],
            pct(w["dynamic"]["liquidation_threshold"]),
            pct(w["static"]["liquidation_threshold"]),
            fmt(w["dynamic_bad_debt"]),
            fmt(w["static_bad_debt"]),
        )
    stdout.print(table)
    stdout.print(
        f"mean LT dynamic {pct(d['dynamic_mean_lt'])} vs static {pct(d['static_mean_lt'])}; mean LTV "
        f"{pct(d['dynamic_mean_ltv'])} vs {pct(d['static_mean_ltv'])}; {d['updates']} updates; dynamic "
        f"{'takes no more' if d['dominates'] else 'takes MORE'} bad debt than static in every window"
    )
