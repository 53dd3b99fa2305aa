"""Market regimes: calm / normal / stressed / crisis, by documented rules, and by a Markov-switching model.

**Rules** (:func:`classify_regimes`). Three indicators per bar, each known at the bar's close:

* ``ratio`` — short over long realized volatility: the mean range-based (Garman-Klass; close-to-close when the
  file has no OHLC) variance over the last 7 days against the last 90 days, square-rooted. A ratio of 2 means
  volatility has doubled against its recent norm; a level-free measure that works for any asset.
* ``drawdown`` — ``1 − close / max(close over the last 30 days)``.
* ``iv_ratio`` (optional) — implied volatility (e.g. Deribit DVOL, as a fraction) over the long realized
  volatility: options pricing more risk than has been realized is an early warning.

The most severe rule that fires wins (:class:`RegimeThresholds`, defaults below):

========  ==========================================================================================
crisis    ratio ≥ 2.0, or drawdown ≥ 40 %, or iv_ratio ≥ 1.8
stressed  ratio ≥ 1.4, or drawdown ≥ 25 %, or iv_ratio ≥ 1.3
calm      ratio ≤ 0.8 and drawdown ≤ 10 % (and iv_ratio ≤ 1.0 when given)
normal    otherwise
========  ==========================================================================================

The thresholds sit near the 90th/98th percentiles of the ratio and the 80th/95th of the 30-day drawdown on
Binance ETH, BTC and SOL daily bars 2017-2026 (ratio quantiles 0.90/0.95/0.99 ≈ 1.4/1.65/2.1; drawdown
0.90/0.95 ≈ 0.31/0.38 for ETH), so "crisis" marks a few percent of days (e.g. 2020-03-12 to 03-16, 2022-06,
2025-10-10) and "calm" about a quarter.

**Markov switching** (:func:`markov_regimes`): Hamilton's regime-switching model with a regime-dependent
variance (``statsmodels`` ``MarkovRegression(switching_variance=True)``) on percent returns. States are
ordered by variance and named calm … crisis; the per-bar regime is the most probable state given data up to
that bar (filtered, not smoothed, so it uses no future data).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError
from solvency.market.realized import has_ohlc, realized_variance
from solvency.market.returns import annualisation, log_returns
from solvency.units import parse_duration

REGIMES: tuple[str, ...] = ("calm", "normal", "stressed", "crisis")
"""Regime labels, from least to most severe."""


@dataclass(frozen=True)
class RegimeThresholds:
    """Windows and thresholds of the rule-based regimes (fractions; windows as time spans)."""

    short_window: str = "7d"
    long_window: str = "90d"
    drawdown_window: str = "30d"
    calm_ratio: float = 0.8
    stressed_ratio: float = 1.4
    crisis_ratio: float = 2.0
    calm_drawdown: float = 0.10
    stressed_drawdown: float = 0.25
    crisis_drawdown: float = 0.40
    calm_iv_ratio: float = 1.0
    stressed_iv_ratio: float = 1.3
    crisis_iv_ratio: float = 1.8


def _bars(span: str, step: int) -> int:
    return max(2, round(parse_duration(span) / step))


def regime_indicators(
    prices: pd.DataFrame | pd.Series,
    implied_vol: pd.Series | None = None,
    *,
    thresholds: RegimeThresholds = RegimeThresholds(),
) -> pd.DataFrame:
    """Per-bar indicators of :func:`classify_regimes`: ``vol_short``, ``vol_long`` (annualised), ``ratio``,
    ``drawdown`` and, when ``implied_vol`` is given, ``iv_ratio``.

    Parameters
    ----------
    prices
        Price frame (OHLC preferred) or close series, UTC index.
    implied_vol
        Annualised implied volatility as a fraction (DVOL 55 → 0.55), any UTC index; the last value at or
        before each bar is used.
    """
    step, per_year = annualisation(prices)
    frame = prices if isinstance(prices, pd.DataFrame) else prices.to_frame("close")
    if has_ohlc(frame):
        rv = realized_variance(frame, "garman_klass")
    else:
        rv = log_returns(frame) ** 2
        rv = rv.reindex(frame.index)
    short, long_ = _bars(thresholds.short_window, step), _bars(thresholds.long_window, step)
    vol_short = np.sqrt(rv.rolling(short, min_periods=short).mean() * per_year)
    vol_long = np.sqrt(rv.rolling(long_, min_periods=min(long_, max(short, long_ // 3))).mean() * per_year)
    close = frame["close"]
    peak = close.rolling(_bars(thresholds.drawdown_window, step), min_periods=1).max()
    out = pd.DataFrame(
        {"vol_short": vol_short, "vol_long": vol_long, "ratio": vol_short / vol_long, "drawdown": 1 - close / peak},
        index=frame.index,
    )
    if implied_vol is not None:
        iv = pd.Series(implied_vol, dtype="float64").sort_index()
        if (iv > 5).any():
            raise SolvencyInputError(
                "implied volatility must be a fraction (0.55 for 55 %), got values above 5",
                hint="divide a DVOL index by 100",
            )
        aligned = iv.reindex(frame.index.union(iv.index)).ffill().reindex(frame.index)
        out["iv_ratio"] = aligned / vol_long
    return out


def classify_regimes(
    prices: pd.DataFrame | pd.Series,
    implied_vol: pd.Series | None = None,
    *,
    thresholds: RegimeThresholds = RegimeThresholds(),
) -> pd.Series:
    """Rule-based regime of every bar (``"calm" | "normal" | "stressed" | "crisis"``, NaN during warm-up).

    Examples
    --------
    >>> from solvency.data.sample import sample_prices
    >>> reg = classify_regimes(sample_prices("1d"))
    >>> reg.loc["2020-03-12":"2020-03-20"].unique().tolist()
    ['crisis']
    """
    ind = regime_indicators(prices, implied_vol, thresholds=thresholds)
    t = thresholds
    ratio, dd = ind["ratio"], ind["drawdown"]
    iv = ind["iv_ratio"] if "iv_ratio" in ind else pd.Series(np.nan, index=ind.index)
    crisis = (ratio >= t.crisis_ratio) | (dd >= t.crisis_drawdown) | (iv >= t.crisis_iv_ratio)
    stressed = (ratio >= t.stressed_ratio) | (dd >= t.stressed_drawdown) | (iv >= t.stressed_iv_ratio)
    calm = (ratio <= t.calm_ratio) & (dd <= t.calm_drawdown) & ~(iv > t.calm_iv_ratio)
    labels = np.select([crisis, stressed, calm], ["crisis", "stressed", "calm"], default="normal")
    out = pd.Series(pd.Categorical(labels, categories=list(REGIMES), ordered=True), index=ind.index, name="regime")
    out[ratio.isna()] = np.nan
    return out


def current_regime(
    prices: pd.DataFrame | pd.Series,
    implied_vol: pd.Series | None = None,
    *,
    thresholds: RegimeThresholds = RegimeThresholds(),
) -> str:
    """Regime at the last bar (see :func:`classify_regimes`)."""
    reg = classify_regimes(prices, implied_vol, thresholds=thresholds).dropna()
    if reg.empty:
        raise SolvencyInputError(
            f"too few bars to classify the regime (the short window is {thresholds.short_window})",
            path=getattr(prices, "attrs", {}).get("source"),
        )
    return str(reg.iloc[-1])


_STATE_NAMES: dict[int, tuple[str, ...]] = {
    2: ("calm", "stressed"),
    3: ("calm", "normal", "stressed"),
    4: REGIMES,
}


@dataclass
class MarkovRegimes:
    """A fitted Markov-switching variance model.

    Attributes
    ----------
    regime
        Most probable regime per bar given data to that bar (filtered).
    probabilities
        Filtered probability of each regime per bar (columns are the regime names).
    volatility
        Annualised volatility of each regime.
    transition
        Transition matrix, ``transition[i, j] = P(next = j | now = i)``, rows/columns in ``volatility`` order.
    current
        Regime at the last bar.
    converged
        The likelihood maximisation converged.
    """

    regime: pd.Series
    probabilities: pd.DataFrame = field(repr=False)
    volatility: dict[str, float]
    transition: np.ndarray = field(repr=False)
    current: str
    converged: bool


def markov_regimes(prices: pd.DataFrame | pd.Series, *, k_regimes: int = 3) -> MarkovRegimes:
    """Markov-switching variance regimes (Hamilton 1989) of the log returns, via ``statsmodels``.

    Parameters
    ----------
    prices
        Price frame or close series.
    k_regimes
        2 (calm, stressed), 3 (calm, normal, stressed) or 4 (calm … crisis).
    """
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.regime_switching.markov_regression import MarkovRegression

    if k_regimes not in _STATE_NAMES:
        raise SolvencyInputError(f"k_regimes must be 2, 3 or 4, got {k_regimes}")
    r = log_returns(prices)
    if r.size < 50 * k_regimes:
        raise SolvencyInputError(f"Markov switching with {k_regimes} regimes needs at least {50 * k_regimes} returns")
    _, per_year = annualisation(prices)
    scale = 1.0 / float(r.std()) if float(r.std()) > 0 else 1.0  # unit variance for the optimiser
    model = MarkovRegression(r.to_numpy() * scale, k_regimes=k_regimes, trend="c", switching_variance=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # EM first (cheap, gets near the optimum), then quasi-Newton to converge: ~2× faster than BFGS alone.
        res = model.fit(disp=False, em_iter=200, maxiter=500)
    names = list(model.param_names)
    sig2 = np.array([res.params[names.index(f"sigma2[{i}]")] for i in range(k_regimes)]) / scale**2
    order = np.argsort(sig2)
    labels = _STATE_NAMES[k_regimes]
    probs = np.asarray(res.filtered_marginal_probabilities)[:, order]
    prob_frame = pd.DataFrame(probs, index=r.index, columns=list(labels))
    regime = pd.Series(
        pd.Categorical(np.asarray(labels)[probs.argmax(axis=1)], categories=list(REGIMES), ordered=True),
        index=r.index,
        name="regime",
    )
    # statsmodels stores P[i, j] = P(s_t = i | s_{t-1} = j); transpose to rows = from.
    trans = np.asarray(res.regime_transition)[..., 0].T[np.ix_(order, order)]
    return MarkovRegimes(
        regime=regime,
        probabilities=prob_frame,
        volatility={labels[i]: float(np.sqrt(sig2[order[i]] * per_year)) for i in range(k_regimes)},
        transition=trans,
        current=str(regime.iloc[-1]),
        converged=bool(res.mle_retvals.get("converged", True)),
    )
