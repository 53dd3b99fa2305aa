"""Volatility and regime of the market: every forecast model, tails, regimes (rules and Markov switching) and the
walk-forward forecast backtest, with the series behind the price/regime and forecast-vs-realized plots."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from solvency.market.overview import market_overview
from solvency.market.regimes import RegimeThresholds, classify_regimes
from solvency.market.returns import annualisation
from solvency.report.pipeline import Context
from solvency.report.series import timeseries

REALIZED_WINDOW = 7
"""Bars averaged into the realized-volatility line of the forecast plot (the one-bar proxy is too noisy to read)."""

SIGNIFICANCE = 0.05
"""Level at which the report calls the Diebold-Mariano test significant."""


def run(ctx: Context) -> dict[str, Any]:
    """Forecasts, regimes, tails and the backtest on the daily history."""
    prices = ctx.inputs.daily
    overview = market_overview(
        prices,
        backtest_bars=ctx.settings.backtest_bars,
        progress=lambda model, done, total: ctx.progress(f"volatility backtest: {model}", done, total),
    )
    d = overview.to_dict()
    rules = classify_regimes(prices)
    markov = overview.markov.regime.reindex(prices.index) if overview.markov is not None else None
    _, per_year = annualisation(prices)
    bt = overview.backtest
    forecast: dict[str, Any] | None = None
    if bt is not None:
        f = bt.forecasts
        realized = np.sqrt(f["proxy"].rolling(REALIZED_WINDOW, min_periods=1).mean() * per_year)
        models = {m: np.sqrt(f[m] * per_year) for m in bt.models}
        forecast = {
            **timeseries(f.index, realized=realized, **models),
            "models": list(bt.models),
            "realized_window": REALIZED_WINDOW,
            "refit_every": bt.refit_every,
            "proxy": bt.proxy,
        }
    best = d["backtest"]["best"] if d["backtest"] else "ewma"
    counts = rules.value_counts(normalize=True)
    return {
        "source": ctx.inputs.source(prices),
        "overview": d,
        "regime_share": {str(k): float(v) for k, v in counts.items()},
        "regime_rules": asdict(RegimeThresholds()),
        "significance": SIGNIFICANCE,
        "series": timeseries(
            prices.index,
            close=prices["close"],
            regime=rules.astype(object),
            markov=(markov.astype(object) if markov is not None else [None] * len(prices)),
        ),
        "forecast": forecast,
        "summary": {
            "as_of": d["as_of"],
            "bars": d["bars"],
            "bar": d["bar"],
            "regime": d["regime"],
            "markov_regime": d["markov"]["current"] if d["markov"] else None,
            "best_model": best,
            "sigma_annual": d["models"][best]["sigma_annual"],
            "sigma_annual_ewma": d["models"]["ewma"]["sigma_annual"],
            "es99_1d": d["models"][best]["tail"]["1d"]["es99"],
            "improvement_vs_ewma": d["backtest"]["improvement_vs_ewma"] if d["backtest"] else None,
            "dm_pvalue": d["backtest"]["dm_pvalue"] if d["backtest"] else None,
        },
    }
