"""``solvency demo`` (the whole pipeline on one market, with an HTML report) and ``solvency report --from DIR``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, pct, progress, stdout
from solvency.cli.vol import model_progress


def demo(
    out: Path = typer.Option(Path("demo-out"), "--out", help="Folder for report.html, params.json, results.json."),
    data: Path | None = typer.Option(
        None, "--data", help="Folder of real price files laid out like shared/data (default: $SOLVENCY_DATA)."
    ),
    sample: bool = typer.Option(False, "--sample", help="Use the embedded sample even when $SOLVENCY_DATA is set."),
    seed: int = typer.Option(7, "--seed", help="Master seed (same seed, same numbers)."),
    paths: int | None = typer.Option(None, "--paths", min=10, help="Monte Carlo paths per stress scenario."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run everything on one market — volatility, stress, margins, oracle — and write an HTML report."""
    with cli_errors(as_json):
        from solvency.errors import SolvencyInputError
        from solvency.report.files import write_run
        from solvency.report.inputs import data_folder
        from solvency.report.pipeline import DemoSettings, run_demo

        if sample and data is not None:
            raise SolvencyInputError("give --data or --sample, not both")
        folder = None if sample else data_folder(data)
        settings = DemoSettings(seed=seed, **({"stress_paths": paths} if paths is not None else {}))
        with progress() as bar:
            results = run_demo(data=folder, settings=settings, progress=model_progress(bar))
        files = write_run(results, out)
        payload = {
            "out": out,
            "files": files,
            "report_bytes": files["report"].stat().st_size,
            "data": results["data"]["mode"],
            "runtime_s": results["runtime_s"],
            "timings": results["timings"],
            "summary": {k: v["summary"] for k, v in results["sections"].items()},
            "params": json.loads(files["params"].read_text(encoding="utf-8")),
        }
        emit(payload, as_json, _render_demo)


def report(
    source: Path = typer.Option(..., "--from", help="A demo output folder (or its results.json)."),
    out: Path | None = typer.Option(None, "--out", help="Where to write the report (default: DIR/report.html)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Re-render the HTML report from a demo run's saved results (no recomputation)."""
    with cli_errors(as_json):
        from solvency.report.files import REPORT, read_results
        from solvency.report.render import render_report

        results = read_results(source)
        folder = source if source.is_dir() else source.parent
        path = render_report(results, out if out is not None else folder / REPORT)
        payload = {"report": path, "report_bytes": path.stat().st_size, "sections": list(results["sections"])}
        emit(payload, as_json, lambda p: stdout.print(f"report: {p['report']} ({p['report_bytes'] / 1e6:.1f} MB)"))


def _render_demo(p: Mapping[str, Any]) -> None:
    s, t = p["summary"], p["timings"]
    table = Table(title=f"solvency demo · {p['data']} data · {p['runtime_s']:.1f} s", title_justify="left")
    table.add_column("part", style="bold")
    table.add_column("result")
    table.add_column("s", justify="right")
    rows: list[tuple[str, str, str]] = []
    if "market" in s:
        m = s["market"]
        rows.append(
            (
                "volatility",
                f"regime {m['regime']} (Markov {m['markov_regime']}); {m['best_model'].upper()} "
                f"{pct(m['sigma_annual'], 1)} annualised; ES99 1d loss {pct(m['es99_1d'], 1)}",
                "market",
            )
        )
    if "stress" in s:
        st = s["stress"]
        rows.append(
            (
                "stress",
                f"worst {st['worst_scenario']}: ES99 bad debt {pct(st['worst_es99_share'], 2)} of debt, "
                f"P(any) {pct(st['worst_prob'], 0)} ({st['scenarios']} scenarios × {st['paths']} paths)",
                "stress",
            )
        )
    if "lending" in s:
        ln = s["lending"]
        rows.append(
            (
                "lending",
                f"{ln['asset']} LTV {pct(ln['ltv'])} LT {pct(ln['liquidation_threshold'])} "
                f"LB {pct(ln['liquidation_bonus'])} (now LT {pct(ln['current_liquidation_threshold'])}); "
                f"{ln['markets']} markets, steward steps "
                + ", ".join(f"{k.removeprefix('aave-v3-')} {v}" for k, v in ln["transition_steps"].items()),
                "lending",
            )
        )
    if "perp" in s:
        pp = s["perp"]
        verdict = "passes" if pp["pass"] else "fails"
        rows.append(
            (
                "perp margins",
                f"IMF {pct(pp['imf'])} MMF {pct(pp['mmf'])} fee {pct(pp['liquidation_fee'])}; backtest "
                f"{pp['exceedances']} exceedances vs {pp['expected']:.0f} expected (static {pp['static_exceedances']}),"
                f" {verdict} Kupiec+Christoffersen",
                "perp",
            )
        )
    if "portfolio" in s:
        pm = s["portfolio"]
        rows.append(
            (
                "portfolio margin",
                f"IM {fmt(pm['initial_margin'])}, MM {fmt(pm['maintenance_margin'])}, R ±{pct(pm['price_range'])}",
                "portfolio",
            )
        )
    if "oracle" in s:
        o = s["oracle"]
        rows.append(
            (
                "risk oracle",
                f"{o['updates']} updates ({o['market']}), regime up to {o['max_regime']}; LTV "
                f"{pct(o['ltv_start'], 1)} → min {pct(o['ltv_min'], 1)}, {o['guardrail_clamps']} clamps",
                "oracle",
            )
        )
    if "liquidation" in s:
        lq = s["liquidation"]
        rows.append(
            (
                "liquidation",
                f"least bad debt: {lq['best_policy']} ({fmt(lq['best_bad_debt_mean'])} mean vs "
                f"{fmt(lq['health_first_bad_debt_mean'])} for health_first), {lq['policies']} policies × "
                f"{lq['scenarios']} scenarios",
                "liquidation",
            )
        )
    for label, text, key in rows:
        table.add_row(label, text, f"{t.get(key, 0.0):.1f}")
    stdout.print(table)
    f = p["files"]
    stdout.print(f"report  {f['report']} ({p['report_bytes'] / 1e6:.1f} MB, opens offline)", highlight=False)
    stdout.print(f"params  {f['params']}", highlight=False)
    stdout.print(f"results {f['results']} (re-render: solvency report --from {p['out']})", highlight=False)


def register(app: typer.Typer) -> None:
    """Attach ``demo`` and ``report`` to the root app."""
    app.command("demo")(demo)
    app.command("report")(report)
