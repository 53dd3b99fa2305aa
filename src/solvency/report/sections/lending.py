"""Lending calibration of the example markets (Aave v3's Oct-2023 parameters as the current ones): LTV, LT, LB and
caps with their stress evidence, the LT frontier (bad debt against capital efficiency), the baselines and the
steward transition plan from the current parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from solvency.calibrate.lending import calibrate_lending
from solvency.report.inputs import EXAMPLES, LENDING_MARKETS
from solvency.report.pipeline import Context

LT_CURVE_POINTS = 16
"""LT values at which each market's bad debt is simulated for the frontier plot."""

LT_CURVE_RANGE = (0.2, 0.96)
"""The frontier plot runs from this far below the current LT up to this LT (fractions)."""


def run(ctx: Context) -> dict[str, Any]:
    """Calibrate every example lending market shipped with the package."""
    names = [n for n in LENDING_MARKETS if (EXAMPLES / "markets" / f"{n}.toml").is_file()]
    markets: dict[str, Any] = {}
    for name in names:
        spec = ctx.inputs.market(name)
        lt0 = spec.current.liquidation_threshold
        lo, hi = max(0.05, lt0 - LT_CURVE_RANGE[0]), LT_CURVE_RANGE[1]
        curve = [round(float(x), 4) for x in np.linspace(lo, hi, LT_CURVE_POINTS)]
        label = f"lending: {name}"
        cal = calibrate_lending(
            spec,
            paths=ctx.settings.calibration_paths,
            seed=ctx.seed(f"lending:{name}"),
            lt_curve=curve,
            depth_sensitivity=False,
            progress=lambda stage, done, total, label=label: ctx.progress(f"{label} ({stage})", done, total),
        )
        d = cal.to_dict()
        markets[name] = {
            **d,
            "source": ctx.inputs.source_of(spec),
            "quote": cal.quote,
            "sigma": cal.sigma,
            "sigma_info": cal.sigma_info,
            "budget": cal.budget,
            "debt_total": cal.debt_total,
            "current": cal.current.to_dict(),
            "risk_current": d["baselines"]["current"]["risk"],
            "comparison": d["baselines"]["current"]["comparison"],
            "lt_binding": cal.lt_binding,
            "frontier": d["sensitivity"]["frontier"],
            "lt_curve": d["sensitivity"]["lt_curve"],
            "emode": None if cal.emode is None else cal.emode.to_dict(),
            "runtime_s": cal.runtime_s,
        }
    first = markets[names[0]] if names else None
    return {
        "markets": markets,
        "paths": ctx.settings.calibration_paths,
        "summary": {
            "markets": len(markets),
            "asset": first["asset"] if first else None,
            "ltv": first["ltv"] if first else None,
            "liquidation_threshold": first["liquidation_threshold"] if first else None,
            "liquidation_bonus": first["liquidation_bonus"] if first else None,
            "current_liquidation_threshold": first["current"]["liquidation_threshold"] if first else None,
            "transition_steps": {k: len(v["transition"]) for k, v in markets.items()},
        },
    }
