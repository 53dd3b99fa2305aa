"""A small, fast lending market for the calibrator's tests (hundreds of positions, a day in hourly steps)."""

from __future__ import annotations

from typing import Any

from solvency.config import MarketSpec


def tiny_spec(**overrides: Any) -> MarketSpec:
    """The default WETH/USDC market shrunk: 300 positions, $100 M debt, 1-day horizon in 1-hour steps, 400 paths."""
    spec = MarketSpec()
    spec.book.positions = 300
    spec.book.debt_total = 1.0e8
    spec.risk.paths = 400
    spec.risk.horizon = "1d"
    spec.calibration.step = "1h"
    spec.calibration.sigma_ratio = 1.5
    spec.calibration.lt_step = 0.005
    for dotted, value in overrides.items():
        obj = spec
        *parents, leaf = dotted.split("__")
        for p in parents:
            obj = getattr(obj, p)
        setattr(obj, leaf, value)
    return spec
