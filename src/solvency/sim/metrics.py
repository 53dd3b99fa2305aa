"""Risk metrics over simulated paths, as the anchors define them.

* **VaR95** of bad debt (Gauntlet's "VaR"): the 95th percentile over paths of the net insolvent amount at the
  end of the run (https://risk.gauntlet.network/faq).
* **ES99**: the mean of the worst 1 % of paths — the average of the ``ceil(0.01·n)`` largest values (so
  with fewer than 100 paths it is the maximum).
* **prob**: share of paths with any bad debt (> 0).
* **LaR95** (Gauntlet's Liquidations at Risk): the 95th percentile over paths of the liquidated volume
  (collateral seized, valued at the oracle price).

Percentiles use numpy's default (linear interpolation between order statistics).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


def expected_shortfall(values: np.ndarray, level: float = 0.99) -> float:
    """Mean of the largest ``ceil((1 − level)·n)`` values (at least one)."""
    x = np.sort(np.asarray(values, dtype="float64"))
    if x.size == 0:
        return math.nan
    k = max(1, math.ceil((1.0 - level) * x.size - 1e-9))
    return float(x[-k:].mean())


@dataclass(frozen=True)
class BadDebtMetrics:
    """Bad-debt distribution over paths (quote units; ``prob`` a fraction)."""

    mean: float
    var95: float
    es99: float
    prob: float
    max: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True)
class LiquidationMetrics:
    """Liquidations per path: mean count, mean volume and LaR95 (quote units)."""

    count_mean: float
    volume_mean: float
    lar95: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def bad_debt_metrics(bad_debt: np.ndarray) -> BadDebtMetrics:
    """Metrics of per-path bad debt."""
    x = np.asarray(bad_debt, dtype="float64")
    if x.size == 0:
        return BadDebtMetrics(math.nan, math.nan, math.nan, math.nan, math.nan)
    return BadDebtMetrics(
        mean=float(x.mean()),
        var95=float(np.quantile(x, 0.95)),
        es99=expected_shortfall(x, 0.99),
        prob=float(np.mean(x > 0)),
        max=float(x.max()),
    )


def liquidation_metrics(count: np.ndarray, volume: np.ndarray) -> LiquidationMetrics:
    """Metrics of per-path liquidation counts and volumes."""
    v = np.asarray(volume, dtype="float64")
    if v.size == 0:
        return LiquidationMetrics(math.nan, math.nan, math.nan)
    return LiquidationMetrics(
        count_mean=float(np.mean(count)),
        volume_mean=float(v.mean()),
        lar95=float(np.quantile(v, 0.95)),
    )
