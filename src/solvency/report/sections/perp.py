"""Perp margin calibration of the example ETH perp market (tiers, OI caps, fee, insurance fund) and the walk-forward
coverage backtest of its dynamic margin against a static margin of the same average level."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from solvency.calibrate.margin_backtest import margin_backtest
from solvency.calibrate.perp import calibrate_perp
from solvency.report.inputs import PERP_MARKET
from solvency.report.pipeline import Context
from solvency.report.series import every, timeseries
from solvency.units import parse_duration

CUMULATIVE_POINTS = 1500
"""Points of the cumulative-exceedance lines (the backtest has one window per hour of history)."""

SIGNIFICANCE = 0.05
"""Level of the coverage tests (:attr:`~solvency.calibrate.margin_backtest.MarginBacktest.passed` uses it)."""

ZOOM_DAYS = 20
"""Days shown at full resolution: the window where the static margin is exceeded most (where the two differ)."""


def run(ctx: Context) -> dict[str, Any]:
    """Calibrate the perp market on the hourly history and backtest its margin."""
    spec = ctx.inputs.market(PERP_MARKET)
    prices = ctx.inputs.hourly
    ctx.progress("perp calibration", 0, 2)
    cal = calibrate_perp(spec, prices=prices, seed=ctx.seed("perp"))
    ctx.progress("perp calibration", 1, 2)
    horizon = parse_duration(ctx.settings.margin_horizon)
    bt = margin_backtest(prices, coverage=spec.risk.coverage, horizon=horizon)
    ctx.progress("perp calibration", 2, 2)
    m = bt.margins
    move = np.expm1(m["move"].abs())  # simple return size: the margin is a fraction of notional too
    hits = move > m["margin"]
    static_hits = move > bt.static_margin
    n = np.arange(1, len(m) + 1)
    cumulative = pd.DataFrame(
        {
            "dynamic": hits.cumsum().to_numpy(),
            "static": static_hits.cumsum().to_numpy(),
            "expected": n * (1 - bt.coverage),
        },
        index=m.index,
    )
    cumulative = every(cumulative, CUMULATIVE_POINTS)
    zoom = _busiest_window(m.index, static_hits.to_numpy(), pd.Timedelta(days=ZOOM_DAYS))
    d = cal.to_dict()
    return {
        "market": spec.name,
        "source": ctx.inputs.source(prices),
        "seed": ctx.seed("perp"),
        "zoom_days": ZOOM_DAYS,
        "significance": SIGNIFICANCE,
        "calibration": d
        | {
            "tail_move": cal.tail_move,
            "tail_move_current": cal.tail_move_current,
            "tail_move_average": cal.tail_move_average,
            "liquidation_horizon": cal.liquidation_horizon,
        },
        "backtest": bt.to_dict()
        | {"horizon": ctx.settings.margin_horizon, "start": bt.start, "end": bt.end, "coverage": bt.coverage},
        "cumulative": timeseries(cumulative.index, **{c: cumulative[c] for c in cumulative}),
        "zoom": timeseries(m.index[zoom], move=move[zoom], margin=m["margin"][zoom], exceeded=hits[zoom].astype("int8"))
        | {"static_margin": bt.static_margin},
        "summary": {
            "imf": d["imf"],
            "mmf": d["mmf"],
            "liquidation_fee": d["liquidation_fee"],
            "oi_upper_cap": d["oi_upper_cap"],
            "insurance_fund_target": d["insurance_fund_target"],
            "exceedances": bt.exceedances,
            "expected": bt.expected,
            "static_exceedances": bt.static_exceedances,
            "kupiec_p": bt.kupiec_p,
            "christoffersen_p": bt.christoffersen_p,
            "pass": bt.passed,
        },
    }


def _busiest_window(index: pd.DatetimeIndex, hits: np.ndarray, span: pd.Timedelta) -> np.ndarray:
    """Mask of the ``span`` of ``index`` holding the most ``hits`` (the first such window)."""
    counts = pd.Series(hits.astype("int64"), index=index).rolling(span).sum().to_numpy()
    end = index[int(np.argmax(counts))]
    return (index > end - span) & (index <= end)
