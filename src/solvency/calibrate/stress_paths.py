"""Common random numbers for the LT search: one set of draws that gives price paths at any volatility.

The LT search compares many candidate parameters and volatilities; with *common random numbers* every
candidate sees the same shocks, so differences in bad debt come from the parameters, not from sampling noise,
and the search's monotonicity arguments (:mod:`solvency.calibrate.frontier`) hold path by path.

Model (per path ``p``, step ``t`` of ``dt`` years, total annualised volatility ``σ``)::

    ln S_t = ln S_0 + σ_c·w_p·Σ_{k≤t} z_{p,k}·sqrt(dt) − ½·σ_c²·w_p²·dt·t            (diffusion)
                    − a_p·Σ_{k≤t} J_{p,k} + λ_p·(1 − E[e^{−a_p·J}])·dt·t               (downward jumps)

* a per-path volatility multiplier ``w_p`` held for the whole horizon — the uncertainty of the volatility level
  over the horizon. By default (``mixture``, a :class:`~solvency.market.vol_mixture.VolMixture`) it is the law
  *measured* on data: the path's diffusive volatility is ``σ·R_p`` with ``R`` the ratio of the continuous
  (bipower) volatility realized over 3 days to the EWMA forecast at their start, on ETH 2017–2025
  (:data:`~solvency.market.vol_mixture.ETH_VOL_MIXTURE`: median 0.79, 99 % 2.35, at most 4.04), i.e.
  ``w_p = R_p·σ/σ_c``. The forecast's bias is kept (``E[w²] = 1.13`` with the default jumps: the vol model
  under-forecasts the variance that follows; see :mod:`solvency.market.vol_mixture`). Without ``mixture``:
  ``w_p = sqrt((ν − 2)/χ²_ν)`` (``tail_df`` = ν, unit mean square, a Student-t law of the horizon's return) —
  the first calibrator's assumption, kept for specs that ask for it. With ν = 4, ``w²`` has no finite variance:
  one path in 10,000 runs at 6–12 × σ and alone decides ES99, so LT moved 20 pp with the seed (RESULTS.md);
* *jumps* (``jumps``, a :class:`~solvency.market.jumps.JumpLaw`; None: none): ``J_{p,k}`` is the sum of the
  jumps in step ``k`` — a Poisson(λ_p·dt) number of them (``λ_p = λ(s_p)`` by level, below, or the pooled λ), each
  ``threshold + mean_excess·E`` (``E ~ Exp(1)``)
  diffusive standard deviations of a bar of the law's frequency — and ``a_p = σ_c·w_p·sqrt(Δ)`` turns them into
  log moves. Real crashes are made of such gaps (12 Mar 2020: ETH −21 % in one hour); a Brownian path at
  σ ≈ 50 % moves 0.5 % an hour and never gaps through a liquidation cushion between two liquidator steps.
  The law is estimated from real intraday returns (:mod:`solvency.market.jumps`);
* ``σ`` is the *total* volatility the vol model measured: the diffusion gets ``σ_c = σ/sqrt(1 + ψ)`` with ``ψ`` the
  law's jump-to-diffusion variance ratio, so the yearly variance stays ``σ²`` (:meth:`JumpLaw.diffusive_sigma`;
  with the level-dependent rate the split is made path by path, below).

**Jump sizes scale with σ** (through the path's diffusive level ``s_p = σ_c·w_p``). The Lee-Mykland test measures
jumps in units of the local diffusive volatility, and in those units their size does not depend on the regime: on
ETH hourly 2017–2025 the mean excess over the threshold is 2.70 / 2.85 / 2.17 sds in the calm / middle / volatile
third of local volatility (BTC 2.93 / 2.29 / 2.03) — a 9 % hourly gap in a 150 %-σ market is a 3 % gap in a
50 %-σ one. **The rate falls with the level**: 65 a year in the calmest tenth of ETH's local σ, 8–13 in the two
most volatile; by default (the law's ``rate_curve``, :data:`~solvency.market.jumps.ETH_HOURLY_RATE`) a path runs
at ``λ(s_p) = 13.72·s_p^−1.112`` a year, held constant outside the fitted 0.20–2.57 (at most 81.7). Without a
curve (``[calibration] jump_rate = "pooled"``) one pooled rate (26.4) is used at every level — optimistic in calm
markets, conservative on the high-level paths that decide ES99 (``benchmarks/RESULTS.md``). Whatever the law, the
LT frontier stays monotone in σ by construction: it is a staircase (:mod:`~solvency.calibrate.frontier`) that
never relies on the paths being ordered in σ.

**Level-dependent rate by thinning** (Lewis & Shedler 1979). The candidates are drawn once, independent of σ, at
the largest rate ``λ_max`` over all levels (the curve is bounded): per step a Poisson(λ_max·dt) number, each with its
size ``threshold + mean_excess·E`` and a uniform ``U``, from the block's stream after its normals. At total
volatility σ a path keeps the candidates with ``U·λ_max < λ(s_p(σ))`` — a Poisson process of rate exactly
``λ(s_p)`` with the same size law. Common random numbers hold: every σ node and candidate sees the same candidates,
and since ``s_p`` rises with σ and ``λ`` falls with ``s``, **the jumps kept at a higher σ node are a subset of
those kept at a lower one** (:meth:`StressPaths.kept`). Total-variance split, path by path and exact: under the
measured mixture ``σ·R_p`` *is* the path's diffusive level (``R`` is a ratio of bipower volatility), so ``s_p =
σ·R_p`` and the jumps add ``ψ(s_p) = λ(s_p)·Δ·E[J²]`` on top, as with the pooled rate; under the Student-t mixture
``σ·w_p`` is the path's total volatility and ``s_p`` the root of ``s²·(1 + ψ(s)) = (σ·w_p)²`` (bisection; the
left side increases because the exponent exceeds −2), so ``E[total variance] = σ²·E[w²] = σ²`` as before — the
pooled ``σ_c = σ/sqrt(1 + ψ)`` is this root with ``ψ`` constant. The compensator uses the path's own rate:
``λ(s_p)·(1 − E[e^{−a_p·J}])``, ``a_p = s_p·sqrt(Δ)``.

**Martingale.** Given ``w_p`` the diffusion and the compensated compound-Poisson part are independent
martingales in price: ``E e^{−a·ΣJ} = exp(λ·t·dt·(E[e^{−aJ}] − 1))`` (``λ = λ(s_p)`` with the level rate: the
thinned process is Poisson at that rate) cancels the drift ``λ·(1 − E[e^{−aJ}])·dt·t``, which is finite for every ``a``
(downward jumps). So ``E S_t = S_0``.

Draws come in fixed blocks of :data:`solvency.sim.montecarlo.PATH_BLOCK` paths, block ``b`` from
``SeedSequence(seed).spawn(n_blocks)[b]``, as the simulator's Monte Carlo driver does: per block the χ² of the
Student-t mixture (when it is the one in use), the normals, then (with jumps) the Poisson counts and the gamma
sums of their sizes (pooled rate) or the candidates' counts, exponential sizes and uniforms (level rate) — so the
diffusion is the same with and without jumps, and a path's diffusion and jumps
depend only on its seed and its block.

**Stratified multiplier.** The measured mixture is sampled by stratification (Latin hypercube in one
dimension): from a stream of its own (:data:`MIXTURE_STREAM`, a child key of the seed no block reaches) a
permutation ``π`` of the ``n`` paths and uniforms ``U``; path ``i`` gets ``u_i = (π(i) + U_i)/n`` and
``w_i = F⁻¹(u_i)``. Exactly one path falls in each ``1/n`` of probability, so every seed represents the upper
tail — which decides ES99 — the same way, and only the order of the multipliers over paths and the position
inside each stratum change with the seed; the variance of any mean over paths of a monotone function of ``w``
is at most that of plain sampling (McKay, Beckman & Conover 1979). The multipliers depend on the seed and on
``n`` (the strata are the run's), not on the blocks; the diffusion and jump draws are exactly those of the
Student-t paths' blocks minus the χ² draw.
"""

from __future__ import annotations

import math

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.market.jumps import JumpLaw
from solvency.market.vol_mixture import VolMixture
from solvency.sim.montecarlo import PATH_BLOCK, block_streams
from solvency.units import SECONDS_PER_YEAR

MIXTURE_STREAM = 2**32 - 1
"""Spawn key, under the seed, of the stream of the stratified volatility multipliers (blocks use 0, 1, …)."""


def stratified_uniforms(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniforms, one in each ``1/n`` of [0, 1): ``u_i = (π(i) + U_i)/n`` with ``π`` a random permutation.

    Examples
    --------
    >>> u = stratified_uniforms(5, np.random.default_rng(0))
    >>> sorted(np.floor(u * 5).astype(int).tolist())
    [0, 1, 2, 3, 4]
    """
    return (rng.permutation(n) + rng.random(n)) / n


class StressPaths:
    """Standardised draws for ``n_paths`` paths of ``n_steps`` steps of ``step`` seconds.

    Parameters
    ----------
    n_paths, n_steps, step
        Shape and step (seconds) of the paths.
    tail_df
        ν of the Student-t per-path volatility mixture (> 2; ``inf`` gives plain GBM); used without ``mixture``.
    mixture
        The measured law of the volatility ratio (module docstring), sampled by stratification; None: Student-t.
    jumps
        Law of the downward jumps (None: a diffusion only).
    seed
        Seed of the block streams.

    Examples
    --------
    >>> sp = StressPaths(512, 24, 3600, seed=1)
    >>> p = sp.prices(0.8, 3000.0)
    >>> p.shape, round(float(p[0, 0, 0]), 6)
    ((512, 25, 1), 3000.0)
    >>> law = JumpLaw(intensity=26.0, threshold=5.3, mean_excess=2.7, frequency=3600)
    >>> hourly = 0.8 / (365 * 24) ** 0.5  # sd of a 1-hour log return at σ = 80 %
    >>> gaps = [int((np.diff(StressPaths(512, 24, 3600, tail_df=math.inf, jumps=j, seed=1).log_returns(0.8))
    ...              < -4 * hourly).sum()) for j in (None, law)]
    >>> gaps  # hours falling more than 4 sds: none in the diffusion, ~ λ·(1 day)·512 paths with jumps
    [0, 31]
    """

    def __init__(
        self,
        n_paths: int,
        n_steps: int,
        step: int,
        *,
        tail_df: float = 4.0,
        mixture: VolMixture | None = None,
        jumps: JumpLaw | None = None,
        seed: int | None = None,
    ):
        if n_paths <= 0 or n_steps <= 0 or step <= 0:
            raise SolvencyInputError(f"stress paths need paths, steps and step > 0, got {n_paths}, {n_steps}, {step}")
        if not tail_df > 2:
            raise SolvencyInputError(f"tail_df must exceed 2 (finite variance), got {tail_df!r}")
        self.n_paths, self.n_steps, self.step, self.tail_df = int(n_paths), int(n_steps), int(step), float(tail_df)
        self.jumps = jumps if jumps is not None and jumps.intensity > 0 else None
        self.mixture = mixture
        dt = step / SECONDS_PER_YEAR
        walk = np.empty((n_paths, n_steps + 1))
        walk[:, 0] = 0.0
        w = np.empty(n_paths)
        jump_sum = None
        curve = None if self.jumps is None else self.jumps.rate_curve
        self.level = curve is not None  # thinned, level-dependent rate (module docstring)
        if self.jumps is not None and curve is None:
            jump_sum = np.empty((n_paths, n_steps + 1))
            jump_sum[:, 0] = 0.0
        cells, marks, uniforms = [], [], []
        root = np.random.SeedSequence(seed)
        streams = block_streams(root, n_paths)
        for b, rng in enumerate(streams):
            lo = b * PATH_BLOCK
            hi = min(lo + PATH_BLOCK, n_paths)
            size = hi - lo
            if mixture is None:
                w[lo:hi] = 1.0 if math.isinf(tail_df) else np.sqrt((tail_df - 2.0) / rng.chisquare(tail_df, size))
            z = rng.standard_normal((size, n_steps))
            np.cumsum(z, axis=1, out=walk[lo:hi, 1:])
            if jump_sum is not None:
                law = self.jumps
                counts = rng.poisson(law.intensity * dt, (size, n_steps))
                sizes = law.threshold * counts.astype("float64")
                hit = counts > 0
                sizes[hit] += law.mean_excess * rng.standard_gamma(counts[hit])  # Σ of k Exp(1) ~ Gamma(k)
                np.cumsum(sizes, axis=1, out=jump_sum[lo:hi, 1:])
            elif curve is not None:  # candidates at the largest rate, row-major over (path, step)
                counts = rng.poisson(curve.max_rate * dt, size * n_steps)
                cells.append(np.repeat(np.arange(lo * n_steps, hi * n_steps), counts))
                marks.append(self.jumps.threshold + self.jumps.mean_excess * rng.standard_exponential(cells[-1].size))
                uniforms.append(rng.random(cells[-1].size))
        if curve is not None:
            self._cand_cell = np.concatenate(cells)  # path·n_steps + step of each candidate
            self._cand_path = self._cand_cell // n_steps
            self._cand_size = np.concatenate(marks)  # its size, diffusive sds of one bar
            self._cand_u = np.concatenate(uniforms) * curve.max_rate  # accepted where λ(level) > this
        if mixture is not None:
            mix = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=(MIXTURE_STREAM,)))
            psi = 0.0 if self.jumps is None or self.level else self.jumps.variance_share
            w[:] = mixture.ppf(stratified_uniforms(n_paths, mix)) * math.sqrt(1.0 + psi)  # σ·R = σ_c·w
        walk *= (w * math.sqrt(dt))[:, None]
        self._w = w
        self._walk = walk  # Σ w z sqrt(dt), per unit σ_c
        self._drift = 0.5 * w**2 * dt  # per unit σ_c² and per step
        self._jump_sum = jump_sum  # Σ J, diffusive sds of one bar of the law's frequency
        self._steps = np.arange(n_steps + 1, dtype="float64")

    @property
    def horizon(self) -> int:
        """Seconds covered by a path."""
        return self.n_steps * self.step

    def diffusive_sigma(self, sigma: float) -> float:
        """``σ_c``: the diffusion's volatility at total volatility ``sigma`` (``sigma`` itself without jumps)."""
        return sigma if self.jumps is None else float(self.jumps.diffusive_sigma(sigma))

    def levels(self, sigma: float) -> np.ndarray:
        """Each path's diffusive volatility (annualised) at total volatility ``sigma``: ``σ_c·w_p`` with a pooled
        rate; with the level-dependent rate ``σ·R_p`` under the measured mixture, else the root ``s`` of
        ``s²·(1 + λ(s)·Δ·E[J²]) = (σ·w_p)²`` (module docstring)."""
        if not self.level:
            return self.diffusive_sigma(sigma) * self._w
        if self.mixture is not None:
            return sigma * self._w
        law = self.jumps
        kappa = law.bar_years * law.size_moment(2)
        total = sigma * self._w
        lo = total / math.sqrt(1.0 + kappa * law.rate_curve.max_rate)  # λ ≤ λ_max
        hi = total.copy()  # λ ≥ 0
        for _ in range(60):  # bisection: g(s) = s²·(1 + κλ(s)) increases in s (exponent > −2)
            mid = 0.5 * (lo + hi)
            above = mid * mid * (1.0 + kappa * law.rate_curve(mid)) > total * total
            hi = np.where(above, mid, hi)
            lo = np.where(above, lo, mid)
        return 0.5 * (lo + hi)

    def log_returns(self, sigma: float) -> np.ndarray:
        """``ln(S_t/S_0)`` at total annualised volatility ``sigma``, shape ``(n_paths, n_steps + 1)``."""
        if not sigma >= 0 or not math.isfinite(sigma):
            raise SolvencyInputError(f"volatility must be finite and ≥ 0, got {sigma!r}")
        if self.level:
            return self._thinned_log_returns(sigma)
        sc = self.diffusive_sigma(sigma)
        out = sc * self._walk - (sc * sc) * self._drift[:, None] * self._steps[None, :]
        if self._jump_sum is not None:
            a = self.jumps.scale(sc) * self._w  # log size of one unit of jump, per path
            drift = self.jumps.compensator(a) * (self.step / SECONDS_PER_YEAR)  # per step, per path
            out += drift[:, None] * self._steps[None, :] - a[:, None] * self._jump_sum
        return out

    def kept(self, sigma: float) -> np.ndarray:
        """With the level-dependent rate: which candidate jumps the paths keep at total volatility ``sigma``
        (``U·λ_max < λ(level of the path)``); the candidates are ``_cand_cell`` (path·n_steps + step)."""
        if not self.level:
            raise ValueError("only stress paths with a level-dependent jump rate thin candidates")
        return self._cand_u < self.jumps.rate_curve(self.levels(sigma))[self._cand_path]

    def _thinned_log_returns(self, sigma: float) -> np.ndarray:
        """:meth:`log_returns` with the level-dependent rate: per path its level ``s_p``, the candidates with
        ``U·λ_max < λ(s_p)`` kept, the compensator at ``λ(s_p)``."""
        law, dt = self.jumps, self.step / SECONDS_PER_YEAR
        s = self.levels(sigma)
        with np.errstate(invalid="ignore", divide="ignore"):
            c = np.where(self._w > 0, s / self._w, 0.0)  # diffusive scale per unit of the walk's w
        out = c[:, None] * self._walk - (c * c * self._drift)[:, None] * self._steps[None, :]
        lam = law.rate_curve(s)
        a = law.scale(s)
        keep = self._cand_u < lam[self._cand_path]  # = self.kept(sigma)
        bar = np.bincount(
            self._cand_cell[keep], weights=self._cand_size[keep], minlength=self.n_paths * self.n_steps
        ).reshape(self.n_paths, self.n_steps)
        jump_sum = np.zeros((self.n_paths, self.n_steps + 1))
        np.cumsum(bar, axis=1, out=jump_sum[:, 1:])
        drift = law.compensator(a, rate=lam) * dt
        out += drift[:, None] * self._steps[None, :] - a[:, None] * jump_sum
        return out

    def prices(self, sigma: float, s0: float) -> np.ndarray:
        """Price paths ``(n_paths, n_steps + 1, 1)`` from ``s0`` at volatility ``sigma`` (C-contiguous)."""
        out = np.exp(self.log_returns(sigma) + math.log(s0))
        return np.ascontiguousarray(out[:, :, None])
