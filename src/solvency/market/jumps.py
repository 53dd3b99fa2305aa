"""Price jumps: detect them in intraday returns and estimate the law of the large downward ones.

**Detection** — Lee & Mykland (2008), "Jumps in financial markets: a new nonparametric test and jump dynamics",
*Review of Financial Studies* 21(6), 2535–2563. A return ``r_i`` over a bar of ``Δ`` is tested against the local
volatility of the ``K − 2`` return pairs before it, measured by bipower variation (robust to jumps)::

    σ̂_i² = 1/(K − 2) · Σ_{j = i−K+2}^{i−1} |r_j|·|r_{j−1}|,     L_i = r_i / σ̂_i

Without jumps ``L_i·c`` is standard normal (``c = sqrt(2/π)``, since ``E|Z₁||Z₂| = c²``) and the largest ``|L_i|``
of ``n`` bars follows a Gumbel law: ``(max|L| − C_n)/S_n → ξ`` with ``P(ξ ≤ x) = exp(−e^{−x})``,
``C_n = sqrt(2 ln n)/c − (ln π + ln ln n)/(2c·sqrt(2 ln n))``, ``S_n = 1/(c·sqrt(2 ln n))``. A bar is a jump when
``(|L_i| − C_n)/S_n > −ln(−ln(1 − α))`` (α = 1 %: 4.6001), ``n`` the bars tested — a level for the whole sample,
so at most about α false detections in all. Window ``K ≈ sqrt(bars per year)`` (LM's rule: 78 for hourly bars
of a 252-day, 24-hour year; 94 for crypto's 365 days).

**Units.** Sizes are counted in *diffusive standard deviations of one bar*, ``u_i = |r_i|/σ̂_{c,i}`` with
``σ̂_c = σ̂/c`` — the local volatility of the continuous part. In those units LM's critical value is one
constant ``u* = c·(C_n + S_n·β*)`` (about 5.3 for 70,000 hourly bars), whatever the regime.

**Law.** Detected downward jumps give a compound-Poisson law of the *large* jumps (smaller ones cannot be told
from diffusion and are left in it): rate ``λ`` per year (count / years tested), sizes ``u* + θ·E`` with ``E``
standard exponential — the exceedances of a Kou (2002) double-exponential tail over a threshold are exponential
with the same mean (memorylessness), so ``θ̂ = mean(u_i − u*)`` is the tail's mean size. Standard errors:
``λ̂/sqrt(N)`` (Poisson) and ``θ̂/sqrt(N)`` (exponential mean). Upward jumps are detected and reported but not part
of :class:`JumpLaw`: for collateral against stable debt they cannot create bad debt, and the diffusion carries
their variance.

Known limits: intraday seasonality is ignored (it inflates detections at busy hours, LM §4), a jump inside the
window inflates ``σ̂`` a little (a detection in the following ``K`` bars needs more), and a return straddling a gap
in the data is tested like any other (segments are tested separately: give each contiguous file as one).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2 as chi2_law

from solvency.errors import SolvencyInputError
from solvency.units import SECONDS_PER_YEAR, format_duration

LM_C = math.sqrt(2.0 / math.pi)
"""``E|Z|`` for a standard normal Z; bipower variation estimates ``c²·σ²``."""
ALPHA = 0.01
"""Level of the Lee-Mykland test over the whole sample."""


# --------------------------------------------------------------------------------------------------- law


@dataclass(frozen=True)
class JumpRateCurve:
    """Jump rate as a function of the local diffusive volatility level: ``λ(s) = coef·clip(s, lo, hi)^exponent``.

    ``s`` is the annualised diffusive volatility (``σ_c``, the Lee-Mykland bipower level of the bar); ``coef`` is
    the rate at ``s = 1`` (100 %). Outside ``[sigma_min, sigma_max]`` — the range the fit saw — the rate is held at
    its value at the nearest end, so it is bounded: :attr:`max_rate` is the rate candidates are drawn at when the
    stress paths thin them (:mod:`solvency.calibrate.stress_paths`). ``exponent > −2`` keeps the path's total
    variance ``s²·(1 + λ(s)·Δ·E[J²])`` increasing in ``s`` (so a total volatility has one diffusive level).

    Examples
    --------
    >>> c = JumpRateCurve(coef=16.0, exponent=-1.0, sigma_min=0.2, sigma_max=2.0)
    >>> [round(float(c(s)), 6) for s in (0.1, 0.5, 1.0, 4.0)], c.max_rate
    ([80.0, 32.0, 16.0, 8.0], 80.0)
    """

    coef: float
    exponent: float
    sigma_min: float
    sigma_max: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.coef) and self.coef >= 0):
            raise SolvencyInputError(f"jump-rate coef must be ≥ 0 per year, got {self.coef!r}")
        if not (math.isfinite(self.exponent) and self.exponent > -2.0):
            raise SolvencyInputError(f"jump-rate exponent must be finite and > -2, got {self.exponent!r}")
        if not (0 < self.sigma_min <= self.sigma_max < math.inf):
            raise SolvencyInputError(
                f"jump-rate range must satisfy 0 < sigma_min ≤ sigma_max, got {self.sigma_min!r}, {self.sigma_max!r}"
            )

    def __call__(self, sigma: float | np.ndarray) -> np.ndarray:
        """``λ(s)`` per year at annualised diffusive volatility ``sigma``."""
        s = np.clip(np.asarray(sigma, dtype="float64"), self.sigma_min, self.sigma_max)
        return self.coef * s**self.exponent

    @property
    def max_rate(self) -> float:
        """Largest rate at any level (at ``sigma_min`` when the exponent is negative)."""
        return float(max(self(self.sigma_min), self(self.sigma_max)))

    def to_dict(self) -> dict[str, float]:
        return {
            "form": "coef * clip(sigma, sigma_min, sigma_max) ** exponent",
            "coef_per_year": self.coef,
            "exponent": self.exponent,
            "sigma_min": self.sigma_min,
            "sigma_max": self.sigma_max,
            "max_rate_per_year": self.max_rate,
        }


@dataclass(frozen=True)
class JumpLaw:
    """Compound-Poisson downward jumps of the log price, sizes in diffusive standard deviations of one bar.

    A jump moves ``ln S`` by ``−a·(threshold + mean_excess·E)``, ``E ~ Exp(1)``, with ``a = σ_c·sqrt(Δ)`` the
    diffusive standard deviation of a bar of ``frequency`` seconds (``σ_c`` annualised, ``Δ`` in years).

    Attributes
    ----------
    intensity
        Downward jumps per year (365 days).
    threshold
        Smallest jump, diffusive standard deviations of one bar.
    mean_excess
        Mean of the size above ``threshold``, same units.
    frequency
        Bar length the sizes are counted in, seconds.
    rate_curve
        The rate as a function of the local diffusive volatility (:class:`JumpRateCurve`); None: ``intensity`` at
        every level. ``intensity`` stays the pooled rate (and :attr:`variance_share` the pooled ψ) either way.

    Examples
    --------
    >>> law = JumpLaw(intensity=20.0, threshold=5.0, mean_excess=3.0, frequency=3600)
    >>> round(law.size_moment(1), 6), round(law.size_moment(2), 6)
    (8.0, 73.0)
    >>> round(law.diffusive_sigma(0.8) / 0.8, 6)  # σ² = σ_c²·(1 + ψ), ψ = λ·Δ·E[J²]
    0.92582
    """

    intensity: float
    threshold: float
    mean_excess: float
    frequency: int = 3600
    rate_curve: JumpRateCurve | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.intensity) and self.intensity >= 0):
            raise SolvencyInputError(f"jump intensity must be ≥ 0 per year, got {self.intensity!r}")
        if not (math.isfinite(self.threshold) and self.threshold >= 0):
            raise SolvencyInputError(f"jump threshold must be ≥ 0 standard deviations, got {self.threshold!r}")
        if not (math.isfinite(self.mean_excess) and self.mean_excess >= 0):
            raise SolvencyInputError(f"jump mean_excess must be ≥ 0 standard deviations, got {self.mean_excess!r}")
        if not self.frequency > 0:
            raise SolvencyInputError(f"jump frequency must be positive seconds, got {self.frequency!r}")

    @property
    def bar_years(self) -> float:
        """``Δ``: the bar length in years."""
        return self.frequency / SECONDS_PER_YEAR

    def size_moment(self, k: int) -> float:
        """``E[J^k]`` for ``k`` = 1 or 2, ``J = threshold + mean_excess·E`` (standard deviations of a bar)."""
        u, t = self.threshold, self.mean_excess
        if k == 1:
            return u + t
        if k == 2:
            return u * u + 2.0 * u * t + 2.0 * t * t
        raise ValueError("moments 1 and 2 only")

    @property
    def variance_share(self) -> float:
        """``ψ = λ·Δ·E[J²]``: yearly jump variance over yearly diffusive variance."""
        return self.intensity * self.bar_years * self.size_moment(2)

    def diffusive_sigma(self, sigma: float | np.ndarray) -> float | np.ndarray:
        """``σ_c = σ/sqrt(1 + ψ)``: the diffusion's share of a total volatility ``sigma`` (annualised)."""
        return sigma / math.sqrt(1.0 + self.variance_share)

    def scale(self, sigma_c: float | np.ndarray) -> float | np.ndarray:
        """``a = σ_c·sqrt(Δ)``: log size of one unit of jump at diffusive volatility ``sigma_c``."""
        return sigma_c * math.sqrt(self.bar_years)

    def compensator(self, a: float | np.ndarray, rate: float | np.ndarray | None = None) -> float | np.ndarray:
        """``λ·(1 − E[e^{−a·J}])`` per year, ``E[e^{−aJ}] = e^{−a·threshold}/(1 + a·mean_excess)``: the drift that
        keeps ``S`` a martingale (finite for every ``a ≥ 0``: the jumps are downward). ``rate``: λ per year
        (default the pooled :attr:`intensity`; an array for one rate per path)."""
        a = np.asarray(a, dtype="float64")
        lam = self.intensity if rate is None else np.asarray(rate, dtype="float64")
        out = lam * (1.0 - np.exp(-a * self.threshold) / (1.0 + a * self.mean_excess))
        return float(out) if out.ndim == 0 else out

    def rate(self, sigma_c: float | np.ndarray) -> np.ndarray:
        """λ per year at annualised diffusive volatility ``sigma_c``: the curve's, or the pooled rate."""
        s = np.asarray(sigma_c, dtype="float64")
        return np.full(s.shape, self.intensity) if self.rate_curve is None else self.rate_curve(s)

    def to_dict(self) -> dict[str, object]:
        return {
            "intensity_per_year": self.intensity,
            "threshold_sd": self.threshold,
            "mean_excess_sd": self.mean_excess,
            "mean_size_sd": self.size_moment(1),
            "frequency": format_duration(self.frequency),
            "variance_share": self.variance_share,
            "rate": "pooled"
            if self.rate_curve is None
            else {"by": "local diffusive volatility", **self.rate_curve.to_dict()},
        }


ETH_HOURLY_RATE = JumpRateCurve(coef=13.72, exponent=-1.112, sigma_min=0.2009, sigma_max=2.573)
"""The downward-jump rate of ETH by local diffusive volatility: :func:`estimate_jump_rate` on the same test as
:data:`ETH_HOURLY_JUMPS` (206 jumps): ``λ(s) = 13.72·s^−1.112`` per year (coef ± 1.72, exponent ± 0.14), held
constant outside 0.201–2.573 (the 1st–99th percentile of the bars' local σ): 81.7 a year at most, 26.5 at
σ_c = 0.553 (the median bar), 4.8 at the top. Against the deciles of local σ: Pearson χ² = 5.2 on 8 dof
(p = 0.73) — observed 65 / 39 / 35 / 26 / 22 / 19 / 21 / 18 / 8 / 13 a year from the calmest to the most volatile
tenth, fitted 61 / 40 / 33 / 28 / 25 / 22 / 19 / 16 / 13 / 8. BTC alike: ``14.44·s^−0.860`` (± 2.05, ± 0.13),
χ² = 14.0 on 8 (p = 0.08). Sizes in local sds do not fall with the level (:mod:`solvency.calibrate.stress_paths`).
Re-derive: ``python benchmarks/estimate_jumps.py --json`` (``rate_by_volatility``)."""

ETH_HOURLY_JUMPS = JumpLaw(
    intensity=26.44, threshold=5.317, mean_excess=2.651, frequency=3600, rate_curve=ETH_HOURLY_RATE
)
"""The default jump law of the LT search's stress paths: downward jumps of ETH, estimated by
:func:`estimate_jump_law` on Binance ETH/USDT hourly closes, the shared data's two files
(2017-08-17 → 2021-06-10 and 2021-08-21 → 2025-08-20, tested as two segments: 68,262 bars, 7.79 years,
window K = 94, α = 1 %). Estimate: 206 downward jumps, λ = 26.44 ± 1.84 per year, threshold u* = 5.317 sds
(the Lee-Mykland critical value), mean excess θ = 2.651 ± 0.185 sds (mean jump 7.97 sds of an hourly return);
jump-to-diffusion variance ψ = 0.213. 176 upward jumps (22.6 per year, θ = 2.12). The largest in price:
2020-03-12 10:00, −20.9 % (log −0.234, 17.4 sds). BTC/USDT on the same hours, for comparison: 230 down,
λ = 29.5 ± 1.9, θ = 2.57 ± 0.17 — within sampling error. The rate falls with the local volatility level
(:data:`ETH_HOURLY_RATE`, used by default; ``intensity`` is the pooled rate, used with
``[calibration] jump_rate = "pooled"``). Re-derive: ``python benchmarks/estimate_jumps.py --json``."""


# --------------------------------------------------------------------------------------------- detection


def lm_window(step: int) -> int:
    """Lee-Mykland window ``K = round(sqrt(bars per 365-day year))``, at least 3."""
    return max(3, round(math.sqrt(SECONDS_PER_YEAR / step)))


def lm_critical(n: int, alpha: float = ALPHA) -> float:
    """Critical ``|L|`` of the Lee-Mykland test over ``n`` bars at level ``alpha`` (module docstring)."""
    if n < 3:
        raise SolvencyInputError(f"the jump test needs at least 3 bars, got {n}")
    if not 0 < alpha < 1:
        raise SolvencyInputError(f"test level must be in (0, 1), got {alpha!r}")
    root = math.sqrt(2.0 * math.log(n))
    c_n = root / LM_C - (math.log(math.pi) + math.log(math.log(n))) / (2.0 * LM_C * root)
    s_n = 1.0 / (LM_C * root)
    return c_n + s_n * -math.log(-math.log(1.0 - alpha))


def bipower_sd(returns: np.ndarray, window: int) -> np.ndarray:
    """Local diffusive sd ``σ̂_c,i`` of each bar from the ``window − 2`` return pairs before it (NaN where the
    window is not full): ``σ̂_c² = (π/2)·mean(|r_j|·|r_{j−1}|)``, ``j`` from ``i − window + 2`` to ``i − 1``."""
    r = np.abs(np.asarray(returns, dtype="float64"))
    n, m = r.size, window - 2
    out = np.full(n, np.nan)
    if m < 1 or n < window:
        return out
    prod = r[1:] * r[:-1]  # prod[j − 1] = |r_j||r_{j−1}|
    csum = np.concatenate(([0.0], np.cumsum(prod)))
    i = np.arange(window - 1, n)  # pairs j = i−m+1 … i−1 → prod indices i−m … i−2
    out[i] = np.sqrt(np.maximum((csum[i - 1] - csum[i - 1 - m]) / m, 0.0) / (LM_C * LM_C))
    return out


@dataclass(frozen=True)
class JumpTest:
    """Lee-Mykland test of one or more contiguous segments of returns.

    Attributes
    ----------
    size
        Standardised return ``r/σ̂_c`` of each bar (NaN where untested: window not full or ``σ̂_c = 0``).
    returns
        The returns (log), concatenated over segments.
    index
        Their times (or positions).
    threshold
        ``u*``: critical ``|size|``.
    window, n_tested, alpha
        The test's settings and the bars it covered.
    local_sd
        ``σ̂_c`` of each bar: the local diffusive sd of one bar (NaN where untested), same order as ``size``.
    """

    size: np.ndarray
    returns: np.ndarray
    index: pd.Index
    threshold: float
    window: int
    n_tested: int
    alpha: float
    local_sd: np.ndarray | None = None

    @property
    def down(self) -> np.ndarray:
        """Mask of downward jumps."""
        return np.nan_to_num(self.size, nan=0.0) < -self.threshold

    @property
    def up(self) -> np.ndarray:
        """Mask of upward jumps."""
        return np.nan_to_num(self.size, nan=0.0) > self.threshold

    def jumps(self) -> pd.DataFrame:
        """The detected jumps: time, log return, standardised size, direction."""
        mask = self.down | self.up
        return pd.DataFrame(
            {"log_return": self.returns[mask], "size_sd": self.size[mask], "down": self.down[mask]},
            index=self.index[mask],
        )


def detect_jumps(
    segments: Sequence[pd.Series | np.ndarray] | pd.Series | np.ndarray,
    *,
    step: int,
    window: int | None = None,
    alpha: float = ALPHA,
) -> JumpTest:
    """Lee-Mykland jump test of log returns of bars of ``step`` seconds (module docstring).

    Parameters
    ----------
    segments
        Log returns: one series/array, or several contiguous segments (each gets its own warm-up window; the
        critical value uses the bars tested in all).
    window
        ``K`` (default :func:`lm_window`).
    alpha
        Level over the whole sample.
    """
    parts = [segments] if isinstance(segments, pd.Series | np.ndarray) else list(segments)
    if not parts:
        raise SolvencyInputError("the jump test needs returns, got none")
    k = lm_window(step) if window is None else int(window)
    if k < 3:
        raise SolvencyInputError(f"the Lee-Mykland window must be at least 3 bars, got {k}")
    sizes, rets, idx, sds = [], [], [], []
    for part in parts:
        r = part.to_numpy(dtype="float64") if isinstance(part, pd.Series) else np.asarray(part, dtype="float64")
        if r.ndim != 1:
            raise SolvencyInputError("returns must be one-dimensional")
        if not np.all(np.isfinite(r)):
            raise SolvencyInputError(f"returns must be finite ({int((~np.isfinite(r)).sum())} are not)")
        sd = bipower_sd(r, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(sd > 0, r / sd, np.nan)
        sizes.append(z)
        sds.append(np.where(np.isfinite(z), sd, np.nan))
        rets.append(r)
        idx.append(part.index if isinstance(part, pd.Series) else pd.RangeIndex(r.size))
    size = np.concatenate(sizes)
    n = int(np.isfinite(size).sum())
    if n < 3:
        raise SolvencyInputError(
            f"the jump test needs more than {k} bars per segment (window {k}); got {sum(s.size for s in sizes)}"
        )
    index = idx[0].append(idx[1:]) if len(idx) > 1 else idx[0]
    return JumpTest(
        size, np.concatenate(rets), index, LM_C * lm_critical(n, alpha), k, n, alpha, local_sd=np.concatenate(sds)
    )


# ------------------------------------------------------------------------------------------------ estimate


@dataclass(frozen=True)
class JumpEstimate:
    """The law of large downward jumps estimated from a :class:`JumpTest`, with its sampling errors.

    Attributes
    ----------
    law
        Downward jumps: rate per year, threshold, mean excess (diffusive sds of one bar).
    intensity_se, mean_excess_se
        Standard errors (Poisson; exponential mean).
    n_down, n_up
        Jumps detected in each direction.
    up_intensity, up_mean_excess
        The same for upward jumps (reported, not simulated).
    years
        Years of bars tested.
    test
        The test itself (detected jumps: ``test.jumps()``).
    """

    law: JumpLaw
    intensity_se: float
    mean_excess_se: float
    n_down: int
    n_up: int
    up_intensity: float
    up_mean_excess: float
    years: float
    test: JumpTest

    def to_dict(self) -> dict[str, object]:
        return {
            **self.law.to_dict(),
            "intensity_se": self.intensity_se,
            "mean_excess_se": self.mean_excess_se,
            "n_down": self.n_down,
            "n_up": self.n_up,
            "up_intensity_per_year": self.up_intensity,
            "up_mean_excess_sd": self.up_mean_excess,
            "years": self.years,
            "bars_tested": self.test.n_tested,
            "window": self.test.window,
            "alpha": self.test.alpha,
            "method": "Lee-Mykland (2008) with bipower local volatility; exponential excess over the critical value",
        }


def estimate_jump_law(
    segments: Sequence[pd.Series | np.ndarray] | pd.Series | np.ndarray,
    *,
    step: int,
    window: int | None = None,
    alpha: float = ALPHA,
) -> JumpEstimate:
    """Detect jumps in log returns of bars of ``step`` seconds and estimate the downward :class:`JumpLaw`.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = 0.01 * rng.standard_normal(20_000)
    >>> r[rng.choice(np.arange(200, 20_000), 40, replace=False)] -= 0.01 * (6 + 3 * rng.standard_exponential(40))
    >>> est = estimate_jump_law(r, step=3600)
    >>> est.n_down >= 30, 4.5 < est.law.threshold < 6
    (True, True)
    """
    test = detect_jumps(segments, step=step, window=window, alpha=alpha)
    years = test.n_tested * step / SECONDS_PER_YEAR
    u = test.threshold

    def tail(mask: np.ndarray) -> tuple[int, float, float]:
        sizes = np.abs(test.size[mask])
        n = int(sizes.size)
        rate = n / years
        excess = float(np.mean(sizes - u)) if n else 0.0
        return n, rate, excess

    n_down, rate, excess = tail(test.down)
    n_up, up_rate, up_excess = tail(test.up)
    return JumpEstimate(
        law=JumpLaw(intensity=rate, threshold=u, mean_excess=excess, frequency=int(step)),
        intensity_se=rate / math.sqrt(n_down) if n_down else float("nan"),
        mean_excess_se=excess / math.sqrt(n_down) if n_down else float("nan"),
        n_down=n_down,
        n_up=n_up,
        up_intensity=up_rate,
        up_mean_excess=up_excess,
        years=years,
        test=test,
    )


# ------------------------------------------------------------------------------------ rate by volatility level


@dataclass(frozen=True)
class JumpRateFit:
    """A power law of the downward-jump rate in the local diffusive volatility, fitted to a :class:`JumpTest`.

    Attributes
    ----------
    curve
        ``λ(s) = coef·s^exponent``, clipped to the 1st–99th percentile of the bars' local volatility.
    coef_se, exponent_se
        Standard errors (inverse Fisher information of the Poisson likelihood; ``coef_se`` by the delta method).
    bins
        Per quantile bin of local volatility: its range (annualised), bars' years, jumps, observed rate and its
        Poisson standard error, the fitted rate (the fit's mean over the bin's bars) and the pooled rate.
    chi2, dof, p_value
        Pearson ``Σ (observed − fitted)²/fitted`` of the jump counts over the bins, ``bins − 2`` degrees of
        freedom, and its p-value: how well the two-parameter law describes the binned rates.
    pooled
        Jumps per year over all bars.
    """

    curve: JumpRateCurve
    coef_se: float
    exponent_se: float
    bins: pd.DataFrame
    chi2: float
    dof: int
    p_value: float
    pooled: float

    def to_dict(self) -> dict[str, object]:
        return {
            **self.curve.to_dict(),
            "coef_se": self.coef_se,
            "exponent_se": self.exponent_se,
            "pooled_per_year": self.pooled,
            "chi2": self.chi2,
            "dof": self.dof,
            "p_value": self.p_value,
            "bins": self.bins.to_dict(orient="records"),
            "method": "Poisson maximum likelihood of a power law on the bars (log link, exposure one bar each); "
            "bins only to show the fit",
        }


def fit_rate_curve(
    sigma: np.ndarray, jump: np.ndarray, step: int, *, bins: int = 10, clip: tuple[float, float] = (0.01, 0.99)
) -> JumpRateFit:
    """Fit ``λ(s) = a·s^b`` to jump indicators of bars by Poisson maximum likelihood.

    Each bar ``i`` of ``Δ = step`` seconds (in years) at annualised local diffusive volatility ``s_i`` is a Poisson
    exposure: ``y_i ~ Poisson(Δ·a·s_i^b)`` (``y_i`` = 1 for a jump, else 0; at most one jump per bar is what the
    test can see, and ``λΔ`` is ~0.3 %, so the Poisson and Bernoulli likelihoods agree). The log-likelihood
    ``Σ y_i·(α + b·x_i) − Δ·e^{α + b·x_i}`` (``α = ln a``, ``x = ln s``) is concave; Newton's method from the
    pooled rate (``b = 0``) converges in a few steps. The curve is clipped to the ``clip`` quantiles of ``s``.

    Parameters
    ----------
    sigma
        Annualised local diffusive volatility of each bar (> 0, finite).
    jump
        Whether each bar is a (downward) jump.
    step
        Bar length, seconds.
    bins
        Quantile bins of ``sigma`` to compare the fit with (deciles by default).
    """
    s = np.asarray(sigma, dtype="float64")
    y = np.asarray(jump, dtype=bool)
    if s.shape != y.shape or s.ndim != 1:
        raise SolvencyInputError("sigma and jump must be one-dimensional and of the same length")
    if not (np.all(np.isfinite(s)) and np.all(s > 0)):
        raise SolvencyInputError("local volatilities must be finite and > 0")
    n_jumps = int(y.sum())
    if n_jumps < 2 * bins or bins < 3:
        raise SolvencyInputError(f"fitting a rate curve over {bins} bins needs ≥ {2 * bins} jumps, got {n_jumps}")
    dt = step / SECONDS_PER_YEAR
    x = np.log(s)
    x0 = float(np.mean(x))  # centred: a well-conditioned Newton step
    xc = x - x0
    beta = np.array([math.log(n_jumps / (s.size * dt)), 0.0])
    design = np.column_stack([np.ones_like(xc), xc])
    yf = y.astype("float64")
    for _ in range(100):
        mu = dt * np.exp(design @ beta)
        grad = design.T @ (yf - mu)
        info = (design * mu[:, None]).T @ design
        delta = np.linalg.solve(info, grad)
        beta = beta + delta
        if np.max(np.abs(delta)) < 1e-12:
            break
    mu = dt * np.exp(design @ beta)
    cov = np.linalg.inv((design * mu[:, None]).T @ design)
    b = float(beta[1])
    coef = float(math.exp(beta[0] - b * x0))  # rate at s = 1: α_c + b·(0 − x0)
    # var(ln a) = var(α_c) + x0²·var(b) − 2·x0·cov(α_c, b)
    var_ln_a = cov[0, 0] + x0 * x0 * cov[1, 1] - 2.0 * x0 * cov[0, 1]
    lo, hi = (float(q) for q in np.quantile(s, clip))
    curve = JumpRateCurve(coef=coef, exponent=b, sigma_min=lo, sigma_max=hi)
    edges = np.quantile(s, np.linspace(0.0, 1.0, bins + 1))
    which = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, bins - 1)
    fitted_bar = coef * s**b  # unclipped, as fitted
    rows, chi2 = [], 0.0
    for k in range(bins):
        m = which == k
        years = float(m.sum() * dt)
        n = int(y[m].sum())
        expected = float(fitted_bar[m].sum() * dt)
        chi2 += (n - expected) ** 2 / expected
        rows.append(
            {
                "sigma_from": float(edges[k]),
                "sigma_to": float(edges[k + 1]),
                "years": years,
                "n_jumps": n,
                "observed_per_year": n / years,
                "observed_se": math.sqrt(max(n, 1)) / years,
                "fitted_per_year": expected / years,
            }
        )
    dof = bins - 2
    return JumpRateFit(
        curve=curve,
        coef_se=coef * math.sqrt(max(var_ln_a, 0.0)),
        exponent_se=float(math.sqrt(cov[1, 1])),
        bins=pd.DataFrame(rows),
        chi2=float(chi2),
        dof=dof,
        p_value=float(chi2_law.sf(chi2, dof)),
        pooled=n_jumps / (s.size * dt),
    )


def estimate_jump_rate(test: JumpTest, step: int, *, bins: int = 10) -> JumpRateFit:
    """The downward-jump rate of a Lee-Mykland test as a power law of the bars' local diffusive volatility
    (:func:`fit_rate_curve` on the tested bars, ``s = σ̂_c·sqrt(bars per year)``)."""
    if test.local_sd is None:
        raise SolvencyInputError("the jump test carries no local volatilities: run detect_jumps")
    ok = np.isfinite(test.size) & np.isfinite(test.local_sd) & (test.local_sd > 0)
    sigma = test.local_sd[ok] * math.sqrt(SECONDS_PER_YEAR / step)
    return fit_rate_curve(sigma, test.down[ok], step, bins=bins)
