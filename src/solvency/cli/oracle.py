"""``solvency keys …``, ``serve``, ``replay``, ``ledger …``: the risk oracle from the command line."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, stderr, stdout
from solvency.errors import SolvencyInputError

CONFIG_OPTION = typer.Option(..., "--config", "-c", help="Oracle config (TOML), e.g. examples/oracle.toml.")


def register(app: typer.Typer) -> None:
    """Attach the oracle commands to the root app."""
    keys = typer.Typer(help="Signing keys and tokens of the risk oracle.", no_args_is_help=True)
    ledger = typer.Typer(help="The oracle's signed ledger of parameter updates.", no_args_is_help=True)
    app.add_typer(keys, name="keys")
    app.add_typer(ledger, name="ledger")
    keys.command("new")(keys_new)
    keys.command("hash-token")(keys_hash_token)
    ledger.command("verify")(ledger_verify)
    app.command("serve")(serve)
    app.command("replay")(replay)


def keys_new(
    out: Path = typer.Option(..., "--out", help="Folder for the key pair and tokens (created)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an Ed25519 key pair and a writer and an admin token (only their hashes go in the config)."""
    with cli_errors(as_json):
        from solvency.oracle.keys import generate_keys

        paths = generate_keys(out, force=force)
        emit(paths, as_json, lambda p: stdout.print(kv_table("oracle keys", p)))


def keys_hash_token(as_json: bool = JSON_OPTION) -> None:
    """Read a token on stdin and print the hash to put in the config's *_token_hashes."""
    with cli_errors(as_json):
        from solvency.oracle.config import token_hash

        token = sys.stdin.readline().strip()
        if not token:
            raise SolvencyInputError("no token on stdin", hint="echo -n TOKEN | solvency keys hash-token")
        emit({"hash": token_hash(token)}, as_json, lambda p: stdout.print(p["hash"], highlight=False))


def ledger_verify(
    db: Path = typer.Argument(..., help="The ledger (SQLite file)."),
    pubkey: Path | None = typer.Option(None, "--pubkey", help="The oracle's public key (PEM or hex)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check every row's hash chain and signature; exit 1 naming the first bad seq."""
    with cli_errors(as_json):
        from solvency.oracle.keys import load_public_key
        from solvency.oracle.ledger import verify_ledger

        result = verify_ledger(db, load_public_key(pubkey) if pubkey is not None else None).to_dict()
        emit(result, as_json, _render_verify)
        if not result["ok"]:
            raise typer.Exit(1)


def _render_verify(r: Mapping[str, Any]) -> None:
    stdout.print(kv_table("ledger", {k: v for k, v in r.items() if k != "problem"}))
    if r["ok"]:
        stdout.print(f"[green]ok[/]: {r['rows']} rows, chain and signatures verify (key {r['key_id']})")
    else:
        stdout.print(f"[bold red]FAILED[/] at seq {r['first_bad_seq']}: {r['problem']}", highlight=False)
    if r["key_source"] == "ledger":
        stderr.print("note: checked with the key recorded in the ledger itself; pass --pubkey to prove the author")


def serve(
    config: Path = CONFIG_OPTION,
    host: str | None = typer.Option(None, "--host", help="Listen address (default: the config's, loopback)."),
    port: int | None = typer.Option(None, "--port", help="Listen port (default: the config's; 0 = any free)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the risk oracle (REST + WebSocket) until interrupted."""
    with cli_errors(as_json):
        from solvency.oracle.config import load_oracle_config
        from solvency.service.server import serve as run

        cfg = load_oracle_config(config)

        def ready(info: dict[str, Any]) -> None:
            if as_json:
                emit(info, True)
            else:
                stderr.print(
                    f"solvency oracle listening on {info['url']} (ledger {info['ledger']}, seq {info['last_seq']}, "
                    f"key {info['key_id']}); Ctrl-C to stop",
                    highlight=False,
                )

        run(cfg, host=host, port=port, on_ready=ready)


def replay(
    file: Path = typer.Argument(..., help="Price file (CSV/Parquet/JSON) of one asset."),
    config: Path = CONFIG_OPTION,
    asset: str | None = typer.Option(None, "--asset", help="Which configured asset the file prices."),
    column: str | None = typer.Option(None, "--column", help="Series to use where the file holds several."),
    implied_vol: Path | None = typer.Option(None, "--implied-vol", help="Implied-vol file (e.g. Deribit DVOL)."),
    iv_unit: str = typer.Option("percent", "--iv-unit", help="Unit of the implied-vol file: percent | fraction."),
    stress: bool = typer.Option(
        False, "--stress", help="Also run the stress engine under the oracle's LT/LB path and under static ones."
    ),
    market: Path | None = typer.Option(
        None, "--market", help="With --stress: market spec (TOML) for book, liquidity, liquidators; default sample."
    ),
    oracle_market: str | None = typer.Option(
        None, "--oracle-market", help="With --stress: which oracle market steers the book (default: the only one)."
    ),
    conditions: str = typer.Option("current", "--conditions", help="With --stress: current | congested-2020."),
    gas: Path | None = typer.Option(None, "--gas", help="With --stress: gas price file (wei per gas)."),
    gas_column: str = typer.Option("avgGasDay", "--gas-column", help="Column of the gas file to use."),
    intrabar: str = typer.Option("close", "--intrabar", help="With --stress: replay bar closes or 'ohlc' sub-steps."),
    delay: str | None = typer.Option(None, "--delay", help='With --stress: publication lag of updates, e.g. "10m".'),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the oracle offline over a price file on a simulated clock: updates, refusals, parameter timeline.

    With --stress, the same file is replayed through the lending stress engine twice — under the LT/LB the
    oracle published (each from the simulator step after its publication) and under the static parameters it
    started from — and the bad debt of both is added under "stress".
    """
    with cli_errors(as_json):
        from solvency.data.resolve import prices_or_sample
        from solvency.oracle.config import load_oracle_config
        from solvency.oracle.replay import replay as run
        from solvency.units import parse_duration

        if not stress and (market is not None or gas is not None or delay is not None):
            raise SolvencyInputError("--market, --gas and --delay only apply with --stress", hint="add --stress")
        cfg = load_oracle_config(config)
        prices = prices_or_sample(file, column=column)
        iv = None
        if implied_vol is not None:
            if iv_unit not in ("percent", "fraction"):
                raise SolvencyInputError(f"--iv-unit {iv_unit!r}", hint="use percent or fraction")
            iv = prices_or_sample(implied_vol)["close"] * (0.01 if iv_unit == "percent" else 1.0)
        result = run(prices, cfg, asset=asset, implied_vol=iv)
        payload = result.to_dict()
        if stress:
            from solvency.oracle.stress import stress_replay

            payload["stress"] = stress_replay(
                prices,
                cfg,
                result=result,
                oracle_market=oracle_market,
                market=market,
                conditions=conditions,
                gas=gas,
                gas_column=gas_column,
                intrabar=intrabar,
                delay=0 if delay is None else parse_duration(delay),
            ).to_dict()
        emit(payload, as_json, _render_replay)


def _render_replay(r: Mapping[str, Any]) -> None:
    for market, s in r["summary"].items():
        table = Table(title=f"{market}: highest regime {s['max_regime']}, highest σ {fmt(s['max_sigma'])}")
        for col in ("parameter", "start", "end", "min", "max", "updates"):
            table.add_column(col, justify="right" if col != "parameter" else "left")
        for name, p in s["params"].items():
            cells = [fmt(p[k]) if "cap" in name else pct(p[k]) for k in ("start", "end", "min", "max")]
            table.add_row(name, *cells, str(p["updates"]))
        stdout.print(table)
    updates = r["updates"]
    table = Table(title=f"{len(updates)} updates (first 40)")
    for col in ("time", "market", "parameter", "old", "new", "regime", "σ", "limited by"):
        table.add_column(col)
    for u in updates[:40]:
        state = u["reason"].get("state") or {}
        table.add_row(
            u["time"][:16],
            u["market"],
            u["parameter"],
            fmt(u["old"]),
            fmt(u["new"]),
            str(state.get("regime", "")),
            fmt(state.get("sigma")),
            ",".join(u["reason"].get("limited_by", [])),
        )
    stdout.print(table)
    refused = {k: v for k, v in r["rejected_ticks"].items() if v}
    stdout.print(kv_table("refused ticks", refused or {"none": 0}))
    stdout.print(f"guardrail clamps: {r['guardrail_clamps']} {r['guardrail_clamps_by_rule']}", highlight=False)
    if "stress" in r:
        _render_stress(r["stress"])


def _render_stress(s: Mapping[str, Any]) -> None:
    path = s["oracle_path"]
    table = Table(
        title=(
            f"stress ({s['conditions']}): {s['market']}'s path LT {pct(path['lt']['start'])} → "
            f"{pct(path['lt']['min'])} (lowest), LB up to {pct(path['lb']['max'])} vs static "
            f"LT {pct(s['static_params']['liquidation_threshold'])} / LB {pct(s['static_params']['liquidation_bonus'])}"
        )
    )
    rows = [
        ("bad debt", "bad_debt"),
        ("insolvent positions", "insolvent_positions"),
        ("liquidations", "liquidations"),
        ("liquidated volume", "liquidated_volume"),
        ("bonus paid by borrowers", "bonus_paid"),
        ("slippage", "slippage"),
    ]
    for col in ("", "oracle path", "static"):
        table.add_column(col, justify="right" if col else "left")
    for label, key in rows:
        table.add_row(label, f"{s['oracle'][key]:,.0f}", f"{s['static'][key]:,.0f}")
    stdout.print(table)
    verdict = "[green]no more bad debt[/]" if s["no_more_bad_debt"] else "[bold red]MORE bad debt[/]"
    stdout.print(f"oracle path vs static: {verdict} ({fmt(s['extra_bad_debt'])}); LTV is not simulated")
