"""Liquidation policies compared inside the same crashes: the ``liquidation-crunch`` example market (liquidators with
a fifth of the default capacity, so capacity binds in a crash) through each of its scenarios — and, with real data,
the Black Thursday replay — once per policy on common random numbers (``solvency liquidate --compare-policies``),
by bad debt and slippage."""

from __future__ import annotations

from typing import Any

from solvency.liquidation.compare import Replay, compare_policies
from solvency.report.inputs import LIQUIDATION_MARKET
from solvency.report.pipeline import Context


def run(ctx: Context) -> dict[str, Any]:
    """Compare every policy on the market's scenarios (and the real replays with ``--data``)."""
    spec = ctx.inputs.market(LIQUIDATION_MARKET)
    scenarios = list(spec.risk.scenarios)
    replays = [Replay(prices, gas) for prices, gas in ctx.inputs.replays.values()]
    seed = ctx.seed("liquidation")
    result = compare_policies(
        spec,
        scenarios=scenarios,
        replays=replays,
        paths=ctx.settings.policy_paths,
        seed=seed,
        progress=lambda label, done, total: ctx.progress(f"policies: {label}", done, total),
    )
    d = result.to_dict()
    pooled = d["policies"]
    best = min(pooled, key=lambda p: (pooled[p]["bad_debt_mean"], pooled[p]["slippage_mean"]))
    debt = spec.book.debt_total
    return {
        "market": spec.name,
        "capacity_per_step": spec.liquidators.capacity_per_step,
        "step": spec.sim.step,
        "seed": seed,
        "paths": ctx.settings.policy_paths,
        "debt_total": debt,
        "comparison": d,
        "summary": {
            "policies": len(pooled),
            "scenarios": len(d["scenarios"]),
            "best_policy": best,
            "best_bad_debt_mean": pooled[best]["bad_debt_mean"],
            "health_first_bad_debt_mean": pooled.get("health_first", {}).get("bad_debt_mean"),
        },
    }
