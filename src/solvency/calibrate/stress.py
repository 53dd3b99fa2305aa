"""The stress conditions the liquidation bonus and the caps must survive, read off the named scenarios.

Each scenario of the market's ``[risk] scenarios`` contributes one :class:`StressCondition`: how far depth falls
(the scenario's liquidity multiplier), how much gas rises, the peak-to-trough fall of the market's asset and the
sharpest fall within one price-impact half-life (how much liquidation selling piles up before the market has
absorbed it). The numbers come from :mod:`solvency.sim.scenarios`, which cites their sources.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from solvency.errors import SolvencyInputError
from solvency.sim.scenarios import get_scenario

FINE_STEP = 300
"""Seconds between the points at which a scenario's shape is evaluated."""


@dataclass(frozen=True)
class StressCondition:
    """One scenario's conditions for the market's asset.

    Attributes
    ----------
    name
        Scenario name.
    depth
        Depth multiplier of the scenario (0.3 = 30 % of normal depth).
    gas_multiplier
        Gas price multiple of normal.
    drop
        Peak-to-trough fall of the asset (fraction).
    window_fall
        Sharpest fall within one impact half-life (fraction).
    """

    name: str
    depth: float
    gas_multiplier: float
    drop: float
    window_fall: float

    def to_dict(self) -> dict[str, float | str]:
        return asdict(self)


def sharpest_fall(log_level: np.ndarray, window: int) -> float:
    """Largest fall ``1 − P_t/max(P_{t−window..t})`` of a log-price series within ``window`` points."""
    x = np.asarray(log_level, dtype="float64")
    worst = 0.0
    for lag in range(1, max(1, window) + 1):
        if lag >= x.size:
            break
        worst = max(worst, float(np.max(x[:-lag] - x[lag:])))
    return 1.0 - math.exp(-worst)


def stress_conditions(names: Sequence[str], asset: str, *, half_life: int | None) -> list[StressCondition]:
    """Conditions of the named scenarios for ``asset`` (its own shape, its underlying's, or the primary's).

    Parameters
    ----------
    half_life
        Impact half-life in seconds (``None``: permanent impact — the whole scenario counts as one window).
    """
    if not names:
        raise SolvencyInputError(
            "the market names no stress scenario", hint='set [risk] scenarios, e.g. ["black-thursday-2020"]'
        )
    out = []
    for name in names:
        scen = get_scenario(name)
        shape = scen.shape_for(asset)
        t = np.arange(0, shape.duration + FINE_STEP, FINE_STEP, dtype="float64")
        level = shape.log_level(t)
        window = t.size if half_life is None else max(1, round(half_life / FINE_STEP))
        out.append(
            StressCondition(
                name=scen.name,
                depth=float(scen.liquidity),
                gas_multiplier=float(scen.gas_multiplier),
                drop=float(shape.drawdown),
                window_fall=sharpest_fall(level, window),
            )
        )
    return out
