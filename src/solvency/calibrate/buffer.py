"""LTV = LT − buffer: the move a borrower who borrowed at the maximum LTV must survive before acting.

A position opened at ``LTV`` has health factor ``LT/LTV``; it becomes liquidatable after the price falls by
``1 − LTV/LT``. The buffer makes that fall the ``coverage`` quantile of the move over ``horizon`` — the time a
borrower needs to notice and add collateral or repay (default one hour, the oracle heartbeat, at 99 %):

    move = q_ν(coverage) · σ · sqrt(horizon / year),       LTV = LT · exp(−move),       buffer = LT − LTV

with ``q_ν`` the Student-t quantile scaled to unit variance, ν the stress paths' tail parameter (so the buffer
and the LT search share one model of the tails), and σ the annualised volatility the LT was calibrated at.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy import stats

from solvency.errors import SolvencyInputError
from solvency.units import SECONDS_PER_YEAR


@dataclass(frozen=True)
class Buffer:
    """The LTV buffer and where it comes from."""

    ltv: float
    buffer: float
    move: float
    quantile: float
    horizon: int
    coverage: float

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def unit_t_quantile(coverage: float, df: float) -> float:
    """Quantile of a Student-t with ``df`` degrees of freedom scaled to unit variance (normal for df = inf)."""
    if math.isinf(df):
        return float(stats.norm.ppf(coverage))
    return float(stats.t.ppf(coverage, df) * math.sqrt((df - 2.0) / df))


def ltv_buffer(lt: float, sigma: float, *, horizon: int, coverage: float, tail_df: float) -> Buffer:
    """LTV for threshold ``lt`` at annualised volatility ``sigma`` (see the module docstring).

    Examples
    --------
    >>> b = ltv_buffer(0.85, 0.8, horizon=3600, coverage=0.99, tail_df=4.0)
    >>> round(b.ltv, 4), round(b.buffer, 4)
    (0.831, 0.019)
    """
    if not 0 < lt < 1 or not sigma >= 0 or horizon <= 0 or not 0.5 < coverage < 1:
        raise SolvencyInputError(
            f"ltv_buffer needs 0 < lt < 1, σ ≥ 0, horizon > 0 and coverage in (0.5, 1), got {lt}, {sigma}"
        )
    q = unit_t_quantile(coverage, tail_df)
    move = q * sigma * math.sqrt(horizon / SECONDS_PER_YEAR)
    ltv = lt * math.exp(-move)
    return Buffer(ltv=ltv, buffer=lt - ltv, move=move, quantile=q, horizon=horizon, coverage=coverage)
