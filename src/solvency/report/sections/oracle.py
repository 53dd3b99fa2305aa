"""The risk oracle replayed over a crash: the same controller and guardrails as ``solvency serve``, on a simulated
clock, with the parameter timeline of each market priced by the asset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from solvency.oracle.replay import replay
from solvency.report.inputs import ORACLE_ASSET
from solvency.report.pipeline import Context
from solvency.report.series import timeseries

STATE = ("price", "sigma", "sigma_short", "sigma_long", "drawdown")
UPDATES_LISTED = 40
"""Updates listed in the report (all are counted)."""


def run(ctx: Context) -> dict[str, Any]:
    """Replay the example oracle config over the crash window."""
    config = ctx.inputs.oracle_config()
    prices = ctx.inputs.oracle_crash
    ctx.progress("oracle replay", 0, 1)
    result = replay(prices, config, asset=ORACLE_ASSET)
    ctx.progress("oracle replay", 1, 1)
    summary = result.summary()
    markets: dict[str, Any] = {}
    for name in result.markets:
        frame = result.timeline_frame(name)
        params = [c for c in frame.columns if c not in (*STATE, "regime")]
        numeric = {c: pd.to_numeric(frame[c], errors="coerce") for c in (*STATE, *params)}
        model = config.markets[name].model
        markets[name] = {
            "model": model.kind,
            "table": Path(model.file).name if model.kind == "table" else None,
            "params": params,
            "timeline": timeseries(frame.index, regime=frame["regime"].astype(object), **numeric),
            "summary": summary[name],
        }
    updates = [
        {
            "time": u["time"],
            "market": u["market"],
            "parameter": u["parameter"],
            "old": u["old"],
            "new": u["new"],
            "regime": (u["reason"].get("state") or {}).get("regime"),
            "sigma": (u["reason"].get("state") or {}).get("sigma"),
            "limited_by": list(u["reason"].get("limited_by", [])),
        }
        for u in result.updates
    ]
    main = result.markets[0] if result.markets else None
    first = summary[main]["params"] if main else {}
    return {
        "asset": result.asset,
        "source": ctx.inputs.source(prices),
        "step_s": result.step,
        "start": prices.index[0],
        "end": prices.index[-1],
        "markets": markets,
        "updates": updates,
        "updates_listed": UPDATES_LISTED,
        "updates_total": len(updates),
        "rejected_ticks": result.rejected_ticks,
        "guardrail_clamps": result.guardrail_clamps,
        "guardrail_clamps_by_rule": result.clamps_by_rule,
        "summary": {
            "market": main,
            "updates": len(updates),
            "max_regime": summary[main]["max_regime"] if main else None,
            "max_sigma": summary[main]["max_sigma"] if main else None,
            "guardrail_clamps": result.guardrail_clamps,
            **{f"{p}_min": v["min"] for p, v in first.items() if p in ("ltv", "liquidation_threshold")},
            **{f"{p}_start": v["start"] for p, v in first.items() if p in ("ltv", "liquidation_threshold")},
        },
    }
