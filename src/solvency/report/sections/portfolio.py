"""Portfolio margin of the example options-and-perp book: the scenario grid's P&L, the worst scenario and its
Greeks attribution."""

from __future__ import annotations

from typing import Any

import pandas as pd

from solvency.margin.portfolio import portfolio_margin
from solvency.report.inputs import PERP_MARKET, PORTFOLIO, example
from solvency.report.pipeline import Context


def run(ctx: Context) -> dict[str, Any]:
    """Margin the example book under the perp market's ``[options]`` grid, R from the hourly history."""
    spec = ctx.inputs.market(PERP_MARKET)
    path = example(f"portfolios/{PORTFOLIO}.csv")
    ctx.progress("portfolio margin", 0, 1)
    result = portfolio_margin(path, spec, prices=ctx.inputs.hourly)
    ctx.progress("portfolio margin", 1, 1)
    d = result.to_dict()
    positions = pd.read_csv(path, dtype=str, keep_default_na=False)
    return {
        "portfolio": PORTFOLIO,
        "market": spec.name,
        "margin": d,
        "positions": positions.to_dict(orient="records"),
        "extended_weight": spec.options.extended_weight,
        "summary": {
            "initial_margin": d["initial_margin"],
            "maintenance_margin": d["maintenance_margin"],
            "price_range": d["price_range"],
            "worst_price_move": d["worst_scenario"]["price_move"],
            "worst_vol_shock": d["worst_scenario"]["vol_shock"],
        },
    }
