"""Price paths: GBM, Merton jump-diffusion, GARCH-t filtered historical simulation, block bootstrap, shaped
scenarios and historical replays — one or several assets, with normal or stressed correlation.

Every model is a :class:`PathModel`: ``model.simulate(n_paths, n_steps, rng)`` returns prices of shape
``(n_paths, n_steps + 1, n_assets)`` in the quote asset, column 0 of the time axis being the start price
``s0``. Steps are ``model.step`` seconds; drifts and volatilities are annualised (365-day year). Randomness
comes only from the ``numpy.random.Generator`` passed in; the Monte Carlo driver
(:mod:`solvency.sim.montecarlo`) hands each fixed block of paths its own stream from
``SeedSequence(seed).spawn``, so results do not depend on how blocks are grouped into chunks or threads.

Multi-asset shocks are ``z = L ε`` with ``L`` the Cholesky factor of the correlation matrix (use
:func:`solvency.market.correlation.stressed_correlation` for a stressed one). With ``copula="t"`` the
shocks get Student-t dependence (a common chi-square mixing variable per step, then mapped back to normal
marginals: a t-copula), which puts more mass on joint crashes for the same correlation.

Bar-based models (GARCH FHS and the bootstrap) draw one return per bar of the data they were fitted on; when
the simulation step is finer than the bar, each bar's return is spread over its sub-steps by a Brownian
bridge (Gaussian increments with the bar's variance, conditioned to sum to the bar's return).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from solvency.data.frequency import infer_step
from solvency.errors import SolvencyInputError
from solvency.market.correlation import cholesky_factor
from solvency.units import SECONDS_PER_YEAR, format_duration


def correlated_normals(
    rng: np.random.Generator,
    n_paths: int,
    n_steps: int,
    n_assets: int,
    *,
    chol: np.ndarray | None = None,
    copula: str = "gaussian",
    df: float = 4.0,
) -> np.ndarray:
    """Standard normal shocks of shape ``(n_paths, n_steps, n_assets)`` with the given dependence.

    Parameters
    ----------
    chol
        Lower Cholesky factor of the correlation matrix (None: independent assets).
    copula
        ``"gaussian"`` or ``"t"`` (Student-t copula with ``df`` degrees of freedom; marginals stay normal).
    """
    eps = rng.standard_normal((n_paths, n_steps, n_assets))
    if n_assets == 1:
        return eps
    if chol is not None:
        eps = eps @ chol.T
    if copula == "t":
        from scipy import stats

        w = np.sqrt(df / rng.chisquare(df, size=(n_paths, n_steps, 1)))
        eps = stats.norm.ppf(stats.t.cdf(eps * w, df))
    elif copula != "gaussian":
        raise SolvencyInputError(f"unknown copula {copula!r}; use 'gaussian' or 't'")
    return eps


def _as_vector(value: float | Sequence[float] | np.ndarray, n: int, name: str) -> np.ndarray:
    arr = np.broadcast_to(np.asarray(value, dtype="float64"), (n,)).copy()
    if not np.all(np.isfinite(arr)):
        raise SolvencyInputError(f"{name} must be finite, got {arr.tolist()}")
    return arr


def _chol_or_none(correlation: np.ndarray | None, n: int) -> np.ndarray | None:
    if correlation is None or n == 1:
        return None
    c = np.asarray(correlation, dtype="float64")
    if c.shape != (n, n):
        raise SolvencyInputError(f"correlation must be {n}×{n} for {n} assets, got {c.shape}")
    return cholesky_factor(c)


def bridge_increments(rng: np.random.Generator, bar_returns: np.ndarray, bar_sd: np.ndarray, k: int) -> np.ndarray:
    """Split per-bar log returns into ``k`` sub-step increments along a Brownian bridge.

    ``bar_returns`` and ``bar_sd`` have shape ``(n_paths, n_bars, n_assets)``; the result has shape
    ``(n_paths, n_bars·k, n_assets)`` and sums to ``bar_returns`` over each bar exactly.
    """
    if k == 1:
        return bar_returns
    n_paths, n_bars, n_assets = bar_returns.shape
    noise = rng.standard_normal((n_paths, n_bars, k, n_assets)) * (bar_sd / math.sqrt(k))[:, :, None, :]
    inc = noise - noise.mean(axis=2, keepdims=True) + bar_returns[:, :, None, :] / k
    return inc.reshape(n_paths, n_bars * k, n_assets)


class PathModel(ABC):
    """A generator of price paths for one or several assets (see the module docstring).

    Attributes
    ----------
    assets
        Asset symbols, in column order.
    s0
        Start prices, quote units.
    step
        Seconds per simulation step.
    """

    name: str = "model"
    deterministic: bool = False

    def __init__(self, assets: Sequence[str], s0: float | Sequence[float], step: int) -> None:
        self.assets = tuple(str(a) for a in assets)
        if not self.assets:
            raise SolvencyInputError("a path model needs at least one asset")
        self.s0 = _as_vector(s0, len(self.assets), "start price")
        if np.any(self.s0 <= 0):
            raise SolvencyInputError(f"start prices must be positive, got {self.s0.tolist()}")
        if int(step) <= 0:
            raise SolvencyInputError(f"step must be a positive number of seconds, got {step!r}")
        self.step = int(step)

    @property
    def n_assets(self) -> int:
        return len(self.assets)

    @property
    def max_steps(self) -> int | None:
        """Longest path the model can produce (None: unbounded)."""
        return None

    @property
    def dt(self) -> float:
        """Step length in years."""
        return self.step / SECONDS_PER_YEAR

    def simulate(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        """Prices ``(n_paths, n_steps + 1, n_assets)``; ``[:, 0, :] == s0``."""
        if n_paths <= 0 or n_steps <= 0:
            raise SolvencyInputError(f"need at least one path and one step, got {n_paths} × {n_steps}")
        if self.max_steps is not None and n_steps > self.max_steps:
            raise SolvencyInputError(
                f"{self.name} has only {self.max_steps} steps of {format_duration(self.step)}, {n_steps} requested",
                hint="shorten the horizon",
            )
        log_inc = self.log_increments(n_paths, n_steps, rng)
        out = np.empty((n_paths, n_steps + 1, self.n_assets))
        out[:, 0, :] = np.log(self.s0)
        np.cumsum(log_inc, axis=1, out=out[:, 1:, :])
        out[:, 1:, :] += np.log(self.s0)
        return np.exp(out)

    @abstractmethod
    def log_increments(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        """Log-price increments ``(n_paths, n_steps, n_assets)``."""

    def describe(self) -> dict[str, object]:
        """A JSON-ready description (for reports)."""
        return {"model": self.name, "assets": list(self.assets), "step": format_duration(self.step)}


class GBM(PathModel):
    """Geometric Brownian motion: ``d ln S = (μ − σ²/2) dt + σ dW`` per asset, correlated shocks.

    Parameters
    ----------
    mu, sigma
        Annualised drift of the price (so ``E[S_t] = S_0 e^{μt}``) and volatility, per asset or one for all.
    correlation
        Correlation of the shocks (``n × n``), or None for independent assets.
    copula, df
        Dependence of the shocks (see :func:`correlated_normals`).
    """

    name = "gbm"

    def __init__(
        self,
        assets: Sequence[str],
        s0: float | Sequence[float],
        *,
        sigma: float | Sequence[float],
        mu: float | Sequence[float] = 0.0,
        step: int = 300,
        correlation: np.ndarray | None = None,
        copula: str = "gaussian",
        df: float = 4.0,
    ) -> None:
        super().__init__(assets, s0, step)
        self.mu = _as_vector(mu, self.n_assets, "mu")
        self.sigma = _as_vector(sigma, self.n_assets, "sigma")
        if np.any(self.sigma < 0):
            raise SolvencyInputError(f"volatility must be non-negative, got {self.sigma.tolist()}")
        self.chol = _chol_or_none(correlation, self.n_assets)
        self.copula, self.df = copula, df

    def log_increments(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        z = correlated_normals(rng, n_paths, n_steps, self.n_assets, chol=self.chol, copula=self.copula, df=self.df)
        dt = self.dt
        return (self.mu - 0.5 * self.sigma**2) * dt + self.sigma * math.sqrt(dt) * z

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "mu": self.mu.tolist(), "sigma": self.sigma.tolist()}


class MertonJumpDiffusion(GBM):
    """Merton (1976) jump-diffusion: GBM plus Poisson jumps with normal log sizes.

    ``d ln S = (μ − σ²/2 − λκ) dt + σ dW + J dN``, ``J ~ N(μ_J, σ_J²)``, ``κ = e^{μ_J + σ_J²/2} − 1``, so
    ``E[S_t] = S_0 e^{μt}``. With several assets, jump *arrivals* are common (one crash hits all, the
    contagion case) when ``common_jumps`` is True; sizes are drawn per asset.

    Parameters
    ----------
    jump_rate
        λ, expected jumps per year.
    jump_mean, jump_std
        μ_J and σ_J of the log jump size.
    """

    name = "merton"

    def __init__(
        self,
        assets: Sequence[str],
        s0: float | Sequence[float],
        *,
        sigma: float | Sequence[float],
        jump_rate: float,
        jump_mean: float,
        jump_std: float,
        mu: float | Sequence[float] = 0.0,
        step: int = 300,
        correlation: np.ndarray | None = None,
        common_jumps: bool = True,
    ) -> None:
        super().__init__(assets, s0, sigma=sigma, mu=mu, step=step, correlation=correlation)
        if jump_rate < 0 or jump_std < 0:
            raise SolvencyInputError("jump_rate and jump_std must be non-negative")
        self.jump_rate, self.jump_mean, self.jump_std = float(jump_rate), float(jump_mean), float(jump_std)
        self.common_jumps = common_jumps

    @property
    def kappa(self) -> float:
        """Mean relative jump size ``E[e^J] − 1``."""
        return math.exp(self.jump_mean + 0.5 * self.jump_std**2) - 1.0

    def log_increments(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        inc = super().log_increments(n_paths, n_steps, rng)
        lam_dt = self.jump_rate * self.dt
        inc -= lam_dt * self.kappa
        cols = 1 if self.common_jumps else self.n_assets
        counts = rng.poisson(lam_dt, size=(n_paths, n_steps, cols))
        counts = np.broadcast_to(counts, inc.shape)
        sizes = rng.standard_normal(inc.shape)
        inc += counts * self.jump_mean + np.sqrt(counts) * self.jump_std * sizes
        return inc

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "jump_rate": self.jump_rate,
            "jump_mean": self.jump_mean,
            "jump_std": self.jump_std,
        }


def _returns_matrix(prices: pd.DataFrame | Mapping[str, pd.DataFrame | pd.Series]) -> tuple[pd.DataFrame, int]:
    """Aligned log returns (columns = assets) of one frame or several, and their bar length in seconds."""
    if isinstance(prices, pd.DataFrame) and "close" in prices.columns:
        closes = {"asset": prices["close"]}
    elif isinstance(prices, pd.DataFrame):
        closes = {str(c): prices[c] for c in prices.columns}
    else:
        closes = {k: (v["close"] if isinstance(v, pd.DataFrame) else v) for k, v in prices.items()}
    frame = pd.concat(closes, axis=1, join="inner").dropna()
    if len(frame) < 30:
        raise SolvencyInputError(f"need at least 30 common bars to fit returns, got {len(frame)}")
    values = frame.to_numpy(dtype="float64")
    if np.any(values <= 0) or not np.all(np.isfinite(values)):
        raise SolvencyInputError("prices must be positive and finite", hint="run `solvency data check FILE --clean`")
    step = infer_step(frame.index)
    return np.log(frame).diff().iloc[1:], step


class _BarModel(PathModel):
    """Shared machinery of models that draw one return per data bar and bridge it to finer steps."""

    def __init__(self, assets: Sequence[str], s0: float | Sequence[float], step: int, bar: int) -> None:
        super().__init__(assets, s0, step)
        if bar % self.step:
            raise SolvencyInputError(
                f"simulation step {format_duration(self.step)} must divide the data's bar {format_duration(bar)}",
                hint="choose a step such as 5m, 10m or 1h that divides the bar length",
            )
        self.bar = int(bar)
        self.substeps = self.bar // self.step

    def log_increments(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        n_bars = -(-n_steps // self.substeps)
        returns, sd = self.bar_returns(n_paths, n_bars, rng)
        return bridge_increments(rng, returns, sd, self.substeps)[:, :n_steps, :]

    @abstractmethod
    def bar_returns(self, n_paths: int, n_bars: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Per-bar log returns and their conditional standard deviations, ``(n_paths, n_bars, n_assets)``."""


class GarchFHS(_BarModel):
    """GARCH-t filtered historical simulation (Barone-Adesi, Giannopoulos & Vosper, 1999).

    Each asset's returns are fitted with ``arch`` (constant mean, GARCH(1,1) — or GJR with ``o=1`` — with
    Student-t errors); the standardised residuals ``z_t = ε_t / σ_t`` are then resampled *by date* (the same
    date for every asset, which keeps their cross-sectional dependence) and pushed through each fitted variance
    recursion, starting from the one-step-ahead variance at the end of the data.

    Use :meth:`fit`; the constructor takes already fitted pieces.
    """

    name = "garch_fhs"

    def __init__(
        self,
        assets: Sequence[str],
        s0: float | Sequence[float],
        *,
        step: int,
        bar: int,
        params: np.ndarray,
        residuals: np.ndarray,
        variance0: np.ndarray,
    ) -> None:
        super().__init__(assets, s0, step, bar)
        self.params = np.asarray(params, dtype="float64")  # (n_assets, 5): mu, omega, alpha, gamma, beta
        self.residuals = np.asarray(residuals, dtype="float64")  # (n_obs, n_assets)
        self.variance0 = _as_vector(variance0, self.n_assets, "variance0")

    @classmethod
    def fit(
        cls,
        prices: pd.DataFrame | Mapping[str, pd.DataFrame | pd.Series],
        *,
        assets: Sequence[str] | None = None,
        s0: float | Sequence[float] | None = None,
        step: int | None = None,
        gjr: bool = False,
    ) -> GarchFHS:
        """Fit one GARCH(1,1)-t (or GJR-GARCH-t) per asset with ``arch`` and keep the filtered residuals.

        Parameters
        ----------
        prices
            A price frame (one asset, its ``close``) or a mapping ``{asset: frame or close series}``.
        assets
            Names for the columns (default: the mapping's keys, or ``("asset",)``).
        s0
            Start prices (default: the last closes).
        step
            Simulation step in seconds (default: the data's bar); must divide the bar.
        """
        from arch import arch_model

        returns, bar = _returns_matrix(prices)
        names = tuple(assets) if assets is not None else tuple(str(c) for c in returns.columns)
        params, resid, var0 = [], [], []
        for col in returns.columns:
            # arch's optimiser is tuned for percent returns; scale back below.
            model = arch_model(
                100.0 * returns[col].to_numpy(),
                mean="Constant",
                vol="GARCH",
                p=1,
                o=int(gjr),
                q=1,
                dist="t",
                rescale=False,
            )
            res = model.fit(disp="off", show_warning=False)
            p = res.params
            params.append(
                [
                    p["mu"] / 100.0,
                    p["omega"] / 1e4,
                    p["alpha[1]"],
                    p["gamma[1]"] if gjr else 0.0,
                    p["beta[1]"],
                ]
            )
            resid.append(np.asarray(res.std_resid))
            var0.append(float(np.asarray(res.forecast(horizon=1, reindex=False).variance)[-1, 0]) / 1e4)
        z = np.column_stack(resid)
        z = z[np.all(np.isfinite(z), axis=1)]
        if s0 is None:
            last = _last_closes(prices)
            s0 = [last[c] for c in returns.columns]
        return cls(names, s0, step=step or bar, bar=bar, params=np.array(params), residuals=z, variance0=np.array(var0))

    def bar_returns(self, n_paths: int, n_bars: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        mu, omega, alpha, gamma, beta = (self.params[:, k] for k in range(5))
        draws = rng.integers(0, self.residuals.shape[0], size=(n_paths, n_bars))
        z = self.residuals[draws]  # (n_paths, n_bars, n_assets): one historical date for all assets
        var = np.broadcast_to(self.variance0, (n_paths, self.n_assets)).copy()
        r = np.empty((n_paths, n_bars, self.n_assets))
        sd = np.empty_like(r)
        for t in range(n_bars):
            s = np.sqrt(var)
            eps = s * z[:, t, :]
            sd[:, t, :] = s
            r[:, t, :] = mu + eps
            var = omega + (alpha + gamma * (eps < 0)) * eps * eps + beta * var
        return r, sd

    def describe(self) -> dict[str, object]:
        keys = ("mu", "omega", "alpha", "gamma", "beta")
        return {
            **super().describe(),
            "bar": format_duration(self.bar),
            "params": [dict(zip(keys, row, strict=True)) for row in self.params.tolist()],
        }


def _last_closes(prices: pd.DataFrame | Mapping[str, pd.DataFrame | pd.Series]) -> dict[str, float]:
    if isinstance(prices, pd.DataFrame) and "close" in prices.columns:
        return {"asset": float(prices["close"].iloc[-1])}
    if isinstance(prices, pd.DataFrame):
        return {str(c): float(prices[c].dropna().iloc[-1]) for c in prices.columns}
    return {k: float((v["close"] if isinstance(v, pd.DataFrame) else v).dropna().iloc[-1]) for k, v in prices.items()}


class BlockBootstrap(_BarModel):
    """Stationary block bootstrap of real returns (Politis & Romano, 1994).

    Whole rows (all assets on one date) are resampled in blocks of geometric length with mean ``block`` bars,
    wrapping around the end of the sample, so volatility clustering within blocks and cross-asset dependence
    are kept. Sub-steps are bridged with the sample standard deviation of each asset's bar returns.
    """

    name = "bootstrap"

    def __init__(
        self,
        assets: Sequence[str],
        s0: float | Sequence[float],
        *,
        returns: np.ndarray,
        bar: int,
        step: int | None = None,
        block: float = 10.0,
    ) -> None:
        super().__init__(assets, s0, step or bar, bar)
        r = np.asarray(returns, dtype="float64")
        if r.ndim == 1:
            r = r[:, None]
        if r.shape[1] != self.n_assets or r.shape[0] < 2 or not np.all(np.isfinite(r)):
            raise SolvencyInputError("bootstrap returns must be finite, one column per asset, at least 2 rows")
        if not block >= 1:
            raise SolvencyInputError(f"mean block length must be at least 1 bar, got {block!r}")
        self.returns = r
        self.block = float(block)
        self.sd = r.std(axis=0, ddof=1)

    @classmethod
    def from_prices(
        cls,
        prices: pd.DataFrame | Mapping[str, pd.DataFrame | pd.Series],
        *,
        assets: Sequence[str] | None = None,
        s0: float | Sequence[float] | None = None,
        step: int | None = None,
        block: float = 10.0,
    ) -> BlockBootstrap:
        """Bootstrap the log returns of a price frame (or aligned frames of several assets)."""
        returns, bar = _returns_matrix(prices)
        names = tuple(assets) if assets is not None else tuple(str(c) for c in returns.columns)
        if s0 is None:
            last = _last_closes(prices)
            s0 = [last[c] for c in returns.columns]
        return cls(names, s0, returns=returns.to_numpy(), bar=bar, step=step, block=block)

    def indices(self, n_paths: int, n_bars: int, rng: np.random.Generator) -> np.ndarray:
        """Resampled row indices ``(n_paths, n_bars)``: new block with probability 1/block, else next row."""
        n = self.returns.shape[0]
        start = rng.integers(0, n, size=(n_paths, n_bars))
        new = rng.random((n_paths, n_bars)) < 1.0 / self.block
        new[:, 0] = True
        # position of the most recent block start for every bar, and the offset from it
        pos = np.where(new, np.arange(n_bars)[None, :], 0)
        np.maximum.accumulate(pos, axis=1, out=pos)
        offset = np.arange(n_bars)[None, :] - pos
        return (np.take_along_axis(start, pos, axis=1) + offset) % n

    def bar_returns(self, n_paths: int, n_bars: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        idx = self.indices(n_paths, n_bars, rng)
        r = self.returns[idx]
        return r, np.broadcast_to(self.sd, r.shape)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "bar": format_duration(self.bar), "block": self.block}


@dataclass(frozen=True)
class Shape:
    """A price trajectory relative to its start: knots ``(hours, ratio)``, log-linear in between.

    Attributes
    ----------
    hours
        Knot times in hours from the start (increasing, first 0).
    ratios
        Price at each knot divided by the start price (first 1).
    """

    hours: tuple[float, ...]
    ratios: tuple[float, ...]

    def __post_init__(self) -> None:
        h, r = np.asarray(self.hours, dtype="float64"), np.asarray(self.ratios, dtype="float64")
        if h.size < 2 or h.shape != r.shape or h[0] != 0 or np.any(np.diff(h) <= 0):
            raise SolvencyInputError("a shape needs ≥ 2 knots with increasing hours starting at 0")
        if r[0] != 1 or np.any(r <= 0) or not np.all(np.isfinite(r)):
            raise SolvencyInputError("shape ratios must be positive and start at 1")

    @property
    def duration(self) -> int:
        """Seconds from the first to the last knot."""
        return round(self.hours[-1] * 3600)

    @property
    def trough(self) -> tuple[float, float]:
        """``(hours, ratio)`` of the lowest knot."""
        i = int(np.argmin(self.ratios))
        return self.hours[i], self.ratios[i]

    @property
    def drawdown(self) -> float:
        """Peak-to-trough fall as a fraction (peak = highest knot before the trough)."""
        i = int(np.argmin(self.ratios))
        return 1.0 - self.ratios[i] / max(self.ratios[: i + 1])

    def log_level(self, seconds: np.ndarray) -> np.ndarray:
        """``ln(P(t)/P(0))`` at times ``seconds``; flat after the last knot."""
        return np.interp(np.asarray(seconds, dtype="float64") / 3600.0, self.hours, np.log(self.ratios))


FLAT = Shape((0.0, 1.0), (1.0, 1.0))
"""A shape that stays at its start (stablecoins not named by a scenario)."""


class ShapedPaths(PathModel):
    """Paths that follow given drawdown shapes, with Brownian noise around them.

    ``ln S_a(t) = ln S_a(0) + severity · shape_a(t) + σ_a B_a(t)``. With ``noise="bridge"`` (default) ``B``
    is a Brownian bridge pinned to 0 at every knot time, so each path passes through the historical knots and
    only the path between them is random; with ``noise="free"`` ``B`` is a Brownian motion, so the shape is the
    median path and the spread grows with time. After the last knot the noise runs free either way.
    """

    name = "scenario"

    def __init__(
        self,
        assets: Sequence[str],
        s0: float | Sequence[float],
        *,
        shapes: Sequence[Shape],
        sigma: float | Sequence[float],
        step: int = 300,
        severity: float = 1.0,
        noise: str = "bridge",
        correlation: np.ndarray | None = None,
    ) -> None:
        super().__init__(assets, s0, step)
        if len(shapes) != self.n_assets:
            raise SolvencyInputError("one shape per asset is needed")
        if noise not in ("bridge", "free"):
            raise SolvencyInputError(f"noise must be 'bridge' or 'free', got {noise!r}")
        if not severity > 0:
            raise SolvencyInputError(f"severity must be positive, got {severity!r}")
        self.shapes = tuple(shapes)
        self.sigma = _as_vector(sigma, self.n_assets, "sigma")
        self.severity, self.noise = float(severity), noise
        self.chol = _chol_or_none(correlation, self.n_assets)

    def log_increments(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        t = np.arange(n_steps + 1) * float(self.step)
        level = np.column_stack([self.severity * s.log_level(t) for s in self.shapes])  # (T+1, A)
        z = correlated_normals(rng, n_paths, n_steps, self.n_assets, chol=self.chol)
        w = np.zeros((n_paths, n_steps + 1, self.n_assets))
        np.cumsum(z * (self.sigma * math.sqrt(self.dt)), axis=1, out=w[:, 1:, :])
        if self.noise == "bridge":
            for a, shape in enumerate(self.shapes):
                w[:, :, a] = _pin(w[:, :, a], np.asarray(shape.hours) * 3600.0 / self.step)
        log_path = level[None, :, :] + w
        return np.diff(log_path, axis=1)

    def describe(self) -> dict[str, object]:
        return {**super().describe(), "severity": self.severity, "noise": self.noise, "sigma": self.sigma.tolist()}


def _pin(w: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Turn Brownian paths ``w`` (paths × steps) into bridges pinned to 0 at the knot steps (rounded)."""
    n_steps = w.shape[1] - 1
    idx = np.unique(np.clip(np.rint(knots).astype(np.int64), 0, n_steps))
    if idx[0] != 0:
        idx = np.concatenate([[0], idx])
    steps = np.arange(n_steps + 1)
    seg = np.searchsorted(idx, steps, side="right") - 1  # knot at or before each step
    left = idx[seg]
    inside = seg < idx.size - 1
    right = np.where(inside, idx[np.minimum(seg + 1, idx.size - 1)], left)
    frac = np.where(inside, (steps - left) / np.maximum(right - left, 1), 0.0)
    return w - w[:, left] - frac[None, :] * (w[:, right] - w[:, left]) * inside[None, :]


class Replay(PathModel):
    """A historical price file replayed at its own resolution (deterministic: one path).

    ``intrabar="close"`` steps through the bar closes (the first point is the first bar's open).
    ``intrabar="ohlc"`` splits every bar into three sub-steps open → first extreme → second extreme → close,
    taking the high first on a falling bar and the low first on a rising one (the usual assumption when the
    order inside a bar is unknown), so a crash that happened inside a bar (10 Oct 2025: low 3,435 inside a
    4-hour bar that closed at 3,830) reaches the simulator.
    """

    name = "replay"
    deterministic = True

    def __init__(
        self,
        prices: pd.DataFrame | Mapping[str, pd.DataFrame],
        *,
        assets: Sequence[str] | None = None,
        intrabar: str = "close",
        scale_to: float | Sequence[float] | None = None,
    ) -> None:
        frames = {"asset": prices} if isinstance(prices, pd.DataFrame) else dict(prices)
        names = tuple(assets) if assets is not None else tuple(frames)
        if len(names) != len(frames):
            raise SolvencyInputError("one asset name per price frame is needed")
        if intrabar not in ("close", "ohlc"):
            raise SolvencyInputError(f"intrabar must be 'close' or 'ohlc', got {intrabar!r}")
        series = []
        index = None
        for name, frame in zip(names, frames.values(), strict=True):
            cols = ["open", "high", "low", "close"] if intrabar == "ohlc" else ["open", "close"]
            if intrabar == "close" and "open" not in frame.columns:
                cols = ["close"]
            missing = [c for c in cols if c not in frame.columns]
            if missing:
                raise SolvencyInputError(
                    f"replay of {name} with intrabar={intrabar!r} needs columns {missing}",
                    path=frame.attrs.get("source"),
                    hint="use intrabar='close' for a close-only file",
                )
            sub = frame[cols].astype("float64")
            index = sub.index if index is None else index.intersection(sub.index)
            series.append(sub)
        if index is None or len(index) < 2:
            raise SolvencyInputError("a replay needs at least two bars (common to all assets)")
        series = [s.loc[index] for s in series]
        for name, s in zip(names, series, strict=True):
            bad = ~np.isfinite(s.to_numpy()) | (s.to_numpy() <= 0)
            if bad.any():
                row = int(np.flatnonzero(bad.any(axis=1))[0])
                raise SolvencyInputError(
                    f"replay prices of {name} must be positive and finite",
                    path=frames[list(frames)[names.index(name)]].attrs.get("source"),
                    time=index[row],
                    hint="run `solvency data check FILE --clean`",
                )
        bar = infer_step(index)
        steps = np.diff(index.as_unit("ns").asi8)
        if not np.all(steps > 0):
            raise SolvencyInputError("replay timestamps must be strictly increasing", hint="sort and de-duplicate")
        gaps = np.flatnonzero(steps != bar * 1_000_000_000)
        if gaps.size:
            k = int(gaps[0])
            raise SolvencyInputError(
                f"replay has a gap or an irregular bar: {index[k]} → {index[k + 1]} in a {format_duration(bar)} series",
                time=index[k + 1],
                hint="a replay runs at the file's own bar length; fill the gap or replay a window without it",
            )
        paths = np.column_stack([_replay_points(s.to_numpy(), intrabar) for s in series])
        sub = 3 if intrabar == "ohlc" else 1
        step = max(1, round(bar / sub))
        start = index[0]
        self.times = pd.DatetimeIndex([start + pd.Timedelta(seconds=step * k) for k in range(paths.shape[0])])
        self.bar_times = index
        if scale_to is not None:
            paths = paths * (_as_vector(scale_to, len(names), "scale_to") / paths[0])
        super().__init__(names, paths[0], step)
        self.points = paths
        self.intrabar = intrabar
        self.frame = pd.DataFrame(paths, index=self.times, columns=list(names))

    @property
    def max_steps(self) -> int:
        return self.points.shape[0] - 1

    def simulate(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        if n_steps > self.max_steps:
            raise SolvencyInputError(
                f"the replay has {self.max_steps} steps of {format_duration(self.step)}, {n_steps} requested",
                hint="shorten the horizon or use a longer price file",
            )
        return np.broadcast_to(self.points[None, : n_steps + 1, :], (n_paths, n_steps + 1, self.n_assets)).copy()

    def log_increments(self, n_paths: int, n_steps: int, rng: np.random.Generator) -> np.ndarray:
        return np.diff(np.log(self.simulate(n_paths, n_steps, rng)), axis=1)

    def describe(self) -> dict[str, object]:
        return {
            **super().describe(),
            "start": self.times[0].isoformat(),
            "end": self.times[-1].isoformat(),
            "intrabar": self.intrabar,
        }


def _replay_points(values: np.ndarray, intrabar: str) -> np.ndarray:
    if values.shape[1] == 1:  # close only: the first close is the start
        return values[:, 0]
    if intrabar == "close":
        return np.concatenate([[values[0, 0]], values[:, 1]])
    o, h, lo, c = values.T
    falling = c < o
    first = np.where(falling, h, lo)
    second = np.where(falling, lo, h)
    pts = np.column_stack([first, second, c]).ravel()
    return np.concatenate([[o[0]], pts])


def align_series(times: pd.DatetimeIndex, series: pd.Series, *, name: str, tolerance: int) -> np.ndarray:
    """Values of ``series`` as of each of ``times`` (last observation at or before; the first one before it).

    Raises
    ------
    SolvencyInputError
        ``series`` does not cover ``times`` within ``tolerance`` seconds at either end.
    """
    s = series.dropna().sort_index()
    if s.empty:
        raise SolvencyInputError(f"{name} series is empty")
    tol = pd.Timedelta(seconds=tolerance)
    if times[0] < s.index[0] - tol or times[-1] > s.index[-1] + tol:
        raise SolvencyInputError(
            f"{name} covers {s.index[0]} – {s.index[-1]}, the path runs {times[0]} – {times[-1]}",
            path=series.attrs.get("source"),
            hint="use a file that covers the replayed period",
        )
    pos = np.searchsorted(s.index.as_unit("ns").asi8, times.as_unit("ns").asi8, side="right") - 1
    return s.to_numpy(dtype="float64")[np.clip(pos, 0, len(s) - 1)]
