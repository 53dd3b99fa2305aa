"""Correlation between assets: rolling, EWMA, and stressed (tail) estimates, made safe for Cholesky.

Crypto correlations rise in sell-offs ("correlations go to one"), which is exactly when a multi-collateral
book is hurt. Four estimators, all on log returns (rows = bars, columns = assets):

* :func:`rolling_correlation` — Pearson correlation over a trailing window of bars;
* :func:`ewma_correlation` — RiskMetrics exponentially weighted covariance, normalised (decay per bar; use
  :func:`solvency.market.ewma.decay_for_step` for a time-aware λ);
* :func:`stressed_correlation` — the upper ``quantile`` of the rolling correlations of each pair (the level
  correlations reached in their worst windows), projected to the nearest valid correlation matrix;
* :func:`tail_correlation` — exceedance correlation (Longin & Solnik, 2001, *J. Finance* 56(2)): Pearson
  correlation of the bars on which *both* assets fall below their ``quantile``. Note that for a Gaussian pair
  with constant correlation the exceedance correlation is *lower* than the full-sample one (truncation bias,
  Boyer, Gibson & Loretan, 1999), so a higher value on real data is evidence of tail dependence.

:func:`blend_correlation` stresses any matrix toward all-ones (a convex combination, so it stays valid), and
:func:`nearest_correlation` repairs an estimate that is not positive semi-definite (statsmodels' Higham-type
``corr_nearest``). :func:`cholesky_factor` is what path generators call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError


def _matrix(returns: pd.DataFrame | np.ndarray) -> np.ndarray:
    r = np.asarray(returns, dtype="float64")
    if r.ndim != 2 or r.shape[1] < 2:
        raise SolvencyInputError("correlation needs a 2-D array of returns with at least two assets (columns)")
    if not np.all(np.isfinite(r)):
        row = int(np.flatnonzero(~np.all(np.isfinite(r), axis=1))[0])
        where = returns.index[row] if isinstance(returns, pd.DataFrame) else None
        raise SolvencyInputError(
            f"returns contain NaN or infinite values (row {row + 1})",
            time=where,
            hint="align the price series on common timestamps and drop gaps first",
        )
    return r


def _normalise(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diagonal(cov, axis1=-2, axis2=-1))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cov / (sd[..., :, None] * sd[..., None, :])
    idx = np.arange(cov.shape[-1])
    out[..., idx, idx] = 1.0
    return np.clip(out, -1.0, 1.0)


def rolling_correlation(returns: pd.DataFrame | np.ndarray, window: int) -> np.ndarray:
    """Correlation matrices over trailing windows of ``window`` bars.

    Returns
    -------
    numpy.ndarray
        Shape ``(T, n, n)``; ``out[t]`` uses bars ``t-window+1 … t``; the first ``window-1`` are NaN.
    """
    r = _matrix(returns)
    t, n = r.shape
    if not 2 <= window <= t:
        raise SolvencyInputError(f"rolling window must be between 2 and the {t} bars available, got {window}")
    out = np.full((t, n, n), np.nan)
    views = np.lib.stride_tricks.sliding_window_view(r, window, axis=0)  # (t-w+1, n, w)
    centred = views - views.mean(axis=2, keepdims=True)
    cov = np.einsum("kiw,kjw->kij", centred, centred) / (window - 1)
    out[window - 1 :] = _normalise(cov)
    return out


def ewma_correlation(returns: pd.DataFrame | np.ndarray, lam: float = 0.94, *, init: int = 30) -> np.ndarray:
    """RiskMetrics EWMA correlation, ``Σ_t = λ Σ_{t-1} + (1-λ) r_t r_tᵀ`` (zero-mean returns), normalised.

    Parameters
    ----------
    returns
        Log returns per bar.
    lam
        Decay per bar in (0, 1).
    init
        Bars whose sample second moment starts the recursion.

    Returns
    -------
    numpy.ndarray
        Shape ``(T, n, n)``; ``out[t]`` includes bar ``t``.
    """
    r = _matrix(returns)
    if not 0 < lam < 1:
        raise SolvencyInputError(f"EWMA decay lam must be in (0, 1), got {lam!r}")
    k = max(2, min(init, r.shape[0]))
    cov = r[:k].T @ r[:k] / k
    out = np.empty((r.shape[0], r.shape[1], r.shape[1]))
    for t in range(r.shape[0]):
        cov = lam * cov + (1.0 - lam) * np.outer(r[t], r[t])
        out[t] = cov
    return _normalise(out)


def stressed_correlation(returns: pd.DataFrame | np.ndarray, *, window: int = 30, quantile: float = 0.95) -> np.ndarray:
    """Each pair's ``quantile`` of its rolling-window correlations, as a valid correlation matrix.

    The level correlations reach in the worst (most correlated) windows — the matrix a stress test should use
    for sell-offs. The element-wise quantiles need not form a positive semi-definite matrix, so the result is
    projected with :func:`nearest_correlation`.
    """
    if not 0.5 <= quantile < 1:
        raise SolvencyInputError(f"stress quantile must be in [0.5, 1), got {quantile!r}")
    rolling = rolling_correlation(returns, window)[window - 1 :]
    return nearest_correlation(np.quantile(rolling, quantile, axis=0))


def tail_correlation(returns: pd.DataFrame | np.ndarray, *, quantile: float = 0.1, min_obs: int = 10) -> np.ndarray:
    """Exceedance correlation in the joint lower tail (Longin & Solnik 2001), pair by pair.

    For each pair, the Pearson correlation of the bars where both returns are at or below their own
    ``quantile``. Pairs with fewer than ``min_obs`` joint exceedances are NaN (the caller decides the fallback);
    the matrix is not projected.
    """
    r = _matrix(returns)
    if not 0 < quantile <= 0.5:
        raise SolvencyInputError(f"tail quantile must be in (0, 0.5], got {quantile!r}")
    thresholds = np.quantile(r, quantile, axis=0)
    below = r <= thresholds
    n = r.shape[1]
    out = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            both = below[:, i] & below[:, j]
            value = np.nan
            if both.sum() >= min_obs:
                value = float(np.corrcoef(r[both, i], r[both, j])[0, 1])
            out[i, j] = out[j, i] = value
    return out


def blend_correlation(corr: np.ndarray, weight: float, target: float = 1.0) -> np.ndarray:
    """``(1-w)·C + w·T`` where ``T`` has ``target`` off the diagonal: correlations pushed toward ``target``.

    With ``0 ≤ target ≤ 1`` both terms are valid correlation matrices, so the blend is one too.
    """
    c = check_correlation(corr)
    if not 0 <= weight <= 1 or not 0 <= target <= 1:
        raise SolvencyInputError(f"blend weight and target must be in [0, 1], got {weight!r}, {target!r}")
    t = np.full_like(c, target)
    np.fill_diagonal(t, 1.0)
    return (1.0 - weight) * c + weight * t


def nearest_correlation(corr: np.ndarray) -> np.ndarray:
    """A nearby positive semi-definite correlation matrix with unit diagonal.

    statsmodels' ``corr_nearest`` (Higham-type iterations); if it stops at its iteration limit short of a PSD
    matrix, statsmodels' ``corr_clipped`` (eigenvalues clipped at ~0, then rescaled to a unit diagonal).
    """
    import warnings

    from statsmodels.stats.correlation_tools import corr_clipped, corr_nearest

    c = np.asarray(corr, dtype="float64")
    if c.ndim != 2 or c.shape[0] != c.shape[1] or not np.all(np.isfinite(c)):
        raise SolvencyInputError("a correlation matrix must be square and finite")
    c = 0.5 * (c + c.T)
    np.fill_diagonal(c, 1.0)
    if np.linalg.eigvalsh(c).min() >= 0:
        return c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IterationLimitWarning: checked below
        out = corr_nearest(c, threshold=1e-10, n_fact=1000)
    if np.linalg.eigvalsh(0.5 * (out + out.T)).min() < -1e-10:
        out = corr_clipped(c, threshold=1e-10)
    out = 0.5 * (out + out.T)
    np.fill_diagonal(out, 1.0)
    return out


def check_correlation(corr: np.ndarray | list[list[float]]) -> np.ndarray:
    """Validate a correlation matrix: square, symmetric, unit diagonal, entries in [-1, 1], PSD.

    Raises
    ------
    SolvencyInputError
        Naming what is wrong, with a hint to :func:`nearest_correlation` when it is not PSD.
    """
    c = np.asarray(corr, dtype="float64")
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise SolvencyInputError(f"correlation matrix must be square, got shape {c.shape}")
    if not np.all(np.isfinite(c)) or np.any(np.abs(c) > 1 + 1e-12):
        raise SolvencyInputError("correlation entries must be finite and within [-1, 1]")
    if not np.allclose(c, c.T, atol=1e-12):
        raise SolvencyInputError("correlation matrix must be symmetric")
    if not np.allclose(np.diagonal(c), 1.0, atol=1e-12):
        raise SolvencyInputError("correlation matrix must have ones on the diagonal")
    if np.linalg.eigvalsh(c).min() < -1e-10:
        raise SolvencyInputError(
            "correlation matrix is not positive semi-definite",
            hint="repair it with solvency.market.correlation.nearest_correlation",
        )
    return c


def cholesky_factor(corr: np.ndarray | list[list[float]]) -> np.ndarray:
    """Lower-triangular ``L`` with ``L Lᵀ = corr`` (a tiny ridge handles singular but valid matrices)."""
    c = check_correlation(corr)
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        return np.linalg.cholesky(c + 1e-12 * np.eye(c.shape[0]))
