"""The scenario grid of portfolio margin (SPAN / Deribit / Derive style).

``price_steps`` evenly spaced moves of the underlying from −R to +R, each with the implied vol up, flat and down, plus
extended moves (multiples of R, e.g. −3R … +5R, at vol up as Deribit's extended table) with their losses counted
at ``extended_weight`` — meant for far out-of-the-money short options whose risk the ±R range misses. The default
is 9 × 3 + 6 = 33 scenarios. Vol shocks are relative and scale with tenor:
``σ_up = σ·(1 + vol_up·(30/DTE)^p)``, ``σ_down = σ·max(1 − vol_down·(30/DTE)^p, 0.05)`` with DTE floored at
``min_dte_days`` (Deribit: up to 45 % at 30 days, p = 0.3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvency.config import OptionsSpec

VOL_STATES = ("flat", "up", "down")


@dataclass(frozen=True)
class Grid:
    """Scenarios as arrays: relative price move, vol state (0 flat, 1 up, 2 down), loss weight."""

    move: np.ndarray
    vol_state: np.ndarray
    weight: np.ndarray
    price_range: float

    def __len__(self) -> int:
        return int(self.move.size)


def build_grid(price_range: float, spec: OptionsSpec) -> Grid:
    """Scenario grid for a price range ``R`` (fraction) and the spec's steps, vol states and extended moves.

    Examples
    --------
    >>> g = build_grid(0.16, OptionsSpec())
    >>> len(g), float(g.move.min()), float(g.move.max())
    (33, -0.48, 0.8)
    """
    base = np.linspace(-price_range, price_range, spec.price_steps)
    moves = [np.repeat(base, 3)]
    states = [np.tile(np.arange(3), base.size)]
    weights = [np.ones(3 * base.size)]
    extended = np.clip(np.asarray(spec.extended_moves, dtype="float64") * price_range, -0.95, None)
    if extended.size and spec.extended_weight > 0:
        # as Deribit's extended table: vol up only (the state that hurts far-OTM shorts), losses weighted
        moves.append(extended)
        states.append(np.ones(extended.size, dtype=np.int64))
        weights.append(np.full(extended.size, spec.extended_weight))
    return Grid(
        move=np.concatenate(moves),
        vol_state=np.concatenate(states).astype(np.int64),
        weight=np.concatenate(weights),
        price_range=float(price_range),
    )


def vol_multipliers(dte_days: np.ndarray, spec: OptionsSpec) -> np.ndarray:
    """Per-position multipliers of σ for the (flat, up, down) states, shape (n, 3)."""
    scale = (30.0 / np.maximum(dte_days, spec.min_dte_days)) ** spec.tenor_power
    out = np.empty((np.size(dte_days), 3))
    out[:, 0] = 1.0
    out[:, 1] = 1.0 + spec.vol_up * scale
    out[:, 2] = np.maximum(1.0 - spec.vol_down * scale, 0.05)
    return out
