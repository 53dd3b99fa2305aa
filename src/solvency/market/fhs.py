"""Filtered historical simulation (FHS) of the move over a liquidation horizon, walk-forward and without peeking.

The move over the next ``k`` bars is ``σ_t · z`` where

* ``σ_t`` is a volatility *scale* known at the end of bar ``t``: intraday seasonality × the larger of a fast and a
  slow RiskMetrics EWMA of the de-seasonalised returns (:func:`solvency.market.ewma.ewma_variance`). The fast one
  (per-bar decay 0.80, half-life ≈ 3 bars) reacts within hours to a shock, the slow one (0.97, ≈ 1 day) holds the
  level; taking the larger keeps margins from collapsing after a calm hour in a turbulent week, which is what makes
  exceedances independent on hourly crypto data (see ``benchmarks/RESULTS.md``);
* the seasonal factor of each hour of the day is ``√(mean r²_h / mean r²)`` over the returns seen so far;
* ``z`` is drawn from the empirical distribution of past standardised returns ``r_{t+1..t+k} / σ_t`` (Barone-Adesi,
  Giannopoulos & Vosper 1999), so fat tails come from the data, not from a normal or t assumption.

Everything a bar's forecast uses is known at the end of that bar: factors and quantiles are re-estimated every
``refresh`` bars from data strictly before, the EWMA is one step ahead by construction. The margin at coverage
``c`` is the ``c``-quantile of ``|z|`` times ``σ_t`` (two-sided: it covers a long and a short alike).

Horizons shorter than a bar scale ``σ`` by ``√(horizon / bar)`` (the only sub-bar information is the bar itself);
horizons of ``k`` whole bars use ``k``-bar returns and the seasonal factors of the ``k`` bars ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError
from solvency.market.ewma import ewma_variance
from solvency.market.returns import annualisation, log_returns


@dataclass(frozen=True)
class FHSModel:
    """Settings of the FHS tail-move model (per-bar decays; counts in bars)."""

    fast_decay: float = 0.80
    slow_decay: float = 0.97
    seasonality: bool = True
    refresh: int = 24
    warmup: int = 24 * 60


def seasonal_factors(
    returns: np.ndarray, slot: np.ndarray, *, slots: int, refresh: int
) -> tuple[np.ndarray, np.ndarray]:
    """Walk-forward seasonal volatility factors: ``√(mean r² in a slot / mean over slots)``.

    The table is re-estimated every ``refresh`` bars from the returns strictly before (all ones until every slot
    has 5 observations).

    Returns
    -------
    tuple
        ``(per_bar, tables)``: the factor in force for each bar, and the table in force for each bar (n × slots).
    """
    n = returns.size
    tables = np.ones((n, slots))
    sums = np.zeros(slots)
    counts = np.zeros(slots)
    table = np.ones(slots)
    sq = returns * returns
    for start in range(0, n, refresh):
        if counts.min() >= 5:
            mean = sums / counts
            total = mean.mean()
            if total > 0:
                table = np.sqrt(np.maximum(mean, 1e-300) / total)
        stop = min(start + refresh, n)
        tables[start:stop] = table
        np.add.at(sums, slot[start:stop], sq[start:stop])
        np.add.at(counts, slot[start:stop], 1.0)
    return tables[np.arange(n), slot], tables


def _slot(index: pd.DatetimeIndex, step: int) -> tuple[np.ndarray, int]:
    if step >= 86_400 or 86_400 % step:
        return np.zeros(len(index), dtype=np.int64), 1
    seconds = (index.hour * 3600 + index.minute * 60 + index.second).to_numpy()
    return (seconds // step).astype(np.int64), 86_400 // step


def fhs_tail_moves(
    prices: pd.DataFrame | pd.Series,
    *,
    coverage: float,
    horizon: int,
    model: FHSModel | None = None,
) -> pd.DataFrame:
    """Walk-forward FHS margin (two-sided tail move) for every bar of a price history.

    Parameters
    ----------
    prices
        Price frame (``close`` column) or series with a UTC ``DatetimeIndex``.
    coverage
        Probability that the move over the horizon stays within the margin, e.g. 0.99.
    horizon
        Liquidation horizon in seconds.
    model
        :class:`FHSModel` settings (default: fast 0.80 / slow 0.97 per bar, time-of-day seasonality).

    Returns
    -------
    pandas.DataFrame
        Indexed by the bar at whose end the margin is set: ``sigma`` (scale of the horizon move, log units),
        ``quantile`` (of ``|z|``), ``margin_log`` (= quantile × sigma; NaN during the warm-up), ``move`` (the
        realised log move over the horizon that follows; NaN where it runs past the data or the horizon is shorter
        than a bar) and ``margin`` (``e^{margin_log} − 1``: covers a short's loss, and so a long's).
    """
    if not 0.5 < coverage < 1:
        raise SolvencyInputError(f"coverage must be in (0.5, 1), got {coverage}")
    model = model or FHSModel()
    returns = log_returns(prices)
    x = returns.to_numpy(dtype="float64")
    n = x.size
    if n < model.warmup + 10:
        raise SolvencyInputError(
            f"need more than {model.warmup + 10} bars for a walk-forward margin, got {n}",
            path=getattr(prices, "attrs", {}).get("source"),
            hint="use a longer price history",
        )
    step, _ = annualisation(returns)
    sub_bar = horizon < step
    k = 1 if sub_bar else max(1, round(horizon / step))
    slot, slots = _slot(returns.index, step)
    if model.seasonality:
        factor, tables = seasonal_factors(x, slot, slots=slots, refresh=model.refresh)
    else:
        factor, tables = np.ones(n), np.ones((n, 1))
        slot, slots = np.zeros(n, dtype=np.int64), 1
    y = x / factor
    # ewma_variance(v)[t] forecasts v[t]² from v up to t−1; appending one value gives the forecast made at the
    # end of every bar t for bar t + 1.
    padded = np.append(y, 0.0)
    var_next = np.maximum(ewma_variance(padded, model.fast_decay)[1:], ewma_variance(padded, model.slow_decay)[1:])
    # The k bars ahead get the seasonal factors of their slots from the table in force at t (no later data).
    rows = np.arange(n)
    ahead_sq = np.zeros(n)
    for j in range(1, k + 1):
        ahead_sq += tables[rows, (slot + j) % slots] ** 2
    sigma = np.sqrt(var_next * ahead_sq)
    csum = np.concatenate([[0.0], np.cumsum(x)])
    move = np.full(n, np.nan)
    move[: n - k] = csum[1 + k : n + 1] - csum[1 : n + 1 - k]
    z = np.abs(move / sigma)
    quantile = np.full(n, np.nan)
    for start in range(model.warmup, n, model.refresh):
        # z[i] is known once bar i + k has closed: only those with i + k ≤ start are used.
        known = z[: max(0, start - k + 1)]
        known = known[np.isfinite(known)]
        if known.size >= 100:
            quantile[start : start + model.refresh] = np.quantile(known, coverage)
    if sub_bar:
        sigma = sigma * np.sqrt(horizon / step)
        move[:] = np.nan
    out = pd.DataFrame({"sigma": sigma, "quantile": quantile, "move": move}, index=returns.index)
    out["margin_log"] = out["quantile"] * out["sigma"]
    out["margin"] = np.expm1(out["margin_log"])
    out.attrs.update({"step": step, "horizon_bars": k, "coverage": coverage, "horizon": horizon})
    return out


def current_tail_move(prices: pd.DataFrame | pd.Series, *, coverage: float, horizon: int) -> dict[str, float]:
    """The FHS tail move over ``horizon`` seconds as of the last bar, and its long-run average.

    Returns
    -------
    dict
        ``current`` and ``average`` margins (fractions, two-sided at ``coverage``), ``sigma_annual`` (the current
        EWMA volatility, annualised) and ``quantile`` (of the standardised moves).
    """
    frame = fhs_tail_moves(prices, coverage=coverage, horizon=horizon)
    last = frame.dropna(subset=["margin"]).iloc[-1]
    step = frame.attrs["step"]
    scale = horizon / step
    return {
        "current": float(last["margin"]),
        "average": float(frame["margin"].mean()),
        "sigma_annual": float(last["sigma"] * np.sqrt(365 * 86_400 / (step * scale))),
        "quantile": float(last["quantile"]),
    }
