"""Common random numbers for the LT search: one set of draws that gives price paths at any volatility.

The LT search compares many candidate parameters and volatilities; with *common random numbers* every
candidate sees the same shocks, so differences in bad debt come from the parameters, not from sampling noise,
and the search's monotonicity arguments (:mod:`solvency.calibrate.frontier`) hold path by path.

Model (per path ``p``, step ``t`` of ``dt`` years)::

    ln S_t = ln S_0 + σ·w_p·Σ_{k≤t} z_{p,k}·sqrt(dt) − ½·σ²·w_p²·dt·t,     z ~ N(0, 1) i.i.d.

with a per-path volatility multiplier ``w_p = sqrt((ν − 2)/χ²_ν)`` (unit mean square). The log return over the
horizon is then a normal variance mixture whose standardised law is Student-t with ν degrees of freedom — the
fat daily tails of crypto returns (ν ≈ 3–5 for ETH daily returns) — while each path is a Brownian motion inside
the horizon, as liquidators see it step by step. Each path is a martingale in price (``E S_t = S_0``).

Draws come in fixed blocks of :data:`solvency.sim.montecarlo.PATH_BLOCK` paths, block ``b`` from
``SeedSequence(seed).spawn(n_blocks)[b]``, as the simulator's Monte Carlo driver does.
"""

from __future__ import annotations

import math

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.sim.montecarlo import PATH_BLOCK, block_streams
from solvency.units import SECONDS_PER_YEAR


class StressPaths:
    """Standardised draws for ``n_paths`` paths of ``n_steps`` steps of ``step`` seconds.

    Parameters
    ----------
    n_paths, n_steps, step
        Shape and step (seconds) of the paths.
    tail_df
        ν of the per-path volatility mixture (> 2; ``inf`` gives plain GBM).
    seed
        Seed of the block streams.

    Examples
    --------
    >>> sp = StressPaths(512, 24, 3600, seed=1)
    >>> p = sp.prices(0.8, 3000.0)
    >>> p.shape, round(float(p[0, 0, 0]), 6)
    ((512, 25, 1), 3000.0)
    """

    def __init__(self, n_paths: int, n_steps: int, step: int, *, tail_df: float = 4.0, seed: int | None = None):
        if n_paths <= 0 or n_steps <= 0 or step <= 0:
            raise SolvencyInputError(f"stress paths need paths, steps and step > 0, got {n_paths}, {n_steps}, {step}")
        if not tail_df > 2:
            raise SolvencyInputError(f"tail_df must exceed 2 (finite variance), got {tail_df!r}")
        self.n_paths, self.n_steps, self.step, self.tail_df = int(n_paths), int(n_steps), int(step), float(tail_df)
        dt = step / SECONDS_PER_YEAR
        walk = np.empty((n_paths, n_steps + 1))
        walk[:, 0] = 0.0
        w = np.empty(n_paths)
        for b, rng in enumerate(block_streams(seed, n_paths)):
            lo = b * PATH_BLOCK
            hi = min(lo + PATH_BLOCK, n_paths)
            size = hi - lo
            if math.isinf(tail_df):
                w[lo:hi] = 1.0
            else:
                w[lo:hi] = np.sqrt((tail_df - 2.0) / rng.chisquare(tail_df, size))
            z = rng.standard_normal((size, n_steps))
            np.cumsum(z, axis=1, out=walk[lo:hi, 1:])
        walk *= (w * math.sqrt(dt))[:, None]
        self._walk = walk  # Σ w z sqrt(dt), per unit σ
        self._drift = 0.5 * w**2 * dt  # per unit σ² and per step
        self._steps = np.arange(n_steps + 1, dtype="float64")

    @property
    def horizon(self) -> int:
        """Seconds covered by a path."""
        return self.n_steps * self.step

    def log_returns(self, sigma: float) -> np.ndarray:
        """``ln(S_t/S_0)`` at annualised volatility ``sigma``, shape ``(n_paths, n_steps + 1)``."""
        if not sigma >= 0 or not math.isfinite(sigma):
            raise SolvencyInputError(f"volatility must be finite and ≥ 0, got {sigma!r}")
        return sigma * self._walk - (sigma * sigma) * self._drift[:, None] * self._steps[None, :]

    def prices(self, sigma: float, s0: float) -> np.ndarray:
        """Price paths ``(n_paths, n_steps + 1, 1)`` from ``s0`` at volatility ``sigma`` (C-contiguous)."""
        out = np.exp(self.log_returns(sigma) + math.log(s0))
        return np.ascontiguousarray(out[:, :, None])
