"""``solvency stress``: bad debt and liquidations of a lending market in a crash (scenario, replay or model)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, progress, stdout
from solvency.cli._sweep import CHUNK_OPTION, MARKETS_OPTION, SCHEDULER_OPTION, WORKERS_OPTION


def register(app: typer.Typer) -> None:
    """Attach the ``stress`` command to the root app."""
    app.command(name="stress")(stress)


def stress(
    market: Path | None = typer.Option(None, "--market", help="Market spec (TOML); default: WETH/USDC sample."),
    scenario: str | None = typer.Option(
        None, "--scenario", help="Named scenario, e.g. black-thursday-2020 (see --list-scenarios)."
    ),
    prices: Path | None = typer.Option(None, "--prices", help="Price file to replay at its own resolution."),
    book: Path | None = typer.Option(None, "--book", help="Loan book CSV (default: the spec's or synthetic)."),
    paths: int | None = typer.Option(None, "--paths", min=1, help="Monte Carlo paths (default: risk.paths)."),
    horizon: str | None = typer.Option(None, "--horizon", help='Horizon, e.g. "1d" (default: the scenario).'),
    seed: int | None = typer.Option(None, "--seed", help="Random seed (same seed, same numbers)."),
    step: str | None = typer.Option(None, "--step", help='Simulation step for scenarios and models, e.g. "5m".'),
    gas: Path | None = typer.Option(None, "--gas", help="Gas price file (wei per gas) for a replay."),
    gas_column: str = typer.Option("avgGasDay", "--gas-column", help="Column of the gas file to use."),
    column: str | None = typer.Option(None, "--column", help="Price column of --prices if not close."),
    intrabar: str = typer.Option("close", "--intrabar", help="Replay bar closes ('close') or O-H-L-C ('ohlc')."),
    policy: str | None = typer.Option(None, "--policy", help="health_first, largest_first, risk_weighted, optimized."),
    engine: str | None = typer.Option(None, "--engine", help="fast (default), general or reference."),
    conditions: str | None = typer.Option(
        None, "--conditions", help="Oracle/liquidator what-if: current, congested-2020."
    ),
    list_scenarios: bool = typer.Option(False, "--list-scenarios", help="List the named scenarios and exit."),
    markets: Path | None = MARKETS_OPTION,
    workers: int | None = WORKERS_OPTION,
    scheduler: str | None = SCHEDULER_OPTION,
    chunk_paths: int = CHUNK_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Simulate the loan book through a crash: bad debt (mean, VaR95, ES99), liquidations, insolvencies."""
    with cli_errors(as_json):
        from solvency.errors import SolvencyInputError
        from solvency.sim.scenarios import SCENARIOS
        from solvency.sim.stress import simulate_lending, with_conditions

        if list_scenarios:
            emit({"scenarios": [s.facts() for s in SCENARIOS.values()]}, as_json, _render_scenarios)
            return
        if markets is not None or workers is not None or scheduler is not None:
            from solvency.cli._sweep import stress_sweep

            stress_sweep(
                market=market, book=book, markets=markets, scenario=scenario, prices=prices, column=column,
                paths=paths, seed=seed, horizon=horizon, step=step, policy=policy, engine=engine, intrabar=intrabar,
                gas=gas, gas_column=gas_column, conditions=conditions, chunk_paths=chunk_paths, workers=workers,
                scheduler=scheduler, as_json=as_json,
            )  # fmt: skip
            return
        if scenario is not None and prices is not None:
            raise SolvencyInputError("give --scenario or --prices, not both")
        price_frame = None
        if prices is not None:
            from solvency.data.loading import load_prices

            price_frame = load_prices(prices, column=column)
        with progress() as bar:
            task = bar.add_task("simulating paths", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            spec = with_conditions(market, conditions) if conditions else market
            result = simulate_lending(
                spec,
                scenario=scenario,
                book=book,
                paths=paths,
                seed=seed,
                horizon=horizon,
                prices=price_frame,
                gas=gas,
                gas_column=gas_column,
                intrabar=intrabar,
                step=step,
                policy=policy,
                engine=engine,
                progress=tick,
            )
        payload = result.to_dict()
        if as_json:
            emit(payload, True)
        else:
            _render(payload, result)


def _render(payload: Mapping[str, Any], result: Any) -> None:
    b, liq = payload["bad_debt"], payload["liquidations"]
    debt = payload["debt_total"] or float("nan")
    stdout.print(
        kv_table(
            f"stress: {payload['scenario']} — {payload['paths']:,} paths over {payload['horizon']}",
            [
                ("debt", payload["debt_total"]),
                ("bad debt, mean", f"{fmt(b['mean'])}  ({pct(b['mean'] / debt, 3)} of debt)"),
                ("bad debt, VaR95", b["var95"]),
                ("bad debt, ES99", b["es99"]),
                ("P(any bad debt)", pct(b["prob"])),
                ("bad debt, max", b["max"]),
                ("liquidations per path", liq["count_mean"]),
                ("liquidated volume, mean", liq["volume_mean"]),
                ("LaR95", liq["lar95"]),
                ("insolvent positions per path", payload["insolvent_positions_mean"]),
                ("runtime", f"{payload['runtime_s']:.2f} s"),
            ],
        )
    )
    if len(result.worst):
        table = Table(title="positions with the most bad debt (mean over paths)", title_justify="left")
        for col in ("id", "asset", "debt", "bad debt", "share"):
            table.add_column(col, justify="left" if col in ("id", "asset") else "right")
        for row in result.worst.itertuples(index=False):
            table.add_row(
                str(row.id),
                str(row.asset),
                fmt(float(row.debt)),
                fmt(float(row.bad_debt_mean)),
                pct(float(row.share_of_bad_debt)),
            )
        stdout.print(table)


def _render_scenarios(payload: Mapping[str, Any]) -> None:
    table = Table(title="named scenarios", title_justify="left")
    for col in ("name", "start", "drawdown", "to trough", "length", "vol", "liquidity", "gas ×", "oracle delay"):
        table.add_column(col)
    for s in payload["scenarios"]:
        table.add_row(
            s["name"],
            s["start"][:10],
            pct(s["drawdown"], 1),
            f"{s['trough_hours']:g} h",
            f"{s['horizon_hours']:g} h",
            f"{s['vol']:.2f}",
            f"×{s['liquidity']:g}",
            f"×{s['gas_multiplier']:g}",
            f"{s['oracle_delay_s']} s",
        )
    stdout.print(table)
