"""GARCH(1,1) and GJR-GARCH(1,1) with Student-t innovations, estimated by ``arch``; fast filter and forecasts.

Model (per bar, log returns ``r_t``, ``ε_t = r_t − μ``)::

    σ²_t = ω + (α + γ·1[ε_{t-1} < 0]) ε²_{t-1} + β σ²_{t-1},     ε_t = σ_t z_t,  z_t ~ t_ν (unit variance)

with ``γ = 0`` for GARCH (Bollerslev 1986) and ``γ ≥ 0`` for GJR (Glosten, Jagannathan & Runkle 1993).

Estimation is ``arch.arch_model(..., mean="Constant", vol="GARCH", p=1, o=0|1, q=1, dist="t")`` on returns
multiplied by :data:`SCALE` (100 for daily bars: percent returns; ``100·sqrt(1 day / bar)`` for shorter bars,
:func:`scale_for_step`), because ``arch``'s optimiser is tuned for variances of order 1-1000. Everything this
module returns is **unscaled**: ``μ`` in log-return units per bar, ``ω`` and variances in squared log-return
units per bar; ``α, γ, β, ν`` are scale-free.

For walk-forward use the parameters are re-estimated every ``refit_every`` bars and the variance is filtered
every bar with fixed parameters (:func:`garch_filter`), which reproduces ``arch``'s ``fix(params)`` recursion
exactly, including its backcast of the initial variance (exponentially weighted, λ = 0.94, over the first 75
squared residuals around the sample mean). ``arch`` also clips each variance into very wide data-dependent
bounds (``EWMA/1e6 … EWMA·1e6``) that only bind for degenerate parameters; the filter does not.

Multi-step forecasts come from the model's own recursion, not from sqrt-time scaling: with persistence
``φ = α + γ/2 + β`` (``E[1[z<0] z²] = ½`` for a symmetric ``z``) and ``σ̄² = ω / (1 − φ)``,
``E_t σ²_{t+h} = σ̄² + φ^{h−1} (σ²_{t+1} − σ̄²)``, as ``arch``'s analytic forecast.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.signal import lfilter

from solvency.errors import SolvencyInputError

GarchKind = Literal["garch", "gjr"]
SCALE: float = 100.0
"""Returns are multiplied by this before ``arch`` estimates the model (daily log returns → percent)."""


def scale_for_step(step_seconds: float) -> float:
    """Return multiplier for bars of ``step_seconds``: :data:`SCALE` for daily bars, proportionally more for
    shorter ones (``100 · sqrt(1 day / step)``), so the scaled variance stays of order 1-10 for any bar length.

    Examples
    --------
    >>> scale_for_step(86_400), scale_for_step(3_600) == 100 * 24 ** 0.5
    (100.0, True)
    """
    return SCALE * math.sqrt(86_400.0 / float(step_seconds))


MIN_OBS: int = 100
"""Fewest returns a GARCH fit accepts."""

_BACKCAST_WINDOW = 75
_BACKCAST_DECAY = 0.94


@dataclass(frozen=True)
class GarchParams:
    """Parameters of a (GJR-)GARCH(1,1)-t model in unscaled per-bar units.

    Attributes
    ----------
    kind
        ``"garch"`` or ``"gjr"``.
    mu
        Mean log return per bar.
    omega
        Variance intercept, squared log-return units per bar.
    alpha, gamma, beta
        ARCH, leverage (0 for ``"garch"``) and GARCH coefficients.
    nu
        Student-t degrees of freedom (> 2).
    """

    kind: GarchKind
    mu: float
    omega: float
    alpha: float
    gamma: float
    beta: float
    nu: float

    @property
    def persistence(self) -> float:
        """``α + γ/2 + β``: how much of today's variance shock survives to tomorrow."""
        return self.alpha + 0.5 * self.gamma + self.beta

    @property
    def unconditional_variance(self) -> float:
        """Long-run variance per bar ``ω / (1 − φ)`` (``inf`` when the process is not stationary)."""
        phi = self.persistence
        return self.omega / (1.0 - phi) if phi < 1.0 else math.inf

    def to_arch(self, scale: float = SCALE) -> np.ndarray:
        """Parameter vector in ``arch``'s order and units for returns multiplied by ``scale``."""
        head = [self.mu * scale, self.omega * scale**2, self.alpha]
        if self.kind == "gjr":
            head.append(self.gamma)
        return np.array([*head, self.beta, self.nu])

    @classmethod
    def from_arch(cls, kind: GarchKind, values: np.ndarray, scale: float = SCALE) -> GarchParams:
        """Inverse of :meth:`to_arch`."""
        v = [float(x) for x in values]
        if kind == "gjr":
            mu, omega, alpha, gamma, beta, nu = v
        else:
            mu, omega, alpha, beta, nu = v
            gamma = 0.0
        return cls(kind, mu / scale, omega / scale**2, alpha, gamma, beta, nu)


@dataclass(frozen=True)
class GarchFit:
    """A fitted (GJR-)GARCH(1,1)-t model.

    Attributes
    ----------
    params
        Estimated parameters (unscaled).
    sigma2
        In-sample conditional variance per bar, ``sigma2[t]`` for ``r[t]`` given ``r[:t]`` (length ``n``).
    std_resid
        Standardised residuals ``(r[t] − μ) / σ_t`` (length ``n``), e.g. for filtered historical simulation.
    next_variance
        One-step-ahead forecast of the variance of the bar after the sample.
    backcast
        Initial variance of the recursion (unscaled), ``arch``'s convention.
    loglikelihood
        Log-likelihood of the unscaled returns.
    nobs
        Number of returns used.
    converged
        The optimiser reported success.
    scale
        Factor the returns were multiplied by for ``arch``.
    """

    params: GarchParams
    sigma2: np.ndarray = field(repr=False)
    std_resid: np.ndarray = field(repr=False)
    next_variance: float
    backcast: float
    loglikelihood: float
    nobs: int
    converged: bool
    scale: float = SCALE
    result: Any = field(default=None, repr=False, compare=False)

    def summary(self) -> str:
        """``arch``'s estimation summary (in scaled units) for this fit."""
        return str(self.result.summary()) if self.result is not None else repr(self)

    def forecast(self, steps: int) -> np.ndarray:
        """Per-bar variance forecasts for the next ``steps`` bars (see :func:`garch_forecast`)."""
        return garch_forecast(self.params, self.next_variance, steps)


def _check_returns(returns: np.ndarray, min_obs: int = MIN_OBS) -> np.ndarray:
    r = np.asarray(returns, dtype="float64")
    if r.ndim != 1:
        raise SolvencyInputError("returns must be a 1-D series")
    if not np.isfinite(r).all():
        i = int(np.flatnonzero(~np.isfinite(r))[0])
        raise SolvencyInputError(f"return {i} is not finite", hint="clean the price file first")
    if r.size < min_obs:
        raise SolvencyInputError(f"GARCH needs at least {min_obs} returns, got {r.size}", hint="use a longer history")
    return r


def arch_model_for(returns: np.ndarray, kind: GarchKind, scale: float = SCALE) -> Any:
    """The ``arch`` model this module estimates, on ``returns * scale`` (exposed for tests and users)."""
    from arch import arch_model

    if kind not in ("garch", "gjr"):
        raise SolvencyInputError(f"unknown GARCH kind {kind!r}; choose 'garch' or 'gjr'")
    return arch_model(
        np.asarray(returns, dtype="float64") * scale,
        mean="Constant",
        vol="GARCH",
        p=1,
        o=1 if kind == "gjr" else 0,
        q=1,
        dist="t",
        rescale=False,
    )


def fit_garch(
    returns: np.ndarray,
    *,
    kind: GarchKind = "garch",
    scale: float = SCALE,
    starting: GarchParams | None = None,
) -> GarchFit:
    """Estimate a GARCH(1,1)-t or GJR-GARCH(1,1)-t by maximum likelihood with ``arch``.

    Parameters
    ----------
    returns
        Log returns per bar (1-D, finite, at least :data:`MIN_OBS`).
    kind
        ``"garch"`` or ``"gjr"``.
    scale
        Returns are multiplied by ``scale`` for the optimiser; results are unscaled.
    starting
        Warm start (e.g. the previous fit in a walk-forward); ignored by ``arch`` when outside its bounds.

    Returns
    -------
    GarchFit
    """
    from arch.utility.exceptions import StartingValueWarning

    r = _check_returns(returns)
    model = arch_model_for(r, kind, scale)
    sv = None if starting is None else _feasible_start(starting, scale)
    with warnings.catch_warnings():
        # A warm start outside arch's data-dependent bounds is replaced by arch's own; that is fine here.
        warnings.filterwarnings("ignore", category=StartingValueWarning)
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        res = model.fit(disp="off", starting_values=sv, show_warning=False)
    params = GarchParams.from_arch(kind, res.params.to_numpy(), scale)
    backcast = garch_backcast(r)  # arch's convention (tests check it equals arch's own)
    sigma2_all = garch_filter(r, params, backcast=backcast)
    return GarchFit(
        params=params,
        sigma2=sigma2_all[:-1],
        std_resid=(r - params.mu) / np.sqrt(sigma2_all[:-1]),
        next_variance=float(sigma2_all[-1]),
        backcast=backcast,
        loglikelihood=float(res.loglikelihood) + r.size * math.log(scale),  # density of r = scale × density of r·scale
        nobs=int(r.size),
        converged=int(res.convergence_flag) == 0,
        scale=scale,
        result=res,
    )


def _feasible_start(p: GarchParams, scale: float) -> np.ndarray:
    # Shrink persistence strictly inside arch's constraint (α + γ/2 + β < 1) and ν inside (2.05, 500):
    # a warm start sitting on the boundary is otherwise rejected with a warning.
    phi = p.persistence
    shrink = min(1.0, 0.999 / phi) if phi > 0 else 1.0
    q = dataclasses.replace(
        p,
        alpha=p.alpha * shrink,
        gamma=p.gamma * shrink,
        beta=p.beta * shrink,
        nu=min(max(p.nu, 2.1), 499.0),
    )
    return q.to_arch(scale)


def garch_backcast(returns: np.ndarray) -> float:
    """``arch``'s initial variance: exponentially weighted (0.94) mean of the first 75 squared demeaned returns.

    The returns are demeaned by their sample mean (``arch`` uses its OLS starting value for ``μ`` here).
    """
    r = np.asarray(returns, dtype="float64")
    resid = r - r.mean()
    tau = min(_BACKCAST_WINDOW, resid.size)
    w = _BACKCAST_DECAY ** np.arange(tau)
    w /= w.sum()
    return float(np.sum(resid[:tau] ** 2 * w))


def garch_filter(returns: np.ndarray, params: GarchParams, *, backcast: float | None = None) -> np.ndarray:
    """Conditional variances of a (GJR-)GARCH(1,1) with fixed parameters.

    Parameters
    ----------
    returns
        Log returns per bar, length ``n``.
    params
        Fixed (unscaled) parameters.
    backcast
        Variance standing in for ``σ²_{-1}`` and ``ε²_{-1}``; default :func:`garch_backcast` of ``returns``.

    Returns
    -------
    numpy.ndarray
        Length ``n + 1``: ``out[t]`` is the variance of ``r[t]`` given ``r[:t]``; ``out[n]`` is the one-step
        forecast beyond the sample. Squared log-return units per bar.

    Notes
    -----
    The recursion is linear in ``σ²`` once the shocks are known, so it runs as one IIR filter
    (``scipy.signal.lfilter``) instead of a Python loop.
    """
    r = np.asarray(returns, dtype="float64")
    bc = garch_backcast(r) if backcast is None else float(backcast)
    eps = r - params.mu
    e2 = eps * eps
    shock = params.alpha * e2
    if params.gamma:
        shock = shock + params.gamma * e2 * (eps < 0)
    out = np.empty(r.size + 1)
    # arch starts with σ²_0 = ω + (α + γ/2) bc + β bc.
    out[0] = params.omega + (params.alpha + 0.5 * params.gamma + params.beta) * bc
    if r.size:
        x = params.omega + shock
        out[1:], _ = lfilter([1.0], [1.0, -params.beta], x, zi=[params.beta * out[0]])
    return out


def garch_forecast(params: GarchParams, next_variance: float, steps: int) -> np.ndarray:
    """Per-bar variance forecasts ``E_t σ²_{t+1} … E_t σ²_{t+steps}`` from the model's recursion.

    Examples
    --------
    >>> p = GarchParams("garch", 0.0, 1e-5, 0.1, 0.0, 0.8, 5.0)  # σ̄² = 1e-4
    >>> garch_forecast(p, 2e-4, 3).round(10).tolist()
    [0.0002, 0.00019, 0.000181]
    """
    if steps < 1:
        raise SolvencyInputError(f"forecast steps must be at least 1, got {steps}")
    phi = params.persistence
    h = np.arange(steps, dtype="float64")
    if abs(1.0 - phi) < 1e-12:
        return next_variance + params.omega * h
    vbar = params.omega / (1.0 - phi)
    return vbar + phi**h * (next_variance - vbar)


def horizon_variance(per_step: np.ndarray, steps: float) -> float:
    """Variance accumulated over ``steps`` bars (fractional allowed) from per-bar forecasts.

    ``steps = 2.5`` sums the first two forecasts and half of the third.
    """
    if steps <= 0:
        raise SolvencyInputError(f"horizon must be positive, got {steps} bars")
    whole = math.floor(steps + 1e-9)
    frac = steps - whole
    total = float(np.sum(per_step[:whole]))
    if frac > 1e-9:
        total += frac * float(per_step[whole])
    return total


def walk_forward_garch(
    returns: np.ndarray,
    *,
    kind: GarchKind = "garch",
    start: int,
    refit_every: int = 20,
    window: int | None = None,
    scale: float = SCALE,
    warm_start: bool = True,
    on_step: Callable[[int], None] | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Out-of-sample one-step variance forecasts: refit every ``refit_every`` bars, filter every bar.

    Parameters
    ----------
    returns
        Log returns per bar, length ``n``.
    start
        First bar to forecast (``start ≥`` :data:`MIN_OBS`); each forecast of ``r[t]`` uses ``r[:t]`` only.
    refit_every
        Bars between re-estimations; between them the variance is filtered with the last parameters.
    window
        Estimate on the last ``window`` returns only (rolling) instead of all returns so far (expanding).
    warm_start
        Start each estimation from the previous parameters (faster; same optimum up to optimiser tolerance).
    on_step
        Called with the number of bars forecast so far after each block (progress bars).

    Returns
    -------
    (numpy.ndarray, dict)
        Forecasts of the variance of ``r[start:]`` (length ``n − start``) and counts
        ``{"fits", "failed_fits"}`` (a fit that does not converge keeps the previous parameters).
    """
    r = _check_returns(returns, min_obs=1)
    n = r.size
    if not MIN_OBS <= start <= n:
        raise SolvencyInputError(f"walk-forward start must be in [{MIN_OBS}, {n}], got {start}")
    if refit_every < 1:
        raise SolvencyInputError(f"refit_every must be at least 1, got {refit_every}")
    out = np.empty(n - start)
    previous: GarchFit | None = None
    fits = failed = 0
    for block_start in range(start, n, refit_every):
        block_end = min(block_start + refit_every, n)
        lo = 0 if window is None else max(0, block_start - window)
        warm = previous.params if warm_start and previous is not None else None
        fit = fit_garch(r[lo:block_start], kind=kind, scale=scale, starting=warm)
        fits += 1
        if not fit.converged:
            failed += 1
            if previous is not None:
                fit = previous
        previous = fit
        # Filter from the estimation sample's start with its backcast through the block: σ²[t] uses r[:t].
        sigma2 = garch_filter(r[lo:block_end], fit.params, backcast=fit.backcast)
        out[block_start - start : block_end - start] = sigma2[block_start - lo : block_end - lo]
        if on_step is not None:
            on_step(block_end - start)
    return out, {"fits": fits, "failed_fits": failed}
