"""CLI plumbing of sweeps: the ``--markets`` / ``--workers`` / ``--scheduler`` options, the executor's life, and
the bodies and renderings of ``stress --markets DIR``, ``margin-backtest FILE FILE …`` and of any per-market
command (``calibrate … --markets DIR``, :func:`market_sweep`).

The commands themselves stay in their own modules; each adds the options below and hands over here when a sweep
is asked for, so its one-market / one-file behaviour is untouched. A per-market command needs three options and
one call::

    if markets is not None or workers is not None or scheduler is not None:
        market_sweep(calibrate_x, markets=markets, protocol="lending", kwargs={"seed": seed}, workers=workers,
                     scheduler=scheduler, as_json=as_json, render_one=_render_x, conflicts={"--market": market})
        return
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import emit, fmt, pct, progress, stderr, stdout

MARKETS_OPTION = typer.Option(
    None,
    "--markets",
    help="Folder of market specs (*.toml): stress every lending market in it. With it, --scenario takes a "
    "comma-separated list, or 'spec' for each market's \\[risk] scenarios.",
)
WORKERS_OPTION = typer.Option(
    None, "--workers", min=1, help="Run the sweep on a local Dask cluster of N worker processes (1 thread each)."
)
SCHEDULER_OPTION = typer.Option(
    None, "--scheduler", help="Run the sweep on an existing Dask cluster, e.g. tcp://10.0.0.5:8786."
)
MARKETS_DIR_OPTION = typer.Option(
    None, "--markets", help="Folder of market specs (*.toml): run for every market of this kind in it (a sweep)."
)
CHUNK_OPTION = typer.Option(
    1024, "--chunk-paths", min=256, help="Paths per task (a multiple of 256); changes no number, only scheduling."
)


@contextlib.contextmanager
def executor(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """The executor for the options, closed (cluster shut down) on the way out; its note goes to stderr."""
    from solvency.sweep.executors import get_executor

    ex = get_executor(workers, scheduler)
    try:
        if ex.note:
            stderr.print(f"[yellow]note:[/] {ex.note}", highlight=False)
        if ex.kind == "dask":
            d = ex.describe()
            stderr.print(f"[dim]Dask: {d['workers']} workers at {d['scheduler']}[/]", highlight=False)
        yield ex
    finally:
        ex.close()


def _ticker(bar: Any, what: str) -> Any:
    task = bar.add_task(what, total=None)

    def tick(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return tick


# -------------------------------------------------------------------------------------------------- stress


def stress_sweep(
    *,
    market: Path | None,
    book: Path | None,
    markets: Path | None,
    scenario: str | None,
    prices: Path | None,
    column: str | None,
    paths: int | None,
    seed: int | None,
    horizon: str | None,
    step: str | None,
    policy: str | None,
    engine: str | None,
    intrabar: str,
    gas: Path | None,
    gas_column: str,
    conditions: str | None,
    chunk_paths: int,
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
) -> None:
    """``solvency stress --markets DIR …``: every lending market × scenario, one JSON object."""
    from solvency.errors import SolvencyInputError
    from solvency.sweep.stress import sweep_stress

    if markets is None or market is not None or book is not None:
        raise SolvencyInputError(
            "--markets DIR runs a sweep (each spec brings its own book); --workers and --scheduler split one",
            hint="give --markets DIR, without --market or --book",
        )
    frame = None
    if prices is not None:
        from solvency.data.loading import load_prices

        frame = load_prices(prices, column=column)
    with executor(workers, scheduler) as ex, progress() as bar:
        result = sweep_stress(
            markets,
            scenarios=scenario,
            paths=paths,
            seed=seed,
            horizon=horizon,
            step=step,
            policy=policy,
            engine=engine,
            prices=frame,
            intrabar=intrabar,
            gas=gas,
            gas_column=gas_column,
            conditions=conditions,
            chunk_paths=chunk_paths,
            executor=ex,
            progress=_ticker(bar, "simulating chunks"),
        )
    emit(result.to_dict(), as_json, _render_stress)


def _render_stress(p: Mapping[str, Any]) -> None:
    by_scenario: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
    for name, market in p["markets"].items():
        for label, r in market["scenarios"].items():
            by_scenario.setdefault(label, []).append((name, r))
    for label, rows in by_scenario.items():
        paths = "/".join(sorted({f"{r['paths']:,}" for _, r in rows}))
        table = Table(title=f"{label}: bad debt in quote units over {paths} paths", title_justify="left")
        for col in ("market", "debt", "mean", "VaR95", "ES99", "P(any)", "LaR95"):
            table.add_column(col, overflow="fold") if col == "market" else table.add_column(col, justify="right")
        for name, r in rows:
            b = r["bad_debt"]
            table.add_row(
                name,
                compact(r["debt_total"]),
                compact(b["mean"]),
                compact(b["var95"]),
                compact(b["es99"]),
                pct(b["prob"], 1),
                compact(r["liquidations"]["lar95"]),
            )
        stdout.print(table)
    totals = Table(title="totals by scenario (sums of the markets' means)", title_justify="left")
    totals.add_column("scenario", no_wrap=True)
    for col in ("markets", "debt", "bad debt", "liquidated", "any bad debt"):
        totals.add_column(col, justify="right")
    totals.add_column("worst ES99/debt", overflow="fold")
    for label, t in p["totals"].items():
        totals.add_row(
            label,
            fmt(t["markets"]),
            compact(t["debt_total"]),
            compact(t["bad_debt_mean"]),
            compact(t["liquidated_volume_mean"]),
            fmt(t["markets_with_bad_debt"]),
            t["worst_market"] or "—",
        )
    stdout.print(totals)
    for s in p["skipped"]:
        stdout.print(f"skipped {s['name']} ({s['file']}): {s['reason']}")
    _footer(p, f"{p['tasks']} tasks, seed {p['seed']}")


def compact(value: float | None) -> str:
    """A quote amount in 3 significant digits with k / M / B (display only)."""
    if value is None or value != value:
        return "—"
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def _footer(p: Mapping[str, Any], what: str) -> None:
    ex = p["executor"]
    where = "this process" if ex["kind"] == "local" else f"{ex['workers']} Dask workers at {ex['scheduler']}"
    stdout.print(f"{what} on {where}; {p['runtime_s']:.2f} s")


# -------------------------------------------------------------------------------------------------- margin


def margin_sweep(
    *,
    files: Sequence[Path],
    coverage: float,
    horizon: int,
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
    render_one: Any,
) -> bool:
    """``solvency margin-backtest FILE FILE …``; returns whether every file passed. One file prints the
    one-file object with ``render_one`` (as without a sweep); several print ``{"files": {FILE: …}, "pass": …}``."""
    from solvency.sweep.margin import sweep_margin_backtest

    with executor(workers, scheduler) as ex, progress() as bar:
        result = sweep_margin_backtest(
            files, coverage=coverage, horizon=horizon, executor=ex, progress=_ticker(bar, "backtesting files")
        )
    if len(files) == 1:
        emit(next(iter(result.results.values())).to_dict(), as_json, render_one)
    else:
        emit(result.to_dict(), as_json, _render_margin)
    return result.passed


def _render_margin(p: Mapping[str, Any]) -> None:
    table = Table(title="margin backtests of the dynamic margin", title_justify="left")
    for col in ("file", "exc. / expected", "Kupiec p", "Chr. p", "mean", ""):
        table.add_column(col, overflow="fold") if col == "file" else table.add_column(col, justify="right")
    names = {name: Path(name).name for name in p["files"]}
    if len(set(names.values())) < len(names):  # same file name in two folders: show the paths
        names = {name: name for name in names}
    for name, r in p["files"].items():
        table.add_row(
            names[name],
            f"{r['exceedances']:,} / {r['expected']:,.0f}",
            f"{r['kupiec_p']:.3f}",
            f"{r['christoffersen_p']:.3f}",
            pct(r["mean_margin"]),
            "pass" if r["pass"] else "FAIL",
        )
    stdout.print(table)
    _footer(p, f"{p['passed']} passed, {p['failed']} failed")


# ---------------------------------------------------------------------------------------------- per market


def market_sweep(
    fn: Any,
    *,
    markets: Path | None,
    protocol: str | None,
    kwargs: Mapping[str, Any],
    workers: int | None,
    scheduler: str | None,
    as_json: bool,
    render_one: Any = None,
    render: Any = None,
    conflicts: Mapping[str, Any] | None = None,
) -> None:
    """``solvency <command> --markets DIR``: ``fn(spec, **kwargs)`` for every market of ``protocol`` in ``DIR``.

    ``conflicts`` maps the command's one-market options (``--market``, ``--prices`` …) to their values; any that is
    set is refused, since each spec brings its own. JSON: ``{"markets": {name: <the one-market object>}, "files",
    "skipped", "seed", "executor", "runtime_s"}``; humans get ``render_one`` per market, or ``render`` on the
    markets map at once.
    """
    from solvency.errors import SolvencyInputError
    from solvency.sweep.markets import sweep_markets

    given = [option for option, value in (conflicts or {}).items() if value is not None]
    if markets is None or given:
        raise SolvencyInputError(
            "--markets DIR runs a sweep in which each spec brings its own files; --workers and --scheduler split one",
            hint=f"give --markets DIR{' without ' + ', '.join(given) if given else ''}",
        )
    with executor(workers, scheduler) as ex, progress() as bar:
        result = sweep_markets(
            fn, markets, protocol=protocol, kwargs=kwargs, executor=ex, progress=_ticker(bar, "markets")
        )
    emit(result.to_dict(), as_json, lambda p: _render_markets(p, render_one, render))


def _render_markets(p: Mapping[str, Any], render_one: Any, render: Any) -> None:
    if render is not None:
        render(p)  # the whole sweep, skipped markets included
    else:
        for name, one in p["markets"].items():
            stdout.rule(f"{name}  ({p['files'][name]})", align="left")
            if render_one is not None:
                render_one(one)
            else:
                stdout.print_json(data=one)
        for s in p["skipped"]:
            stdout.print(f"skipped {s['name']} ({s['file']}): {s['reason']}")
    _footer(p, f"{len(p['markets'])} markets")
