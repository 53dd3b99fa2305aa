"""One call for the volatility of a price series: current level, horizon forecast, regime and tails.

:func:`volatility` is what the simulator, calibrator, margin engine and oracle call; ``solvency vol`` prints it.
It works for any bar length (annualising by the bar length inferred from the index, 365-day year) and depends
only on log returns and log ranges, so multiplying all prices by a constant changes nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError
from solvency.market.ewma import decay_for_step, ewma_forecast, ewma_next_variance, ewma_variance
from solvency.market.garch import MIN_OBS, fit_garch, horizon_variance, scale_for_step
from solvency.market.har import fit_har, har_design, har_lags, min_har_bars
from solvency.market.realized import has_ohlc, realized_variance
from solvency.market.regimes import RegimeThresholds, classify_regimes
from solvency.market.returns import annualisation, log_returns
from solvency.market.tails import MIN_EXCEEDANCES, THRESHOLD_QUANTILE, TailRisk, tail_risk
from solvency.units import format_duration, parse_duration

MODELS: tuple[str, ...] = ("ewma", "garch", "gjr", "har")
"""Forecast models :func:`volatility` accepts."""

_MIN_BARS_EWMA = 30


@dataclass(frozen=True)
class VolatilityResult:
    """Volatility of a price series now and over a horizon.

    Attributes
    ----------
    model
        Forecast model used.
    sigma_annual
        Annualised volatility of the next bar (365-day year), a fraction.
    sigma_horizon
        Volatility of the log return over ``horizon`` (not annualised), from the model's multi-step variance
        forecasts: ``sqrt(Σ_{k ≤ h} E σ²_{t+k})``.
    horizon
        Horizon in seconds.
    horizon_label
        The horizon as given (``"7d"``), for display and JSON.
    regime
        Rule-based regime at the last bar (:mod:`solvency.market.regimes`); None when the history is
        shorter than the regime's short window.
    tail
        Conditional EVT VaR/ES of the loss (negative log return) over the horizon and the GPD shape ``ξ``
        (McNeil & Frey 2000: GPD fitted to the model's standardised residuals, scaled by ``sigma_horizon``);
        None when the history has too few bars for a tail fit.
    step
        Bar length in seconds.
    as_of
        Time of the last bar.
    variance_path
        Per-bar variance forecasts for the bars in the horizon (squared log-return units per bar).
    params
        The fitted model: ``{"lambda": λ}`` for EWMA, :class:`~solvency.market.garch.GarchParams`,
        or :class:`~solvency.market.har.HarFit`.
    notes
        What was assumed or left out (e.g. proxy fallback).
    """

    model: str
    sigma_annual: float
    sigma_horizon: float
    horizon: int
    horizon_label: str
    regime: str | None
    tail: TailRisk | None
    step: int
    as_of: pd.Timestamp
    variance_path: np.ndarray = field(repr=False)
    params: Any = field(repr=False, default=None)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency vol --json`` payload (horizon as a span string such as ``"1d"``)."""
        keys = ("var99", "es99", "var999", "es999", "xi")
        tail = self.tail.to_dict() if self.tail is not None else dict.fromkeys(keys)
        return {
            "model": self.model,
            "sigma_annual": self.sigma_annual,
            "sigma_horizon": self.sigma_horizon,
            "horizon": self.horizon_label,
            "regime": self.regime,
            "tail": tail,
        }

    def summary(self) -> str:
        """Plain-text summary."""
        h = self.horizon_label
        lines = [
            f"volatility ({self.model}) as of {self.as_of:%Y-%m-%d %H:%M} UTC, {format_duration(self.step)} bars",
            f"  annualised             {self.sigma_annual:8.2%}",
            f"  over {h:<17} {self.sigma_horizon:8.2%}",
            f"  regime                 {self.regime or '—'}",
        ]
        if self.tail is not None:
            t = self.tail
            lines += [
                f"  loss over {h}: VaR99 {t.var99:.2%}  ES99 {t.es99:.2%}  VaR99.9 {t.var999:.2%}  "
                f"ES99.9 {t.es999:.2%}  (GPD ξ {t.xi:.3f})",
            ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def volatility(
    prices: pd.DataFrame | pd.Series,
    *,
    model: str = "ewma",
    horizon: str | int = "1d",
    implied_vol: pd.Series | None = None,
    regime_thresholds: RegimeThresholds = RegimeThresholds(),
) -> VolatilityResult:
    """Forecast volatility of a price series with one model, over a horizon, with its regime and tails.

    Parameters
    ----------
    prices
        Price frame as from :func:`solvency.data.loading.load_prices` (OHLC for HAR and the regime's range
        estimator; ``close`` at least) or a close series, UTC time index, oldest first, any bar length.
    model
        ``"ewma"`` (RiskMetrics λ = 0.94 per day, time-aware), ``"garch"`` (GARCH(1,1)-t), ``"gjr"``
        (GJR-GARCH(1,1)-t) or ``"har"`` (log-HAR on Garman-Klass realized variance; squared returns when the
        data have no high/low).
    horizon
        ``"10m"``, ``"1h"``, ``"1d"``, ``"7d"`` … or seconds. Horizons that are not a whole number of bars
        count the last bar pro rata.
    implied_vol
        Optional implied volatility (fraction) for the regime rules.
    regime_thresholds
        Regime rules (:class:`~solvency.market.regimes.RegimeThresholds`).

    Returns
    -------
    VolatilityResult

    Examples
    --------
    >>> from solvency.data.sample import sample_prices
    >>> v = volatility(sample_prices("1d"), model="ewma", horizon="7d")
    >>> round(v.sigma_horizon / (v.sigma_annual * (7 / 365) ** 0.5), 12)  # EWMA is flat: sqrt-time is exact
    1.0
    """
    if model not in MODELS:
        raise SolvencyInputError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    h_seconds = parse_duration(horizon)
    frame = prices if isinstance(prices, pd.DataFrame) else prices.to_frame("close")
    if "close" not in frame.columns:
        raise SolvencyInputError("prices need a close column", path=frame.attrs.get("source"))
    require_time_order(frame)
    step, per_year = annualisation(frame)
    r_series = log_returns(frame)
    r = r_series.to_numpy()
    need = {"ewma": _MIN_BARS_EWMA, "garch": MIN_OBS, "gjr": MIN_OBS, "har": 0}[model]
    if r.size < need:
        raise SolvencyInputError(
            f"{model} needs at least {need} returns, got {r.size}",
            path=frame.attrs.get("source"),
            hint="give a longer history or use --model ewma",
        )
    if model == "har" and r.size < min_har_bars(step):
        raise SolvencyInputError(
            f"HAR on {format_duration(step)} bars needs at least {min_har_bars(step)} returns "
            f"(its longest component is {har_lags(step)[-1]} bars), got {r.size}",
            path=frame.attrs.get("source"),
            hint="give a longer history or use --model ewma / garch",
        )
    steps = h_seconds / step
    n_steps = max(1, math.ceil(steps - 1e-9))
    notes: list[str] = []
    if n_steps > r.size:
        notes.append(f"the horizon ({n_steps} bars) is longer than the history ({r.size} returns)")

    if model == "ewma":
        lam = decay_for_step(step)
        in_sample = ewma_variance(r, lam)
        path = ewma_forecast(ewma_next_variance(r, lam), n_steps)
        params: Any = {"lambda": lam}
    elif model in ("garch", "gjr"):
        fit = fit_garch(r, kind=model, scale=scale_for_step(step))  # type: ignore[arg-type]
        if not fit.converged:
            notes.append("GARCH likelihood maximisation did not converge; estimates may be poor")
        if fit.params.persistence >= 0.999:
            notes.append(
                f"GARCH persistence {fit.params.persistence:.4f} ≥ 0.999: variance does not mean-revert, so "
                "horizon forecasts grow with the horizon"
            )
        in_sample, path, params = fit.sigma2, fit.forecast(n_steps), fit.params
    else:
        if has_ohlc(frame):
            rv = realized_variance(frame, "garman_klass").to_numpy()[1:]
        else:
            rv = r**2
            notes.append("no high/low in the data: HAR models squared returns instead of Garman-Klass variance")
        fit_h = fit_har(rv, lags=har_lags(step))
        if fit_h.floored:
            notes.append(f"{fit_h.floored} zero-range bars floored before taking logs")
        path = fit_h.forecast(rv, n_steps)
        in_sample = _har_in_sample(fit_h, rv)
        params = fit_h

    sigma_annual = math.sqrt(path[0] * per_year)
    sigma_horizon = math.sqrt(horizon_variance(path, steps))
    regime = _regime(frame, implied_vol, regime_thresholds)
    if regime is None:
        notes.append("history shorter than the regime window: no regime")
    tail = _conditional_tail(r, in_sample, sigma_horizon)
    if tail is None:
        notes.append(f"fewer than {math.ceil(MIN_EXCEEDANCES / (1 - THRESHOLD_QUANTILE))} bars: no tail estimate")
    return VolatilityResult(
        model=model,
        sigma_annual=sigma_annual,
        sigma_horizon=sigma_horizon,
        horizon=h_seconds,
        horizon_label=horizon.strip() if isinstance(horizon, str) else format_duration(h_seconds),
        regime=regime,
        tail=tail,
        step=step,
        as_of=frame.index[-1],
        variance_path=path,
        params=params,
        notes=tuple(notes),
    )


def require_time_order(prices: pd.DataFrame | pd.Series) -> None:
    """Refuse bars that are not strictly increasing in time: returns across them would be meaningless.

    Raises
    ------
    SolvencyInputError
        Naming the first duplicate or out-of-order timestamp.
    """
    ns = np.asarray(pd.DatetimeIndex(prices.index).as_unit("ns").asi8)
    bad = np.flatnonzero(np.diff(ns) <= 0)
    if bad.size:
        at = prices.index[int(bad[0]) + 1]
        raise SolvencyInputError(
            "bars are not in increasing time order (duplicate or earlier timestamp)",
            path=getattr(prices, "attrs", {}).get("source"),
            time=at,
            hint="run `solvency data check FILE --clean`",
        )


def _har_in_sample(fit: Any, rv: np.ndarray) -> np.ndarray:
    """In-sample one-step HAR variances (NaN until the longest component is filled)."""
    x = np.log(np.maximum(rv, fit.floor)) if fit.log else rv
    design = har_design(x, fit.lags)
    out = np.full(rv.size, np.nan)
    mean = design[:-1] @ fit.coef
    out[1:] = np.exp(mean + 0.5 * fit.resid_var) if fit.log else np.maximum(mean, fit.floor)
    return out


def _regime(frame: pd.DataFrame, implied_vol: pd.Series | None, thresholds: RegimeThresholds) -> str | None:
    reg = classify_regimes(frame, implied_vol, thresholds=thresholds)
    last = reg.iloc[-1]
    return None if pd.isna(last) else str(last)


def _conditional_tail(r: np.ndarray, in_sample: np.ndarray, sigma_horizon: float) -> TailRisk | None:
    """McNeil-Frey: GPD on the standardised losses ``−r_t / σ_t``, scaled to the horizon's volatility."""
    ok = np.isfinite(in_sample) & (in_sample > 0)
    z = -r[ok] / np.sqrt(in_sample[ok])
    if z.size * (1 - THRESHOLD_QUANTILE) < MIN_EXCEEDANCES:
        return None
    return tail_risk(z, scale=sigma_horizon)
