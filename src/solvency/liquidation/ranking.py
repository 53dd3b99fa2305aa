"""Priority keys of the planner's policies (higher first; ties: larger debt, then position index).

=================  ==========================================================================================
``health_first``   lowest health factor first — dYdX v4's order (most underwater first)
``largest_first``  largest debt first
``risk_weighted``  largest expected bad debt avoided by liquidating now rather than when reached: the
                   simulator's :func:`~solvency.sim.queue_policies.risk_weighted_score`, with the wait of a
                   position passed over = the rest of the queue at the plan's throughput per step
``optimized``      largest bad debt avoided per unit of capacity: the slope of the position's expected-loss
                   chord (see :mod:`solvency.liquidation.plan`) — the order that minimises the plan's expected
                   bad debt
=================  ==========================================================================================

dYdX v4 orders liquidations the same way: ``LiquidateSubaccountsAgainstOrderbook`` sorts them so that "the most
underwater accounts should be liquidated first" — ``SortLiquidationOrders`` by the absolute percentage distance
of the liquidation's fillable price from the oracle price (descending), then by size (descending), then by order
hash (dydxprotocol/v4-chain @ 146bc6575b63, ``protocol/x/clob/keeper/liquidations.go``). On a lending book the
fillable-price distance is the health factor's shortfall, hence ``health_first``; the size tie-break is kept.
"""

from __future__ import annotations

import numpy as np

from solvency._jit import jit
from solvency.errors import SolvencyInputError
from solvency.sim.policy import CTX_CAPACITY, CTX_ELIGIBLE_DEBT, CTX_SIGMA, CTX_SIZE
from solvency.sim.queue_policies import risk_weighted_score

POLICY_NAMES: tuple[str, ...] = ("health_first", "largest_first", "risk_weighted", "optimized")
"""Policies :func:`solvency.liquidation.plan_liquidations` accepts."""


@jit
def _risk_weighted_keys(
    value: np.ndarray,
    debt: np.ndarray,
    lt: np.ndarray,
    lb: np.ndarray,
    sigma_step: np.ndarray,
    throughput: float,
    queue_debt: float,
) -> np.ndarray:
    ctx = np.zeros(CTX_SIZE)
    ctx[CTX_CAPACITY] = throughput
    ctx[CTX_ELIGIBLE_DEBT] = queue_debt
    out = np.empty(debt.size)
    for i in range(debt.size):
        ctx[CTX_SIGMA] = sigma_step[i]
        out[i] = risk_weighted_score(value[i], value[i] * lt[i], debt[i], lb[i], value[i], ctx, ctx)
    return out


def priority_order(
    policy: str,
    *,
    value: np.ndarray,
    debt: np.ndarray,
    lt: np.ndarray,
    lb: np.ndarray,
    sigma_step: np.ndarray,
    throughput: float,
    slope: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``(order, key)``: position indices highest priority first, and the key each was ranked by.

    Parameters
    ----------
    value, debt, lt, lb
        Collateral value at the plan price, debt, LT and LB of the liquidatable positions.
    sigma_step
        Per-step log volatility of each position's collateral.
    throughput
        Repay the plan can do per step (capacity, or less where depth binds).
    slope
        Expected bad debt avoided per unit repaid (the ``optimized`` key).
    """
    if policy == "health_first":
        with np.errstate(divide="ignore", invalid="ignore"):
            key = -(value * lt / debt)
    elif policy == "largest_first":
        key = debt.copy()
    elif policy == "risk_weighted":
        key = _risk_weighted_keys(value, debt, lt, lb, sigma_step, float(throughput), float(debt.sum()))
    elif policy == "optimized":
        key = slope.copy()
    else:
        raise SolvencyInputError(
            f"unknown liquidation policy {policy!r}", hint=f"choose one of: {', '.join(POLICY_NAMES)}"
        )
    order = np.lexsort((np.arange(debt.size), -debt, -key))
    return order.astype(np.int64), key
