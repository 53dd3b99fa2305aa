"""Liquidation queue: which liquidatable positions to liquidate first, and in what sizes (DESIGN §4.6).

:func:`plan_liquidations` plans the liquidation of a book at a price under per-step liquidator capacity and
depth (:mod:`solvency.liquidation.plan` states the model and proves ``optimized`` optimal);
:func:`compare_policies` runs every policy through the same Monte Carlo scenarios in the simulator.
"""

from solvency.liquidation.compare import PolicyComparison, Replay, compare_policies
from solvency.liquidation.plan import LiquidationPlan, plan_liquidations
from solvency.liquidation.ranking import POLICY_NAMES

__all__ = ["POLICY_NAMES", "LiquidationPlan", "PolicyComparison", "Replay", "compare_policies", "plan_liquidations"]
