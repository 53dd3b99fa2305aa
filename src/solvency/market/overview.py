"""A market's volatility picture in one object: every model's forecasts, regimes, tails and a short backtest.

:func:`market_overview` is what ``solvency demo`` shows for the embedded sample and what reports reuse; it
only calls the public functions of :mod:`solvency.market`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from solvency.errors import SolvencyInputError
from solvency.market.backtest import Progress, VolBacktest, vol_backtest
from solvency.market.regimes import MarkovRegimes, markov_regimes
from solvency.market.returns import log_returns
from solvency.market.tails import TailRisk, tail_risk
from solvency.market.volatility import MODELS, VolatilityResult, volatility
from solvency.units import format_duration

HORIZONS: tuple[str, ...] = ("1d", "7d", "30d")
"""Forecast horizons shown by default."""


@dataclass
class MarketOverview:
    """Volatility picture of one price series.

    Attributes
    ----------
    source
        Where the prices came from.
    as_of
        Time of the last bar.
    step
        Bar length in seconds.
    bars
        Number of bars.
    forecasts
        ``{model: {horizon: VolatilityResult}}``.
    markov
        Markov-switching regimes (None when skipped).
    loss_tails
        Unconditional tails of the per-bar losses (negative log returns): EVT, with historical and normal beside.
    backtest
        Walk-forward comparison over the last bars (None when skipped).
    """

    source: str
    as_of: pd.Timestamp
    step: int
    bars: int
    forecasts: dict[str, dict[str, VolatilityResult]]
    markov: MarkovRegimes | None
    loss_tails: TailRisk
    backtest: VolBacktest | None = field(default=None, repr=False)

    @property
    def regime(self) -> str | None:
        """Rule-based regime at the last bar."""
        first = next(iter(self.forecasts.values()))
        return next(iter(first.values())).regime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (fractions; horizons as span strings)."""
        models = {}
        for name, by_h in self.forecasts.items():
            first = next(iter(by_h.values()))
            models[name] = {
                "sigma_annual": first.sigma_annual,
                "sigma_horizon": {h: v.sigma_horizon for h, v in by_h.items()},
                "tail": {h: v.to_dict()["tail"] for h, v in by_h.items()},
            }
        t = self.loss_tails
        return {
            "source": self.source,
            "as_of": self.as_of,
            "bar": format_duration(self.step),
            "bars": self.bars,
            "regime": self.regime,
            "markov": None
            if self.markov is None
            else {"current": self.markov.current, "volatility": self.markov.volatility},
            "models": models,
            "loss_tails": {"evt": t.to_dict(), "historical": t.historical, "normal": t.normal},
            "backtest": None if self.backtest is None else self.backtest.to_dict(),
        }


def market_overview(
    prices: pd.DataFrame,
    *,
    models: Sequence[str] = MODELS,
    horizons: Sequence[str] = HORIZONS,
    backtest_bars: int | None = 730,
    markov: bool = True,
    progress: Progress | None = None,
) -> MarketOverview:
    """Forecast with every model at every horizon, classify regimes, estimate tails and backtest the last bars.

    Parameters
    ----------
    prices
        Price frame (OHLC preferred), UTC index.
    models
        Models to forecast with.
    horizons
        Horizons (span strings).
    backtest_bars
        Score the walk-forward backtest over this many final bars (None: skip).
    markov
        Fit the 3-regime Markov-switching model too.
    progress
        Backtest progress callback ``(model, done, total)``.
    """
    if not horizons:
        raise SolvencyInputError("give at least one horizon")
    forecasts = {m: {h: volatility(prices, model=m, horizon=h) for h in horizons} for m in models}
    first = next(iter(next(iter(forecasts.values())).values()))
    losses = -log_returns(prices).to_numpy()
    bt = None
    if backtest_bars:
        n = len(prices)
        start = prices.index[max(0, n - int(backtest_bars))]
        bt = vol_backtest(prices, start=start, progress=progress)
    return MarketOverview(
        source=str(prices.attrs.get("source", "<frame>")),
        as_of=first.as_of,
        step=first.step,
        bars=len(prices),
        forecasts=forecasts,
        markov=markov_regimes(prices, k_regimes=3) if markov else None,
        loss_tails=tail_risk(losses),
        backtest=bt,
    )
