"""``solvency data …``: check, clean and fetch price files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, kv_table, progress, stderr, stdout
from solvency.errors import SolvencyInputError

SHOWN_PER_KIND = 12
"""Issues of one kind listed in the human table before "… and N more" (``--json`` lists all)."""


def register(app: typer.Typer) -> None:
    """Attach the ``data`` command group to the root app."""
    group = typer.Typer(help="Check, clean and fetch price data.", no_args_is_help=True)
    group.command("check")(check)
    group.command("fetch")(fetch)
    app.add_typer(group, name="data")


def check(
    file: Path = typer.Argument(..., help="Price file: CSV, Parquet or JSON, in any shape load_prices reads."),
    column: str | None = typer.Option(
        None, "--column", "-c", help="Series to check in a file holding several (all of them when omitted)."
    ),
    step: str | None = typer.Option(None, "--step", help="Bar length to judge gaps against (inferred if omitted)."),
    clean: bool = typer.Option(False, "--clean", help="Write a cleaned copy and the list of what was changed."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Cleaned file (default <stem>.clean.csv beside FILE; .parquet/.json by suffix)."
    ),
    keep_spikes: bool = typer.Option(
        False, "--keep-spikes", help="With --clean: leave spikes as they are (real events that look like bad prints)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Report what is wrong with a price file, with times; exit 1 on fatal problems.

    Fatal: non-finite or non-positive prices, repeated or unsorted timestamps. Also reported: gaps,
    off-grid times, single-bar spikes, stale runs, OHLC inconsistencies. With --clean, writes a cleaned
    copy (never over FILE) and a <stem>.changes.json listing every row dropped, moved or repaired; the exit
    code is then that of the cleaned file.
    """
    from solvency.data.cleaning import clean_prices
    from solvency.data.validation import check_file
    from solvency.data.writing import write_prices
    from solvency.jsonutil import dumps

    with cli_errors(as_json):
        report, frame = check_file(file, column=column, step=step)
        payload: dict[str, Any] = report.to_dict()
        ok = report.ok
        if clean:
            if frame is None:
                raise typer.BadParameter(
                    f"{file} holds several series ({', '.join(report.columns or [])}); choose one with --column",
                    param_hint="--column",
                )
            target, changes_path = _clean_paths(file, out)
            cleaned, changes = clean_prices(frame, report, repair_spikes=not keep_spikes)
            write_prices(cleaned, target)
            after, _ = check_file(target, step=step)
            changes_doc = {
                "source": str(file),
                "cleaned": str(target),
                "rules": "solvency.data.cleaning (module docstring)",
                "changes": [c.to_dict() for c in changes],
            }
            try:
                changes_path.write_text(dumps(changes_doc, indent=1) + "\n")
            except OSError as exc:
                raise SolvencyInputError(f"cannot write: {exc.strerror}", path=changes_path) from exc
            payload["clean"] = {
                "out": str(target),
                "changes_file": str(changes_path),
                "changes": len(changes),
                "by_action": _count(c.action for c in changes),
                "report": after.to_dict(),
            }
            ok = after.ok
        emit(payload, as_json, _render_check(str(file)))
        if not ok:
            raise typer.Exit(1)


def fetch(
    source: str = typer.Argument(..., help="binance, coinbase, coingecko or deribit."),
    symbol: str = typer.Argument(
        ..., help="ETHUSDT (binance), ETH-USD (coinbase), ethereum\\[/usd] (coingecko), BTC (deribit DVOL)."
    ),
    interval: str = typer.Option(..., "--interval", "-i", help="Bar length: 1m, 5m, 1h, 4h, 1d … (source-dependent)."),
    start: str = typer.Option(..., "--start", help="First time (UTC), e.g. 2024-01-01."),
    end: str = typer.Option(..., "--end", help="End time (UTC), excluded, e.g. 2024-02-01."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write: .csv (default), .parquet or .json."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Fetch bars from a public no-key endpoint, write them to a file and validate it.

    Pages through the source's limits, retries 429/5xx/timeouts with exponential backoff (honouring
    Retry-After) and keeps under its rate limit. Exit 1 when the source fails or the data has fatal problems.
    """
    from solvency.data.fetch import fetch_to_file

    with cli_errors(as_json):
        with progress(disable=as_json) as bar:
            task = bar.add_task(f"{source} {symbol}", total=None)
            result, report, path = fetch_to_file(
                source,
                symbol,
                interval=interval,
                start=start,
                end=end,
                out=out,
                on_page=lambda n: bar.advance(task, n),
            )
        payload = result.to_dict() | {"out": str(path), "report": report.to_dict(), "ok": report.ok}
        emit(payload, as_json, _render_fetch)
        if not report.ok:
            raise typer.Exit(1)


# ------------------------------------------------------------------------------------------------ helpers


def _clean_paths(file: Path, out: Path | None) -> tuple[Path, Path]:
    target = out if out is not None else file.with_name(f"{_stem(file)}.clean.csv")
    if target.resolve() == file.resolve():
        raise typer.BadParameter("the cleaned file would overwrite the input; choose another --out", param_hint="--out")
    changes = target.with_name(f"{_stem(target).removesuffix('.clean')}.changes.json")
    if changes.resolve() == file.resolve():
        raise typer.BadParameter("the changes file would overwrite the input; choose another --out")
    return target, changes


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".csv.gz", ".json.gz", ".csv", ".txt", ".json", ".parquet", ".pq"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _count(items: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _render_check(file: str) -> Any:
    def render(payload: Mapping[str, Any]) -> None:
        _print_report(f"data check: {file}", payload)
        clean = payload.get("clean")
        if clean:
            actions = ", ".join(f"{k} {v}" for k, v in clean["by_action"].items()) or "nothing to change"
            stdout.print(f"\n[bold]cleaned[/] → {clean['out']}  ({clean['changes']} changes: {actions})")
            stdout.print(f"[bold]changes[/] → {clean['changes_file']}")
            _print_report(f"cleaned file: {clean['out']}", clean["report"])

    return render


def _print_report(title: str, payload: Mapping[str, Any]) -> None:
    from solvency.data.validation import FATAL_KINDS

    head = [
        ("rows", payload["rows"]),
        ("start", _t(payload["start"])),
        ("end", _t(payload["end"])),
        ("frequency", payload["frequency"]),
    ]
    if payload.get("columns"):
        head.append(("series checked", ", ".join(payload["columns"])))
    stdout.print(kv_table(title, head))
    issues = payload["issues"]
    if not issues:
        stdout.print("[green]no issues[/]")
    else:
        by_kind: dict[str, list[dict]] = {}
        for issue in issues:
            by_kind.setdefault(issue["kind"], []).append(issue)
        summary = Table(title="issues", title_justify="left")
        for col in ("kind", "fatal", "count", "first"):
            summary.add_column(col, justify="right" if col == "count" else "left")
        for kind, items in by_kind.items():
            fatal = kind in FATAL_KINDS
            summary.add_row(
                f"[red]{kind}[/]" if fatal else kind, "yes" if fatal else "no", str(len(items)), _t(items[0]["time"])
            )
        stdout.print(summary)
        detail = Table(title="details", title_justify="left", show_lines=False)
        for col in ("time", "row", "kind", "where", "detail"):
            detail.add_column(col, overflow="fold")
        for kind, items in by_kind.items():
            for issue in items[:SHOWN_PER_KIND]:
                where = ", ".join(str(issue[k]) for k in ("column", "field") if issue.get(k))
                detail.add_row(_t(issue["time"]), str(issue.get("row") or "—"), kind, where, issue["detail"])
            if len(items) > SHOWN_PER_KIND:
                detail.add_row("…", "", kind, "", f"and {len(items) - SHOWN_PER_KIND} more (--json lists all)")
        stdout.print(detail)
    verdict = "[green]ok[/]" if payload["ok"] else "[bold red]fatal problems[/]: fix them, or run with --clean"
    stdout.print(verdict)


def _render_fetch(payload: Mapping[str, Any]) -> None:
    rows = [
        ("source", payload["source"]),
        ("symbol", payload["symbol"]),
        ("interval", payload["interval"]),
        ("bars", payload["rows"]),
        ("first", _t(payload["first"])),
        ("last", _t(payload["last"])),
        ("pages", payload["pages"]),
        ("requests", payload["requests"]),
        ("retries", payload["retries"]),
        ("written", payload["out"]),
    ]
    stdout.print(kv_table("data fetch", rows))
    for note in payload.get("notes") or []:
        stderr.print(f"note: {note}")
    _print_report(f"data check: {payload['out']}", payload["report"])


def _t(value: Any) -> str:
    import pandas as pd

    from solvency.data.validation import format_time

    if value is None:
        return "—"
    try:
        return format_time(pd.Timestamp(value))
    except (TypeError, ValueError):
        return str(value)
