"""Tail risk of losses: EVT peaks-over-threshold (generalised Pareto) VaR/ES, beside historical and normal.

Losses are positive numbers (e.g. negative log returns, or negative standardised returns for the conditional
version). Above a high threshold ``u`` the excesses ``L − u`` are fitted by a generalised Pareto distribution
(GPD) with shape ``ξ`` and scale ``β`` by maximum likelihood (``scipy.stats.genpareto``, location fixed at 0).
With ``n`` losses of which ``N_u`` exceed ``u``, the tail estimators are (McNeil & Frey 2000, eqs. 7 and 10;
McNeil, Frey & Embrechts 2015, §5.2.3)::

    VaR_q = u + (β/ξ) [ ((n / N_u)(1 − q))^(−ξ) − 1 ]
    ES_q  = VaR_q / (1 − ξ) + (β − ξ u) / (1 − ξ)          (ξ < 1; ES is infinite for ξ ≥ 1)

and, for ``ξ = 0`` (exponential tail), ``VaR_q = u − β ln((n/N_u)(1 − q))``, ``ES_q = VaR_q + β``.

**Threshold.** The 95th percentile of the losses by default (:data:`THRESHOLD_QUANTILE`): with a few
thousand daily bars that leaves 100-150 exceedances, the range where GPD fits of daily returns are stable
(McNeil & Frey use the top 10 % of 1,000); a higher threshold lowers bias but the fit gets noisy quickly. At
least :data:`MIN_EXCEEDANCES` exceedances are required.

* McNeil, A. J. & Frey, R. (2000). Estimation of tail-related risk measures for heteroscedastic financial time
  series: an extreme value approach. *Journal of Empirical Finance* 7, 271-300.
* McNeil, A. J., Frey, R. & Embrechts, P. (2015). *Quantitative Risk Management*, 2nd ed., Princeton.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from solvency.errors import SolvencyInputError

THRESHOLD_QUANTILE: float = 0.95
"""Default POT threshold: this quantile of the losses."""

MIN_EXCEEDANCES: int = 20
"""Fewest exceedances a GPD fit accepts."""

LEVELS: tuple[float, float] = (0.99, 0.999)
"""Confidence levels reported."""


@dataclass(frozen=True)
class GpdTail:
    """A generalised Pareto fit to the excesses of losses over a threshold.

    Attributes
    ----------
    xi
        Shape (tail index; > 0 is a power-law tail with tail exponent ``1/ξ``).
    beta
        Scale, in loss units.
    threshold
        ``u``, in loss units.
    n_exceed
        ``N_u``, losses above ``u``.
    n
        All losses.
    """

    xi: float
    beta: float
    threshold: float
    n_exceed: int
    n: int

    def var(self, level: float) -> float:
        """Value-at-Risk at ``level`` (a loss, same units as the data)."""
        _check_level(level, self.n_exceed / self.n)
        tail = self.n / self.n_exceed * (1.0 - level)
        if abs(self.xi) < 1e-9:
            return self.threshold - self.beta * math.log(tail)
        return self.threshold + self.beta / self.xi * (tail ** (-self.xi) - 1.0)

    def es(self, level: float) -> float:
        """Expected shortfall at ``level`` (``inf`` when ``ξ ≥ 1``)."""
        if self.xi >= 1.0:
            return math.inf
        v = self.var(level)
        if abs(self.xi) < 1e-9:
            return v + self.beta
        return v / (1.0 - self.xi) + (self.beta - self.xi * self.threshold) / (1.0 - self.xi)


def _check_level(level: float, tail_share: float) -> None:
    if not 0.0 < level < 1.0:
        raise SolvencyInputError(f"confidence level must be in (0, 1), got {level}")
    if 1.0 - level > tail_share:
        raise SolvencyInputError(
            f"level {level} lies below the POT threshold (top {tail_share:.1%} of losses); the GPD only "
            "describes the tail beyond it"
        )


def _clean(losses: np.ndarray) -> np.ndarray:
    x = np.asarray(losses, dtype="float64").ravel()
    if not np.isfinite(x).all():
        raise SolvencyInputError(f"{int((~np.isfinite(x)).sum())} losses are not finite", hint="clean the input")
    return x


def fit_gpd_tail(losses: np.ndarray, *, threshold_quantile: float = THRESHOLD_QUANTILE) -> GpdTail:
    """Fit a GPD to the losses above their ``threshold_quantile`` quantile (maximum likelihood).

    Raises
    ------
    SolvencyInputError
        Fewer than :data:`MIN_EXCEEDANCES` exceedances.
    """
    x = _clean(losses)
    if not 0.5 <= threshold_quantile < 1.0:
        raise SolvencyInputError(f"threshold quantile must be in [0.5, 1), got {threshold_quantile}")
    u = float(np.quantile(x, threshold_quantile))
    excess = x[x > u] - u
    if excess.size < MIN_EXCEEDANCES:
        raise SolvencyInputError(
            f"only {excess.size} losses exceed the {threshold_quantile:.0%} threshold; EVT needs at least "
            f"{MIN_EXCEEDANCES}",
            hint=f"give at least {math.ceil(MIN_EXCEEDANCES / (1 - threshold_quantile))} bars",
        )
    xi, _, beta = stats.genpareto.fit(excess, floc=0.0)
    return GpdTail(float(xi), float(beta), u, int(excess.size), int(x.size))


def historical_var_es(losses: np.ndarray, level: float) -> tuple[float, float]:
    """Empirical VaR (the ``level`` quantile, linear interpolation) and ES (mean of losses ≥ VaR)."""
    x = _clean(losses)
    var = float(np.quantile(x, level))
    return var, float(x[x >= var].mean())


def normal_var_es(losses: np.ndarray, level: float) -> tuple[float, float]:
    """VaR and ES of a normal with the losses' mean and standard deviation: ``μ + σ z``, ``μ + σ φ(z)/(1−q)``."""
    x = _clean(losses)
    mu, sd = float(x.mean()), float(x.std(ddof=1))
    z = float(stats.norm.ppf(level))
    return mu + sd * z, mu + sd * float(stats.norm.pdf(z)) / (1.0 - level)


@dataclass(frozen=True)
class TailRisk:
    """VaR and ES at 99 % and 99.9 % (EVT), with the GPD fit and the historical and normal estimates beside.

    All values are losses in the units of the input (fractions for log returns), scaled by ``scale``.
    """

    var99: float
    es99: float
    var999: float
    es999: float
    xi: float
    gpd: GpdTail = field(repr=False)
    historical: dict[str, float] = field(default_factory=dict, repr=False)
    normal: dict[str, float] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """``{"var99", "es99", "var999", "es999", "xi"}``."""
        return {"var99": self.var99, "es99": self.es99, "var999": self.var999, "es999": self.es999, "xi": self.xi}


def tail_risk(losses: np.ndarray, *, threshold_quantile: float = THRESHOLD_QUANTILE, scale: float = 1.0) -> TailRisk:
    """EVT VaR/ES at 99 % and 99.9 % of a loss sample, with historical and normal estimates for comparison.

    Parameters
    ----------
    losses
        Loss sample (positive = loss), e.g. ``-log_returns`` or negative standardised returns.
    threshold_quantile
        POT threshold as a quantile of the losses.
    scale
        Multiplies every VaR/ES (e.g. the forecast volatility when ``losses`` are standardised returns).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = tail_risk(rng.standard_t(4, 20_000))
    >>> 0.1 < t.xi < 0.45 and t.es99 > t.var99 > t.normal["var99"]
    True
    """
    x = _clean(losses)
    gpd = fit_gpd_tail(x, threshold_quantile=threshold_quantile)
    out: dict[str, float] = {}
    hist: dict[str, float] = {}
    norm: dict[str, float] = {}
    for level, tag in zip(LEVELS, ("99", "999"), strict=True):
        out[f"var{tag}"], out[f"es{tag}"] = scale * gpd.var(level), scale * gpd.es(level)
        h = historical_var_es(x, level)
        nv = normal_var_es(x, level)
        hist[f"var{tag}"], hist[f"es{tag}"] = scale * h[0], scale * h[1]
        norm[f"var{tag}"], norm[f"es{tag}"] = scale * nv[0], scale * nv[1]
    return TailRisk(**out, xi=gpd.xi, gpd=gpd, historical=hist, normal=norm)
