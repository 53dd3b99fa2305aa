"""HAR-RV: heterogeneous autoregressive model of realized variance (Corsi 2009), in logs by default.

Corsi, F. (2009). A simple approximate long-memory model of realized volatility. *Journal of Financial
Econometrics* 7(2), 174-196. Tomorrow's realized variance is regressed on today's, and on its averages over
the past week and month::

    x_{t+1} = c + b_d x_t + b_w mean(x_{t-6..t}) + b_m mean(x_{t-29..t}) + e_{t+1},   x = ln RV

Choices made here, and why:

* **Realized variance** is a range-based per-bar estimate (Garman-Klass by default, see
  :mod:`solvency.market.realized`): with daily OHLC bars it is the least noisy proxy available without
  intraday data, and five to seven times more efficient than the squared return.
* **Lags in calendar time.** Crypto trades 24/7, so a week is 7 daily bars and a month 30, not Corsi's 5 and 22
  trading days. For intraday bars the components are 1 bar, 1 day, 1 week and 1 month (:func:`har_lags`).
* **Logs (log-HAR)** keep every forecast positive without an ad-hoc floor, and make the regression far less
  dominated by the few crash days (Corsi's own robustness variant; Andersen, Bollerslev & Diebold 2007 also
  model log RV). The forecast of the *level* undoes the log with the log-normal correction
  ``E[RV] = exp(m + ½ v)``, where ``v`` is the forecast-error variance of ``ln RV`` at that step.
  Bars with zero range (high = low, a halted or illiquid bar) have no log; they are floored at
  :data:`ZERO_FLOOR` times the median positive RV before the log, and counted (``HarFit.floored``).
* **Multi-step forecasts** iterate the regression: the HAR is an AR(30) with restricted coefficients, so the
  h-step mean comes from feeding forecasts back in, and the h-step error variance from its MA(∞) weights
  ``ψ`` (``v_h = s² Σ_{j<h} ψ_j²``).
* **OLS** by ``numpy.linalg.lstsq`` (tests check it against ``statsmodels`` OLS).

``log=False`` gives the original levels HAR; its forecasts are floored at the smallest positive RV seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from solvency.errors import SolvencyInputError

DAILY_LAGS: tuple[int, ...] = (1, 7, 30)
"""Day, week and month components for daily bars of a 24/7 market."""

ZERO_FLOOR: float = 1e-3
"""Zero-range bars are raised to this fraction of the median positive RV before taking logs."""


def har_lags(step_seconds: int) -> tuple[int, ...]:
    """HAR components in bars for a bar length: 1 bar, then 1 day, 1 week and 1 month where longer.

    Examples
    --------
    >>> har_lags(86_400), har_lags(3_600)
    ((1, 7, 30), (1, 24, 168, 720))
    """
    spans = (86_400, 7 * 86_400, 30 * 86_400)
    lags = [1]
    for span in spans:
        bars = round(span / step_seconds)
        if bars > lags[-1]:
            lags.append(bars)
    return tuple(lags)


def min_har_bars(step_seconds: int) -> int:
    """Fewest RV bars a HAR fit needs at this bar length (longest component plus a few regression rows)."""
    return _needed(har_lags(step_seconds))


def _needed(lags: tuple[int, ...]) -> int:
    return max(lags) + 2 * (len(lags) + 1)


def har_design(x: np.ndarray, lags: tuple[int, ...]) -> np.ndarray:
    """Regressors ``[1, mean(x[t-l+1..t]) for l in lags]`` for each bar ``t`` (NaN before ``max(lags) - 1``)."""
    x = np.asarray(x, dtype="float64")
    n = x.size
    out = np.full((n, 1 + len(lags)), np.nan)
    out[:, 0] = 1.0
    csum = np.concatenate([[0.0], np.cumsum(x)])
    for j, lag in enumerate(lags, start=1):
        if n >= lag:
            out[lag - 1 :, j] = (csum[lag:] - csum[:-lag]) / lag
    return out


@dataclass(frozen=True)
class HarFit:
    """A fitted HAR-RV regression.

    Attributes
    ----------
    coef
        ``[c, b_1, …]`` for the constant and each component in ``lags`` (on ``ln RV`` when ``log``).
    lags
        Component windows in bars.
    log
        Fitted on ``ln RV`` (log-HAR) rather than RV.
    resid_var
        Residual variance ``s²`` (degrees-of-freedom corrected), in the units of the regression.
    nobs
        Observations in the regression.
    floor
        Value zero RVs were raised to (log-HAR), or the forecast floor (levels).
    floored
        Number of zero RVs raised to ``floor``.
    """

    coef: np.ndarray = field(repr=False)
    lags: tuple[int, ...]
    log: bool
    resid_var: float
    nobs: int
    floor: float
    floored: int = 0

    def ar_coefficients(self) -> np.ndarray:
        """The HAR as an AR(max lag): ``φ_j = Σ_{l ≥ j} b_l / l`` for ``j = 1 … max(lags)``."""
        p = max(self.lags)
        phi = np.zeros(p)
        for b, lag in zip(self.coef[1:], self.lags, strict=True):
            phi[:lag] += b / lag
        return phi

    def forecast(self, rv: np.ndarray, steps: int) -> np.ndarray:
        """Expected RV of the next ``steps`` bars given the RV history ``rv`` (see :func:`har_forecast`)."""
        return har_forecast(self, rv, steps)


def _transform(rv: np.ndarray, log: bool, floor: float | None = None) -> tuple[np.ndarray, float, int]:
    rv = np.asarray(rv, dtype="float64")
    if rv.ndim != 1 or not np.isfinite(rv).all() or (rv < 0).any():
        bad = np.flatnonzero(~np.isfinite(rv) | (rv < 0)) if rv.ndim == 1 else [0]
        raise SolvencyInputError(
            f"realized variance must be finite and non-negative (bar {int(bad[0]) if len(bad) else 0})",
            hint="check the OHLC bars with `solvency data check`",
        )
    positive = rv[rv > 0]
    if positive.size == 0:
        raise SolvencyInputError("realized variance is zero on every bar (flat prices): nothing to model")
    if floor is None:
        floor = ZERO_FLOOR * float(np.median(positive)) if log else float(positive.min())
    zeros = int(np.sum(rv <= 0))
    if log:
        return np.log(np.maximum(rv, floor)), floor, zeros
    return rv, floor, zeros


def _ols(x_rows: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    coef, *_ = np.linalg.lstsq(x_rows, y, rcond=None)
    resid = y - x_rows @ coef
    dof = max(1, y.size - x_rows.shape[1])
    return coef, float(resid @ resid) / dof


def fit_har(rv: np.ndarray, *, lags: tuple[int, ...] = DAILY_LAGS, log: bool = True) -> HarFit:
    """Fit HAR-RV by OLS on a per-bar realized-variance series.

    Parameters
    ----------
    rv
        Realized variance per bar (squared log-return units), oldest first, non-negative.
    lags
        Component windows in bars (:func:`har_lags`).
    log
        Log-HAR (default) or levels HAR.

    Raises
    ------
    SolvencyInputError
        Too short a history: at least ``max(lags) + 2 × (len(lags) + 1)`` bars are needed.
    """
    lags = tuple(int(v) for v in lags)
    need = _needed(lags)
    if np.asarray(rv).size < need:
        raise SolvencyInputError(f"HAR with lags {lags} needs at least {need} bars, got {np.asarray(rv).size}")
    x, floor, zeros = _transform(rv, log)
    design = har_design(x, lags)
    first = max(lags) - 1
    coef, s2 = _ols(design[first:-1], x[first + 1 :])
    return HarFit(coef, lags, log, s2, x.size - first - 1, floor, zeros)


def har_forecast(fit: HarFit, rv: np.ndarray, steps: int) -> np.ndarray:
    """Iterated forecasts of the RV of the next ``steps`` bars after ``rv``.

    Returns
    -------
    numpy.ndarray
        Expected RV per bar (squared log-return units), length ``steps``, all positive.
    """
    if steps < 1:
        raise SolvencyInputError(f"forecast steps must be at least 1, got {steps}")
    p = max(fit.lags)
    x, _, _ = _transform(np.asarray(rv)[-p:], fit.log, fit.floor)
    if x.size < p:
        raise SolvencyInputError(f"HAR forecast needs the last {p} bars of RV, got {x.size}")
    phi = fit.ar_coefficients()
    hist = list(x)
    means = np.empty(steps)
    for h in range(steps):
        means[h] = fit.coef[0] + float(phi @ np.asarray(hist[-1 : -p - 1 : -1]))
        hist.append(means[h])
    if not fit.log:
        return np.maximum(means, fit.floor)
    # ψ_0 = 1, ψ_j = Σ_i φ_i ψ_{j-i}: the forecast-error variance of ln RV at step h is s² Σ_{j<h} ψ_j².
    psi = np.zeros(steps)
    psi[0] = 1.0
    for j in range(1, steps):
        k = min(j, p)
        psi[j] = float(phi[:k] @ psi[j - 1 :: -1][:k])
    v = fit.resid_var * np.cumsum(psi**2)
    return np.exp(means + 0.5 * v)


def walk_forward_har(
    rv: np.ndarray,
    *,
    start: int,
    lags: tuple[int, ...] = DAILY_LAGS,
    log: bool = True,
    refit_every: int = 1,
    window: int | None = None,
    on_step: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Out-of-sample one-step HAR forecasts of ``rv[start:]``, each from ``rv[:t]`` only.

    Parameters
    ----------
    rv
        Realized variance per bar.
    start
        First bar to forecast; needs ``start ≥ max(lags) + 2 × (len(lags) + 1)``.
    refit_every
        Bars between OLS re-estimations (OLS is cheap: 1, every bar, by default).
    window
        Regress on the last ``window`` observations only (rolling) instead of all so far.
    on_step
        Progress callback, called with the number of bars forecast so far.

    Returns
    -------
    numpy.ndarray
        Length ``len(rv) − start``: the expected RV of bar ``t`` given bars before ``t``.
    """
    lags = tuple(int(v) for v in lags)
    rv = np.asarray(rv, dtype="float64")
    n = rv.size
    need = _needed(lags)
    if not need <= start <= n:
        raise SolvencyInputError(f"HAR walk-forward start must be in [{need}, {n}], got {start}")
    p = max(lags)
    out = np.empty(n - start)
    fit: HarFit | None = None
    for t in range(start, n):
        if fit is None or (t - start) % refit_every == 0:
            lo = 0 if window is None else max(0, t - window)
            fit = fit_har(rv[lo:t], lags=lags, log=log)
        out[t - start] = har_forecast(fit, rv[t - p : t], 1)[0]
        if on_step is not None and ((t - start + 1) % 100 == 0 or t == n - 1):
            on_step(t - start + 1)
    return out
