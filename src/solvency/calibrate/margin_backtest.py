"""Walk-forward backtest of a dynamic margin against a static one at the same average level.

At the end of every bar ``t`` the dynamic margin for the move over ``(t, t + h]`` is set from data up to ``t`` only
(:func:`solvency.market.fhs.fhs_tail_moves`); an *exceedance* is a realised move larger than the margin in either
direction (the margin must cover a long and a short). For horizons of ``k > 1`` bars the test uses every ``k``-th
bar, so that windows do not overlap and the Christoffersen test sees independent trials. The static benchmark is
one constant margin equal to the dynamic margin's mean over the same windows: same capital, fixed in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solvency.calibrate.coverage import christoffersen, kupiec
from solvency.errors import SolvencyInputError
from solvency.market.fhs import FHSModel, fhs_tail_moves


@dataclass(frozen=True)
class MarginBacktest:
    """Result of :func:`margin_backtest` (``to_dict`` gives the CLI's JSON keys)."""

    observations: int
    exceedances: int
    expected: float
    exceedance_rate: float
    kupiec_p: float
    christoffersen_p: float
    christoffersen_cc_p: float
    mean_margin: float
    static_margin: float
    static_exceedances: int
    static_kupiec_p: float
    static_christoffersen_p: float
    coverage: float
    horizon: int
    start: pd.Timestamp
    end: pd.Timestamp
    margins: pd.DataFrame = field(repr=False, compare=False)

    @property
    def passed(self) -> bool:
        """Both coverage tests pass at 5 %."""
        return self.kupiec_p > 0.05 and self.christoffersen_p > 0.05

    def to_dict(self) -> dict[str, Any]:
        """The issue's JSON shape; margins are fractions of notional."""
        return {
            "observations": self.observations,
            "exceedances": self.exceedances,
            "expected": self.expected,
            "exceedance_rate": self.exceedance_rate,
            "kupiec_p": self.kupiec_p,
            "christoffersen_p": self.christoffersen_p,
            "mean_margin": self.mean_margin,
            "static": {
                "margin": self.static_margin,
                "exceedances": self.static_exceedances,
                "kupiec_p": self.static_kupiec_p,
                "christoffersen_p": self.static_christoffersen_p,
            },
            "pass": self.passed,
        }


def margin_backtest(
    prices: pd.DataFrame | pd.Series,
    *,
    coverage: float = 0.99,
    horizon: int = 3600,
    model: FHSModel | None = None,
) -> MarginBacktest:
    """Walk the dynamic FHS margin forward over a price history and test its coverage.

    Parameters
    ----------
    prices
        Price frame with a ``close`` column (any bar length; hourly or finer for liquidation horizons of hours).
    coverage
        Target probability that the move over the horizon stays inside the margin.
    horizon
        Liquidation horizon in seconds; at least one bar of the data.
    model
        Settings of the FHS model.

    Returns
    -------
    MarginBacktest
        Counts, Kupiec / Christoffersen p-values and mean margin of the dynamic margin, the same for the static
        margin, and the per-bar margins (``margins``).
    """
    frame = fhs_tail_moves(prices, coverage=coverage, horizon=horizon, model=model)
    if frame.attrs["horizon"] < frame.attrs["step"]:
        raise SolvencyInputError(
            f"horizon {horizon}s is shorter than the bar length {frame.attrs['step']}s: moves over it are not observed",
            hint="use prices at the horizon's resolution or finer",
        )
    k = frame.attrs["horizon_bars"]
    usable = frame.dropna(subset=["margin_log", "move"])
    usable = usable.iloc[::k]
    if len(usable) < 100:
        raise SolvencyInputError(f"only {len(usable)} test windows after the warm-up; need at least 100")
    move = usable["move"].abs().to_numpy()
    margin_log = usable["margin_log"].to_numpy()
    hits = move > margin_log
    static_log = float(np.mean(margin_log))
    static_hits = move > static_log
    n = hits.size
    ku = kupiec(int(hits.sum()), n, coverage)
    ch = christoffersen(hits, coverage)
    sku = kupiec(int(static_hits.sum()), n, coverage)
    sch = christoffersen(static_hits, coverage)
    return MarginBacktest(
        observations=n,
        exceedances=int(hits.sum()),
        expected=n * (1 - coverage),
        exceedance_rate=float(hits.mean()),
        kupiec_p=ku.p_value,
        christoffersen_p=ch.p_value,
        christoffersen_cc_p=ch.p_value_cc,
        mean_margin=float(usable["margin"].mean()),
        static_margin=float(np.expm1(static_log)),
        static_exceedances=int(static_hits.sum()),
        static_kupiec_p=sku.p_value,
        static_christoffersen_p=sch.p_value,
        coverage=coverage,
        horizon=horizon,
        start=usable.index[0],
        end=usable.index[-1],
        margins=usable,
    )
