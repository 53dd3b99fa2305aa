"""``solvency liquidate``: a liquidation plan for a loan book, or the liquidation policies compared in crashes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, progress, stdout

PLAN_ROWS = 20


def register(app: typer.Typer) -> None:
    """Attach the ``liquidate`` command to the root app."""
    app.command(name="liquidate")(liquidate)


def liquidate(
    book: Path | None = typer.Option(None, "--book", help="Loan book CSV (id, collateral_asset, ... debt_amount)."),
    price: float | None = typer.Option(None, "--price", help="Price of the market's asset now (quote units)."),
    prices: Path | None = typer.Option(
        None, "--prices", help="Price history: its last close is the price, its volatility the risk model's."
    ),
    market: Path | None = typer.Option(None, "--market", help="Market spec (TOML); default: WETH/USDC sample."),
    policy: str = typer.Option(
        "risk_weighted", "--policy", help="health_first, largest_first, risk_weighted or optimized."
    ),
    step: str | None = typer.Option(None, "--step", help='Plan step, e.g. "5m" (default: the spec\'s \\[sim] step).'),
    capacity: float | None = typer.Option(None, "--capacity", help="Repay liquidators can fund per step."),
    depth: float = typer.Option(1.0, "--depth", help="Depth multiplier on the slippage curve (0.3 in a crash)."),
    horizon: str | None = typer.Option(None, "--horizon", help="Horizon of the expected bad debt (default: plan)."),
    sigma: float | None = typer.Option(None, "--sigma", help="Annualised volatility instead of the model's."),
    vol_model: str = typer.Option("ewma", "--vol-model", help="Volatility model: ewma, garch, gjr or har."),
    compare_policies: bool = typer.Option(
        False, "--compare-policies", help="Compare the policies in simulated crashes instead of planning."
    ),
    scenario: list[str] | None = typer.Option(
        None, "--scenario", help="Named scenario to compare in (repeatable; default: the spec's \\[risk] scenarios)."
    ),
    replay: list[Path] | None = typer.Option(None, "--replay", help="Price file to replay (repeatable)."),
    gas: list[Path] | None = typer.Option(None, "--gas", help="Gas file (wei) for each --replay, in order."),
    paths: int = typer.Option(1000, "--paths", min=1, help="Monte Carlo paths per scenario when comparing."),
    seed: int = typer.Option(0, "--seed", help="Random seed shared by every policy (common random numbers)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Plan which liquidatable positions to liquidate first and in what sizes — or compare the policies."""
    if compare_policies:
        if price is not None or prices is not None:
            raise typer.BadParameter("--price/--prices plan a book; to replay a price file use --replay")
        _compare(market, book, scenario, replay, gas, paths, seed, horizon, as_json)
        return
    if book is None:
        raise typer.BadParameter("give --book FILE (or --compare-policies)", param_hint="--book")
    if scenario or replay or gas:
        raise typer.BadParameter("--scenario/--replay/--gas go with --compare-policies")
    if price is not None and prices is not None:
        raise typer.BadParameter("give --price or --prices, not both")
    with cli_errors(as_json):
        from solvency.liquidation.plan import plan_liquidations

        plan = plan_liquidations(
            book,
            price=price,
            prices=prices,
            market=market,
            policy=policy,
            sigma=sigma,
            vol_model=vol_model,
            step=step,
            capacity=capacity,
            depth=depth,
            horizon=horizon,
        )
        if as_json:
            emit(plan.to_dict(), True)
        else:
            _render_plan(plan)


def _compare(
    market: Path | None,
    book: Path | None,
    scenarios: list[str] | None,
    replays: list[Path] | None,
    gas: list[Path] | None,
    paths: int,
    seed: int,
    horizon: str | None,
    as_json: bool,
) -> None:
    if gas and len(gas) > len(replays or []):
        raise typer.BadParameter("one --gas per --replay at most, in the same order")
    with cli_errors(as_json):
        from solvency.liquidation.compare import Replay, compare_policies

        reps = [Replay(p, (gas or [])[k] if k < len(gas or []) else None) for k, p in enumerate(replays or [])]
        with progress() as bar:
            task = bar.add_task("comparing policies", total=None)

            def tick(label: str, done: int, total: int) -> None:
                bar.update(task, description=label, completed=done, total=total)

            result = compare_policies(
                market,
                scenarios=scenarios or None,
                replays=reps,
                book=book,
                paths=paths,
                seed=seed,
                horizon=horizon,
                progress=tick,
            )
        emit(result.to_dict(), as_json, _render_comparison)


def _render_plan(plan: Any) -> None:
    s = plan.settings
    positions = plan.positions
    stdout.print(
        kv_table(
            f"liquidation plan — {plan.policy}",
            [
                ("liquidatable positions", len(positions)),
                ("their debt", float(positions["debt"].sum()) if len(positions) else 0.0),
                ("liquidations", len(plan.chunks)),
                ("steps", f"{plan.steps} × {s.to_dict()['step']}"),
                ("capacity per step", s.capacity),
                ("repaid", float(plan.chunks["repay"].sum()) if len(plan.chunks) else 0.0),
                ("expected bad debt", plan.expected_bad_debt),
                ("… with no liquidation", plan.untouched_bad_debt),
                ("expected slippage", plan.total_slippage),
                ("horizon", s.to_dict()["horizon"]),
                ("volatility", ", ".join(pct(v, 1) for v in s.sigma)),
            ],
        )
    )
    if len(plan.chunks):
        table = Table(title=f"first {min(PLAN_ROWS, len(plan.chunks))} liquidations", title_justify="left")
        for col in ("order", "step", "position", "repay", "seize", "slippage", "HF", "P(insolvent)"):
            table.add_column(col, justify="left" if col == "position" else "right")
        pos = positions
        for row in plan.chunks.head(PLAN_ROWS).itertuples(index=False):
            table.add_row(
                str(row.order),
                str(row.step),
                str(row.position),
                fmt(float(row.repay)),
                fmt(float(row.seize)),
                fmt(float(row.expected_slippage)),
                f"{float(pos['health_factor'].iat[row.index]):.3f}",
                pct(float(pos["insolvency_probability"].iat[row.index]), 1),
            )
        stdout.print(table)


def _render_comparison(payload: Mapping[str, Any]) -> None:
    for scen, block in payload["scenarios"].items():
        table = Table(title=f"{scen} — {payload['paths']:,} paths, seed {payload['seed']}", title_justify="left")
        for col in ("policy", "bad debt, mean", "bad debt, ES99", "slippage, mean"):
            table.add_column(col, justify="left" if col == "policy" else "right")
        best = min(v["bad_debt_mean"] for v in block["policies"].values())
        for name, m in block["policies"].items():
            mark = " ◀" if m["bad_debt_mean"] == best else ""
            table.add_row(name + mark, fmt(m["bad_debt_mean"]), fmt(m["bad_debt_es99"]), fmt(m["slippage_mean"]))
        stdout.print(table)
