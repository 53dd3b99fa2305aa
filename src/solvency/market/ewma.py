"""EWMA variance (RiskMetrics), the baseline every other forecast is measured against.

RiskMetrics Technical Document (J.P. Morgan/Reuters, 1996), §5.2: ``σ²_t = λ σ²_{t-1} + (1-λ) r²_{t-1}`` with
λ = 0.94 for daily data. For bars of another length the decay is made time-aware so that the half-life in
*time* is the daily one: ``λ_step = λ_daily ** (step / 1 day)``.
"""

from __future__ import annotations

import numpy as np

RISKMETRICS_LAMBDA: float = 0.94
"""RiskMetrics daily decay factor."""


def decay_for_step(step_seconds: float, daily_lambda: float = RISKMETRICS_LAMBDA) -> float:
    """Per-bar decay with the same half-life in time as ``daily_lambda`` per day.

    Examples
    --------
    >>> round(decay_for_step(86_400), 4), round(decay_for_step(3_600), 6)
    (0.94, 0.997425)
    """
    return float(daily_lambda ** (step_seconds / 86_400.0))


def ewma_variance(returns: np.ndarray, lam: float = RISKMETRICS_LAMBDA, *, init: float | None = None) -> np.ndarray:
    """One-step-ahead EWMA variance forecasts.

    Parameters
    ----------
    returns
        Log returns per bar (1-D).
    lam
        Decay per bar, in (0, 1).
    init
        Variance before the first return; default the mean square of the first ``min(n, 30)`` returns.

    Returns
    -------
    numpy.ndarray
        ``out[t]`` is the forecast of ``r[t]**2`` made with returns up to ``t-1`` (length ``n``), in squared
        return units per bar; ``out[0] = init``.
    """
    r = np.asarray(returns, dtype="float64")
    if r.ndim != 1:
        raise ValueError("returns must be 1-D")
    if not 0.0 < lam < 1.0:
        raise ValueError(f"lam must be in (0, 1), got {lam}")
    out = np.empty(r.size)
    if r.size == 0:
        return out
    var = float(np.mean(r[: min(r.size, 30)] ** 2)) if init is None else float(init)
    # scipy.signal.lfilter would vectorise this; the plain loop is kept readable and is fast enough
    # (n ≤ a few 1e5 bars) once written as a linear filter below.
    from scipy.signal import lfilter

    out[0] = var
    if r.size > 1:
        # v[t] = lam v[t-1] + (1-lam) r[t-1]^2  ==  IIR filter on x[t] = r[t-1]^2 with initial state.
        x = (1.0 - lam) * r[:-1] ** 2
        filtered, _ = lfilter([1.0], [1.0, -lam], x, zi=[lam * var])
        out[1:] = filtered
    return out


def ewma_next_variance(returns: np.ndarray, lam: float = RISKMETRICS_LAMBDA, *, init: float | None = None) -> float:
    """The EWMA forecast of the variance of the bar *after* the last return (one more update of the filter)."""
    r = np.asarray(returns, dtype="float64")
    if r.size == 0:
        raise ValueError("need at least one return")
    last = ewma_variance(r, lam, init=init)[-1]
    return float(lam * last + (1.0 - lam) * r[-1] ** 2)


def ewma_forecast(next_variance: float, steps: int) -> np.ndarray:
    """Per-bar variance forecasts over ``steps`` bars: flat at the one-step value.

    EWMA is an IGARCH(1,1) without intercept (λ + (1 − λ) = 1), so ``E_t σ²_{t+h} = σ²_{t+1}`` for every h and
    the horizon variance is ``h σ²_{t+1}`` — square-root-of-time scaling is exact *for this model*.

    Examples
    --------
    >>> ewma_forecast(4e-4, 3).tolist()
    [0.0004, 0.0004, 0.0004]
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    return np.full(int(steps), float(next_variance))
