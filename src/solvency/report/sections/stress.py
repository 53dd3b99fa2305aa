"""Stress of the example WETH lending market under the named historical scenarios (Monte Carlo, common random
numbers across scenarios) and under replays of crash files (the real ones with ``--data``, the sample's crash day
otherwise), each replay once with today's operations and once with Black-Thursday-like congestion
(:data:`solvency.sim.stress.CONDITIONS`); the per-path bad debt feeds the distribution plot."""

from __future__ import annotations

from typing import Any

from solvency.data.sample import sample_crash
from solvency.report.inputs import SAMPLE_CRASH_DAY, STRESS_MARKET
from solvency.report.pipeline import Context
from solvency.report.series import rounded
from solvency.sim.scenarios import get_scenario
from solvency.sim.stress import CONDITIONS, simulate_lending, with_conditions


def run(ctx: Context) -> dict[str, Any]:
    """Bad debt and liquidations of the stress market per scenario and per replay."""
    spec = ctx.inputs.market(STRESS_MARKET)
    names = list(ctx.settings.scenarios or spec.risk.scenarios)
    seed = ctx.seed("stress")
    scenarios: dict[str, Any] = {}
    for name in names:
        label = f"stress: {name}"
        result = simulate_lending(
            spec,
            scenario=name,
            paths=ctx.settings.stress_paths,
            seed=seed,
            progress=lambda done, total, label=label: ctx.progress(label, done, total),
        )
        scenarios[name] = _entry(result) | {"facts": get_scenario(name).facts()}

    replays = dict(ctx.inputs.replays)
    if not replays and ctx.inputs.folder is None:
        replays[f"replay-sample-crash-{SAMPLE_CRASH_DAY}"] = (sample_crash("10m", day=SAMPLE_CRASH_DAY), None)
    replayed: dict[str, Any] = {}
    for name, (prices, gas) in replays.items():
        runs: dict[str, Any] = {}
        for i, condition in enumerate(CONDITIONS):
            ctx.progress(f"stress: {name}", i, len(CONDITIONS))
            result = simulate_lending(with_conditions(spec, condition), prices=prices, gas=gas, paths=1, seed=seed)
            runs[condition] = _entry(result)
            runs[condition].pop("bad_debt_paths")
        ctx.progress(f"stress: {name}", len(CONDITIONS), len(CONDITIONS))
        replayed[name] = {
            "source": ctx.inputs.source(prices),
            "gas": None if gas is None else gas.name,
            "drawdown": _drawdown(prices),
            "step": runs[next(iter(runs))]["step"],
            "conditions": runs,
        }

    worst = max(scenarios, key=lambda k: scenarios[k]["bad_debt"]["es99"]) if scenarios else None
    return {
        "market": spec.name,
        "asset": spec.asset,
        "seed": seed,
        "debt_total": next(iter(scenarios.values()))["debt_total"] if scenarios else None,
        "params": {
            "ltv": spec.current.ltv,
            "liquidation_threshold": spec.current.liquidation_threshold,
            "liquidation_bonus": spec.current.liquidation_bonus,
        },
        "book": {"positions": spec.book.positions, "debt_total": spec.book.debt_total, "file": spec.book.file},
        "scenarios": scenarios,
        "replays": replayed,
        "conditions": {k: v["description"] for k, v in CONDITIONS.items()},
        "summary": {
            "scenarios": len(scenarios),
            "paths": ctx.settings.stress_paths,
            "worst_scenario": worst,
            "worst_es99_share": scenarios[worst]["bad_debt_share"]["es99"] if worst else None,
            "worst_prob": scenarios[worst]["bad_debt"]["prob"] if worst else None,
        },
    }


def _entry(result: Any) -> dict[str, Any]:
    d = result.to_dict()
    debt = d["debt_total"] or float("nan")
    bad = d["bad_debt"]
    return d | {
        "step": result.step,
        "bad_debt_share": {k: bad[k] / debt for k in ("mean", "var95", "es99", "max")},
        "bad_debt_paths": rounded(result.output.bad_debt / debt),
        "details": result.details,
    }


def _drawdown(prices: Any) -> float:
    """Fall from the first price to the lowest of the replay (lows when the file has them), a fraction."""
    low = prices["low"] if "low" in prices else prices["close"]
    first = prices["open"].iloc[0] if "open" in prices else prices["close"].iloc[0]
    return float(1.0 - low.min() / first)
