"""``solvency calibrate …``: calibrate protocol parameters. Each market type adds one command to the group.

To add a command (e.g. ``calibrate lending``), define it in its own function taking the group and call it from
:func:`register`, as :func:`_perp` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from solvency.cli._output import JSON_OPTION, cli_errors, emit, fmt, kv_table, pct, progress, stderr, stdout
from solvency.cli._sweep import MARKETS_DIR_OPTION, SCHEDULER_OPTION, WORKERS_OPTION, compact

group = typer.Typer(help="Calibrate protocol parameters from market data.", no_args_is_help=True)


class JumpsChoice(StrEnum):
    """``--jumps``: the stress paths' jump law, overriding ``[calibration] jumps``."""

    default = "default"
    none = "none"


JUMPS_OPTION = typer.Option(
    None,
    "--jumps",
    help="Jumps of the LT search's stress paths: default (law estimated on ETH hourly data) or none (diffusion "
    "only); overrides \\[calibration] jumps.",
)


def register(app: typer.Typer) -> None:
    """Attach the ``calibrate`` group (with every market type's command) to the root app."""
    _perp(group)
    _lending(group)
    app.add_typer(group, name="calibrate")


def _perp(grp: typer.Typer) -> None:
    @grp.command("perp")
    def perp(
        market: Path | None = typer.Option(None, "--market", help="Market spec TOML with a \\[perp] section."),
        prices: Path | None = typer.Option(None, "--prices", help="Price history (overrides the spec's)."),
        seed: int | None = typer.Option(None, "--seed", help="Seed of the insurance-fund simulation."),
        markets: Path | None = MARKETS_DIR_OPTION,
        workers: int | None = WORKERS_OPTION,
        scheduler: str | None = SCHEDULER_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """IMF / MMF by size tier, OI caps (dYdX v4 ramp), liquidation fee and insurance-fund target."""
        with cli_errors(as_json):
            from solvency.calibrate.perp import calibrate_perp
            from solvency.config import MarketSpec, load_market
            from solvency.data.resolve import prices_or_sample

            if markets is not None or workers is not None or scheduler is not None:
                from solvency.cli._sweep import market_sweep

                market_sweep(
                    calibrate_perp, markets=markets, protocol="perp", kwargs={"seed": seed}, workers=workers,
                    scheduler=scheduler, as_json=as_json, render_one=_render_perp,
                    conflicts={"--market": market, "--prices": prices},
                )  # fmt: skip
                return

            spec = load_market(market) if market is not None else MarketSpec()
            frame = prices_or_sample(prices) if prices is not None else None
            result = calibrate_perp(spec, prices=frame, seed=seed)
            emit(result.to_dict(), as_json, _render_perp)


def _render_perp(p: Mapping[str, Any]) -> None:
    stdout.print(
        kv_table(
            f"Perp margins at {pct(p['coverage'], 1)} coverage",
            [
                ("IMF (base)", pct(p["imf"])),
                ("MMF (base)", pct(p["mmf"])),
                ("maintenance fraction", p["maintenance_fraction"]),
                ("liquidation fee", pct(p["liquidation_fee"])),
                ("OI lower cap", p["oi_lower_cap"]),
                ("OI upper cap", p["oi_upper_cap"]),
                ("insurance fund target", p["insurance_fund_target"]),
            ],
        )
    )
    table = Table(title="Tiers", title_justify="left")
    for col in ("max notional", "IMF", "MMF", "max leverage"):
        table.add_column(col, justify="right")
    for t in p["tiers"]:
        table.add_row(fmt(t["max_notional"]), pct(t["imf"]), pct(t["mmf"]), f"{1 / t['imf']:.1f}x")
    stdout.print(table)


def _lending(grp: typer.Typer) -> None:
    @grp.command("lending")
    def lending(
        market: Path | None = typer.Option(None, "--market", help="Market spec TOML (default: WETH/USDC sample)."),
        book: Path | None = typer.Option(None, "--book", help="Loan book CSV (default: the spec's or synthetic)."),
        budget: float | None = typer.Option(
            None, "--budget", help="ES99 of bad debt allowed over the horizon, fraction of debt (e.g. 0.001)."
        ),
        prices: Path | None = typer.Option(None, "--prices", help="Price history (overrides the spec's)."),
        paths: int | None = typer.Option(None, "--paths", min=1, help="Stress paths (default: the spec's risk.paths)."),
        seed: int | None = typer.Option(None, "--seed", help="Seed of the stress paths."),
        table: Path | None = typer.Option(
            None, "--table", help="Also write the oracle's target table (σ grid × regime) to this CSV/JSON."
        ),
        lt_curve: bool = typer.Option(
            False, "--lt-curve", help="Report bad debt against LT at today's σ (the frontier plot; slower)."
        ),
        depth: bool = typer.Option(
            True, "--depth/--no-depth", help="LT, LB and caps at depth ×0.5 and ×2 (one more ladder row)."
        ),
        jumps: JumpsChoice | None = JUMPS_OPTION,
        markets: Path | None = MARKETS_DIR_OPTION,
        workers: int | None = WORKERS_OPTION,
        scheduler: str | None = SCHEDULER_OPTION,
        as_json: bool = JSON_OPTION,
    ) -> None:
        """LTV, liquidation threshold, bonus and caps from a stress-tested frontier, with a steward-ready plan."""
        with cli_errors(as_json):
            from solvency.calibrate.lending import calibrate_lending
            from solvency.calibrate.setup import market_spec
            from solvency.errors import SolvencyInputError

            if jumps is not None:
                market = market_spec(market, jumps=jumps.value)

            if budget is not None and not 0 < budget < 1:
                raise SolvencyInputError(f"--budget must be a fraction of debt in (0, 1), got {budget}")
            curve = [round(0.70 + 0.025 * k, 4) for k in range(11)] if lt_curve else None
            if markets is not None or workers is not None or scheduler is not None:
                from solvency.cli._sweep import market_sweep

                market_sweep(
                    calibrate_lending, markets=markets, protocol="lending", workers=workers, scheduler=scheduler,
                    kwargs={"budget": budget, "paths": paths, "seed": seed, "lt_curve": curve,
                            "depth_sensitivity": depth},
                    as_json=as_json, render=_render_lending_markets,
                    conflicts={"--market": market, "--book": book, "--prices": prices, "--table": table,
                               "--jumps": jumps},
                )  # fmt: skip
                return
            with progress() as bar:
                task = bar.add_task("calibrating", total=None)

                def tick(stage: str, done: int, total: int) -> None:
                    bar.update(task, description=stage, completed=done, total=total)

                result = calibrate_lending(
                    market,
                    book=book,
                    budget=budget,
                    prices=prices,
                    paths=paths,
                    seed=seed,
                    lt_curve=curve,
                    depth_sensitivity=depth,
                    progress=tick,
                )
                written = None
                if table is not None:
                    from solvency.calibrate.setup import prepare
                    from solvency.calibrate.table import target_table

                    setup = prepare(
                        market, book=book, budget=budget, s0=result.sensitivity["model"]["start_price"],
                        paths=paths, seed=seed,
                    )  # fmt: skip
                    written = target_table(setup, progress=tick).write(table)
            if written is not None:
                stderr.print(f"target table written to {written}")
            emit(result.to_dict(), as_json, lambda d: _render_lending(d, result))

    @grp.command("emode")
    def emode(
        market: Path | None = typer.Option(None, "--market", help="Market spec TOML with \\[calibration.emode]."),
        budget: float | None = typer.Option(None, "--budget", help="ES99 budget, fraction of the category's debt."),
        paths: int | None = typer.Option(None, "--paths", min=1, help="Depeg paths (default: the spec's risk.paths)."),
        seed: int | None = typer.Option(None, "--seed", help="Seed of the depeg paths."),
        as_json: bool = JSON_OPTION,
    ) -> None:
        """E-mode LTV / LT / LB for a correlated pair (e.g. wstETH/ETH) from a depeg scenario."""
        with cli_errors(as_json):
            from solvency.calibrate.emode import calibrate_emode
            from solvency.config import MarketSpec, load_market

            spec = load_market(market) if market is not None else MarketSpec()
            with progress() as bar:
                bar.add_task("e-mode", total=None)
                result = calibrate_emode(spec, paths=paths, seed=seed, budget=budget)
            emit(result.to_dict(), as_json, _render_emode)


def _render_lending(d: Mapping[str, Any], result: Any) -> None:
    cur = d["baselines"]["current"]
    table = Table(title=f"{d['market']} ({d['asset']}): recommendation vs current", title_justify="left")
    for col in ("", "recommended", "current"):
        table.add_column(col, justify="left" if not col else "right")
    table.add_row("LTV", pct(d["ltv"]), pct(cur["ltv"]))
    table.add_row("liquidation threshold", pct(d["liquidation_threshold"]), pct(cur["liquidation_threshold"]))
    table.add_row("liquidation bonus", pct(d["liquidation_bonus"]), pct(cur["liquidation_bonus"]))
    table.add_row("supply cap", fmt(d["supply_cap"]), fmt(cur["supply_cap"]))
    table.add_row("borrow cap", fmt(d["borrow_cap"]), fmt(cur["borrow_cap"]))
    table.add_row("ES99 bad debt", fmt(d["risk"]["bad_debt_es99"]), fmt(cur["risk"]["bad_debt_es99"]))
    table.add_row("P(bad debt)", pct(d["risk"]["prob_bad_debt"]), pct(cur["risk"]["prob_bad_debt"]))
    table.add_row("LaR95", fmt(d["risk"]["lar95"]), fmt(cur["risk"]["lar95"]))
    stdout.print(table)
    stdout.print("\n".join(result.summary().splitlines()[:2]))
    stdout.print(cur["comparison"])
    b = d["baselines"]
    stdout.print(
        f"baselines: SmartLTV {pct(b['smart_ltv']['ltv'])} (c = {b['smart_ltv']['c']}), Morpho LIF at LLTV "
        f"{pct(b['morpho_lif']['lltv'])} → bonus {pct(b['morpho_lif']['bonus'])}"
    )
    for c in d["invariants"]["clamps"]:
        stdout.print(f"[yellow]clamped[/] {c['parameter']} {fmt(c['value'])} → {fmt(c['clamped_to'])}: {c['reason']}")
    sens = Table(title="sensitivity", title_justify="left")
    for col in ("change", "LT", "LTV / LB", "supply cap"):
        sens.add_column(col, justify="right")
    for p in d["sensitivity"]["sigma"]["points"]:
        sens.add_row(
            f"σ ×{p['multiplier']:g}", pct(p["liquidation_threshold"]), pct(p["ltv"]), fmt(p.get("supply_cap"))
        )
    for p in d["sensitivity"]["depth"]["points"]:
        sens.add_row(
            f"depth ×{p['multiplier']:g}", pct(p["liquidation_threshold"]), pct(p["liquidation_bonus"]),
            fmt(p["supply_cap"]),
        )  # fmt: skip
    stdout.print(sens)
    plan = Table(title="transition plan (steward steps)", title_justify="left")
    for col in ("step", "day", "LTV", "LT", "LB", "newly liquidatable"):
        plan.add_column(col, justify="right")
    for s in d["transition"]:
        plan.add_row(
            str(s["step"]), f"{s['after_days']:g}", pct(s["ltv"]), pct(s["liquidation_threshold"]),
            pct(s["liquidation_bonus"]), fmt(s["newly_liquidatable_collateral"]),
        )  # fmt: skip
    stdout.print(plan)
    if result.emode is not None:
        _render_emode(result.emode.to_dict())


def _render_lending_markets(p: Mapping[str, Any]) -> None:
    """``calibrate lending --markets DIR``: one row per market (``--json`` has each market's full object)."""
    table = Table(title="lending calibration: recommended (current)", title_justify="left")
    table.add_column("market", overflow="fold")
    for col in ("LTV", "LT", "LB", "ES99", "in budget", "steps"):
        table.add_column(col, justify="right")
    for name, d in p["markets"].items():
        cur = d["baselines"]["current"]
        table.add_row(
            name,
            f"{pct(d['ltv'])} ({pct(cur['ltv'])})",
            f"{pct(d['liquidation_threshold'])} ({pct(cur['liquidation_threshold'])})",
            f"{pct(d['liquidation_bonus'])} ({pct(cur['liquidation_bonus'])})",
            compact(d["risk"]["bad_debt_es99"]),
            fmt(d["invariants"]["budget_met"]),
            str(len(d["transition"])),
        )
    stdout.print(table)
    for s in p["skipped"]:
        stdout.print(f"skipped {s['name']} ({s['file']}): {s['reason']}")


def _render_emode(e: Mapping[str, Any]) -> None:
    ref = e["aave_reference"]
    lt, ref_lt = pct(e["liquidation_threshold"]), pct(ref["liquidation_threshold"])
    es, ref_es = fmt(e["risk"]["bad_debt_es99"]), fmt(ref["risk"]["bad_debt_es99"])
    stdout.print(
        kv_table(
            f"e-mode {e['collateral']}/{e['debt']} (depeg {pct(e['depeg'])}, ratio σ {pct(e['ratio_vol'])})",
            [
                ("LTV", f"{pct(e['ltv'])}  (Aave {pct(ref['ltv'])})"),
                ("liquidation threshold", f"{lt}  (Aave {ref_lt})"),
                ("liquidation bonus", f"{pct(e['liquidation_bonus'])}  (Aave {pct(ref['liquidation_bonus'])})"),
                ("what binds LT", e["binding"]),
                ("ES99 bad debt", f"{es}  (at Aave's: {ref_es})"),
            ],
        )
    )
