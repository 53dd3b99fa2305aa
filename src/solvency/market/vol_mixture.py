"""Vol-of-vol: how far the volatility realized over a stress horizon strays from the forecast made at its start.

The LT search's stress paths (:mod:`solvency.calibrate.stress_paths`) give each path its own volatility level for
the whole horizon. This module measures the law of that level on real data instead of assuming one:

    R_w = σ̂_c,w / σ̂_f,w

over non-overlapping windows ``w`` of the horizon (3 days), where

* ``σ̂_f,w`` is the calibrator's own forecast at the window's start: EWMA (RiskMetrics λ = 0.94 per day,
  :func:`~solvency.market.ewma.ewma_variance`) of the *daily* closes up to the start — exactly what
  :func:`solvency.calibrate.setup.annual_sigma` computes with ``vol_model = "ewma"`` on a daily history, with no
  look-ahead (the forecast of day ``D`` uses closes up to 00:00 of ``D``);
* ``σ̂_c,w`` is the *continuous* volatility realized in the window: bipower variation of its hourly returns
  (:func:`~solvency.market.jumps.bipower_sd` — Barndorff-Nielsen & Shephard (2004), "Power and bipower variation
  with stochastic volatility and jumps", *J. Financial Econometrics* 2(1), 1–37), which leaves out the jumps
  that the stress paths draw separately (:mod:`solvency.market.jumps`), so they are not counted twice;
  the close-to-close realized variance (:func:`~solvency.market.realized.close_to_close_variance`, jumps
  included) is reported beside it.

Both are annualised (365-day year). ``R`` is a ratio of the diffusive part realized to the *total* σ forecast, so
a forecast unbiased for the total variance would give ``E[R²] = 1/(1 + ψ)`` with ``ψ`` the jump share of the
variance (0.213 for :data:`~solvency.market.jumps.ETH_HOURLY_JUMPS`).

**Law.** :class:`VolMixture` is the empirical quantile function of ``R`` on a grid of probabilities dense in the
upper tail, linear in between (a distribution with bounded support: the worst window ever seen is its top). A
lognormal fit of ``R`` is reported beside it and *not* used: its upper tail is too thin (ETH 2017–2025: the
empirical 99 % / 99.9 % quantiles of R are 2.35 / 3.76, a lognormal with the same log-mean and log-sd gives
2.07 / 2.83), and the upper tail is what decides ES99.

**Forecast bias — kept.** The stress paths give a path of total volatility ``σ`` the diffusive volatility
``σ·R_p`` (:class:`~solvency.calibrate.stress_paths.StressPaths`), i.e. the multiplier of the diffusion's share
``σ_c = σ/sqrt(1 + ψ)`` is ``w_p = R_p·sqrt(1 + ψ)``. On ETH ``E[R²]·(1 + ψ) = 0.935 × 1.213 = 1.13``: the 3-day
variance realized after an EWMA forecast exceeds it by 13 % on average. The close-to-close route measures the
same thing independently (``E[RV/σ̂_f²] = 1.10``, jumps included), and it is not a sampling-frequency artefact
(the hourly-to-daily variance ratio of ETH is 1.09 and 0.97 in the two files). It is the forecast error the
mixture exists to represent (EWMA lags the onset of volatile spells), so it is kept rather than normalised
away: normalising would assert, against the data, that the forecast is unbiased. The σ the calibrator reports
stays the vol model's.

Limits: the law is estimated at a 3-day horizon and used as is for other horizons (a longer horizon would have
less dispersion); it is ETH's, used for every asset in units of its own σ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from solvency.data.frequency import infer_step
from solvency.errors import SolvencyInputError
from solvency.market.ewma import decay_for_step, ewma_variance
from solvency.market.jumps import bipower_sd
from solvency.market.realized import close_to_close_variance
from solvency.market.returns import log_returns
from solvency.units import SECONDS_PER_YEAR

DAY = 86_400

QUANTILE_PROBS: tuple[float, ...] = (
    0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75,
    0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99, 0.9925, 0.995, 0.9975, 0.999, 1.0,
)  # fmt: skip
"""Probabilities at which the empirical quantile function of ``R`` is kept (dense in the upper tail)."""

REPORT_PROBS: tuple[float, ...] = (0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999)
"""Probabilities at which the empirical and the lognormal quantiles are compared."""


@dataclass(frozen=True)
class VolMixture:
    """A law of the per-path volatility ratio ``R`` (realized diffusive over forecast total σ), as a quantile
    function linear between knots.

    Attributes
    ----------
    probs
        Increasing probabilities from 0 to 1.
    quantiles
        ``R`` at each (non-decreasing, > 0).

    Examples
    --------
    >>> law = VolMixture(probs=(0.0, 0.5, 1.0), quantiles=(0.5, 1.0, 2.0))
    >>> [float(x) for x in law.ppf(np.array([0.0, 0.25, 0.75, 1.0]))]
    [0.5, 0.75, 1.5, 2.0]
    >>> round(law.mean_square(), 6)  # ½·(0.25 + 0.5 + 1)/3 + ½·(1 + 2 + 4)/3
    1.458333
    """

    probs: tuple[float, ...]
    quantiles: tuple[float, ...]

    def __post_init__(self) -> None:
        p, q = np.asarray(self.probs, dtype="float64"), np.asarray(self.quantiles, dtype="float64")
        if p.ndim != 1 or p.size < 2 or p.shape != q.shape:
            raise SolvencyInputError("a volatility mixture needs as many quantiles as probabilities, at least 2")
        if not (p[0] == 0.0 and p[-1] == 1.0 and np.all(np.diff(p) > 0)):
            raise SolvencyInputError("the mixture's probabilities must increase from 0 to 1")
        if not (np.all(np.isfinite(q)) and q[0] > 0 and np.all(np.diff(q) >= 0)):
            raise SolvencyInputError("the mixture's quantiles must be finite, positive and non-decreasing")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """``R`` at probabilities ``u`` ∈ [0, 1] (the inverse distribution function)."""
        return np.interp(u, self.probs, self.quantiles)

    def mean_square(self) -> float:
        """``E[R²]`` of the piecewise-linear quantile function, exactly: ``Σ Δp·(a² + ab + b²)/3``."""
        p, q = np.asarray(self.probs), np.asarray(self.quantiles)
        a, b = q[:-1], q[1:]
        return float(np.sum(np.diff(p) * (a * a + a * b + b * b) / 3.0))

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": "empirical quantiles",
            "median": float(self.ppf(np.array(0.5))),
            "q99": float(self.ppf(np.array(0.99))),
            "max": self.quantiles[-1],
            "mean_square": self.mean_square(),
        }


ETH_VOL_MIXTURE = VolMixture(
    probs=QUANTILE_PROBS,
    quantiles=(
        0.222997, 0.268940, 0.322871, 0.374473, 0.433072, 0.498404, 0.543020, 0.581054, 0.619748, 0.650278,
        0.683993, 0.718123, 0.747736, 0.788231, 0.822572, 0.863289, 0.909815, 0.960024, 1.041430, 1.114494,
        1.191225, 1.363488, 1.461827, 1.627475, 1.716764, 1.772695, 1.876814, 1.934859, 2.131300, 2.347729,
        2.434408, 2.685700, 3.125118, 3.764921, 4.044546,
    ),
)  # fmt: skip
"""The default volatility mixture of the LT search: ``R`` estimated by :func:`estimate_vol_mixture` on Binance ETH/USDT
hourly closes, the shared data's two files as two segments (2017-08-17 → 2021-06-10, 2021-08-21 → 2025-08-20), 905
non-overlapping 3-day windows after a 60-day EWMA warm-up. ``E[R²] = 0.935`` over the windows, 0.929 for the
embedded piecewise-linear quantile function (with the jump share ψ = 0.213: ``E[w²] = 1.13``, the forecast bias,
kept — module docstring); median 0.79; 99 % 2.35, 99.9 % 3.76, max 4.04 (the window from 2023-08-16, a crash out of
a calm market; 2020-03-11: 3.74). Lognormal fit of ``R``: log-mean −0.218, log-sd 0.407 — its 99 % / 99.9 %
quantiles 2.07 / 2.83 are below the data's. BTC/USDT on the same hours: median 0.78, 99 % 2.68, max 5.50,
``E[R²] = 0.987``. For scale, the Student-t mixture it replaces (ν = 4, ``w = sqrt(2/χ²₄)``) has 99 % / 99.9 % / 99.99 %
quantiles 2.6 / 4.7 / 8.4 and no finite ``E[w⁴]``. Re-derive: ``python benchmarks/estimate_jumps.py --json`` (key
``vol_mixture``)."""


# ------------------------------------------------------------------------------------------------ estimate


def vol_ratios(
    segments: Sequence[pd.DataFrame | pd.Series],
    *,
    horizon: int = 3 * DAY,
    warmup: int = 60 * DAY,
    daily_lambda: float = 0.94,
) -> pd.DataFrame:
    """The ratio of realized to forecast volatility over non-overlapping windows of ``horizon`` (module docstring).

    Parameters
    ----------
    segments
        Intraday price frames (a ``close`` column, UTC index of bar *open* times, one bar length), each a
        contiguous segment: windows never straddle two segments.
    horizon
        Window length, seconds (a whole number of days).
    warmup
        Days of EWMA history skipped at the start of each segment (the filter starts from the mean square of
        30 daily returns), seconds.
    daily_lambda
        EWMA decay per day (the calibrator's: RiskMetrics 0.94).

    Returns
    -------
    pandas.DataFrame
        One row per window, indexed by its start: ``sigma_forecast`` (annualised, EWMA of daily closes up to the
        start), ``sigma_continuous`` (bipower, annualised), ``sigma_realized`` (close-to-close, annualised),
        ``ratio`` (= continuous / forecast) and ``ratio_realized``.
    """
    if horizon % DAY or horizon <= 0:
        raise SolvencyInputError(f"the vol-of-vol window must be a whole number of days, got {horizon} s")
    rows = []
    for seg in segments:
        frame = seg if isinstance(seg, pd.DataFrame) else seg.to_frame("close")
        close = frame["close"]
        r = log_returns(frame)
        sq = close_to_close_variance(close.to_numpy())[1:]  # r² per bar, aligned with r
        step = infer_step(r.index)
        per_window = horizon // step
        if per_window < 3 or DAY % step:
            raise SolvencyInputError(f"vol-of-vol needs intraday bars dividing a day, got a {step} s bar")
        # daily closes: the last bar opened on each UTC day closes at 00:00 of the next
        daily = np.log(close.resample("1D").last().dropna())
        rd = daily.diff().dropna()
        fvar = ewma_variance(rd.to_numpy(), decay_for_step(DAY, daily_lambda))  # fvar[t]: forecast of rd[t]
        forecast = pd.Series(np.sqrt(fvar * SECONDS_PER_YEAR / DAY), index=rd.index)  # for day rd.index[t]
        starts = rd.index[rd.index >= rd.index[0] + pd.Timedelta(seconds=warmup)]
        values = r.to_numpy()
        times = r.index
        years = horizon / SECONDS_PER_YEAR
        last_end = None
        for start in starts:
            if last_end is not None and start < last_end:
                continue
            i = int(times.searchsorted(start))
            window = values[i : i + per_window]
            if (
                window.size < per_window
                or times[i] != start
                or times[i + per_window - 1] != start + pd.Timedelta(seconds=horizon - step)
            ):
                continue  # a gap in the bars: skip the window rather than mix in a longer move
            # bipower over the window's own pairs: bipower_sd reads the window − 2 pairs before its last bar
            sd_c = bipower_sd(np.append(window, 0.0), per_window + 1)[per_window]
            rv = float(np.sum(sq[i : i + per_window]))
            s_f = float(forecast.loc[start])
            s_c = math.sqrt(sd_c * sd_c * per_window / years)
            s_r = math.sqrt(rv / years)
            rows.append((start, s_f, s_c, s_r, s_c / s_f, s_r / s_f))
            last_end = start + pd.Timedelta(seconds=horizon)
    if not rows:
        raise SolvencyInputError("no complete vol-of-vol window: give longer intraday segments")
    out = pd.DataFrame(
        rows,
        columns=["start", "sigma_forecast", "sigma_continuous", "sigma_realized", "ratio", "ratio_realized"],
    )
    return out.set_index("start")


@dataclass(frozen=True)
class VolMixtureEstimate:
    """:func:`estimate_vol_mixture`'s result: the law, the windows behind it and a lognormal fit for comparison."""

    law: VolMixture
    windows: pd.DataFrame
    log_mean: float
    log_sd: float

    def to_dict(self) -> dict[str, object]:
        ratio = self.windows["ratio"].to_numpy()
        probs = np.asarray(REPORT_PROBS)
        return {
            **self.law.to_dict(),
            "n_windows": int(ratio.size),
            "mean_square_ratio": float(np.mean(ratio**2)),
            "mean_square_ratio_realized": float(np.mean(self.windows["ratio_realized"].to_numpy() ** 2)),
            "lognormal": {"log_mean": self.log_mean, "log_sd": self.log_sd},
            "tail": [
                {"prob": float(p), "empirical": float(e), "lognormal": float(ln)}
                for p, e, ln in zip(
                    probs,
                    np.quantile(ratio, probs),
                    np.exp(self.log_mean + self.log_sd * stats.norm.ppf(probs)),
                    strict=True,
                )
            ],
            "knots": {"probs": list(self.law.probs), "quantiles": [round(q, 6) for q in self.law.quantiles]},
            "method": "bipower realized volatility over non-overlapping windows / EWMA(0.94) daily forecast at start",
        }


def estimate_vol_mixture(
    segments: Sequence[pd.DataFrame | pd.Series],
    *,
    horizon: int = 3 * DAY,
    warmup: int = 60 * DAY,
    probs: Sequence[float] = QUANTILE_PROBS,
) -> VolMixtureEstimate:
    """Estimate the volatility mixture: empirical quantiles of :func:`vol_ratios`' ``ratio`` at ``probs``."""
    windows = vol_ratios(segments, horizon=horizon, warmup=warmup)
    ratio = windows["ratio"].to_numpy()
    if ratio.size < 20:
        raise SolvencyInputError(f"vol-of-vol needs at least 20 windows, got {ratio.size}")
    q = np.quantile(ratio, np.asarray(probs, dtype="float64"))
    law = VolMixture(probs=tuple(float(p) for p in probs), quantiles=tuple(float(x) for x in q))
    logs = np.log(ratio)
    return VolMixtureEstimate(law, windows, float(np.mean(logs)), float(np.std(logs, ddof=1)))
