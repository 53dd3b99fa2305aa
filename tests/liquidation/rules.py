"""An independent checker of Aave v3.3's liquidation rules for one chunk (written from the contract, not the code).

``LiquidationLogic.sol`` (aave-dao/aave-v3-origin, v3.3): a position is liquidatable when its health factor is
below 1; one liquidation may repay 50 % of the debt (``DEFAULT_LIQUIDATION_CLOSE_FACTOR``), or all of it when the
health factor is at or below 0.95 (``CLOSE_FACTOR_HF_THRESHOLD``) or the debt or the collateral is worth less than
$2,000 (``MIN_BASE_MAX_CLOSE_FACTOR_THRESHOLD``); the liquidator receives ``repay·(1+LB)`` of collateral at most
all of it; a liquidation that does not take all the debt or all the collateral must leave at least $1,000
(``MIN_LEFTOVER_BASE``) of each.
"""

from __future__ import annotations

from dataclasses import dataclass

REL = 1e-9


@dataclass
class State:
    """A single-collateral position at a fixed price: collateral value and debt in quote units."""

    value: float
    debt: float
    lt: float
    lb: float

    @property
    def hf(self) -> float:
        return self.value * self.lt / self.debt if self.debt > 0 else float("inf")


def violations(
    state: State,
    repay: float,
    *,
    default: float = 0.5,
    full_below_hf: float = 0.95,
    full_below_value: float = 2000.0,
    min_leftover: float = 1000.0,
) -> list[str]:
    """Rules the chunk ``repay`` breaks on ``state`` (empty list: a valid liquidation)."""
    out = []
    tol = REL * max(1.0, state.debt)
    if not state.hf < 1.0:
        out.append(f"position not liquidatable (HF {state.hf:.6f})")
    full = state.hf <= full_below_hf or state.debt < full_below_value or state.value < full_below_value
    limit = state.debt if full else default * state.debt
    if repay > limit + tol:
        out.append(f"repay {repay:.6f} above the close-factor limit {limit:.6f}")
    seized = repay * (1 + state.lb)
    if seized > state.value * (1 + REL) + tol:
        out.append(f"seizes {seized:.6f}, more than the collateral {state.value:.6f}")
    closes = repay >= state.debt - tol or seized >= state.value * (1 - REL) - tol
    if not closes and min_leftover > 0:
        if state.debt - repay < min_leftover - tol:
            out.append(f"leaves {state.debt - repay:.6f} of debt, under the {min_leftover} minimum")
        if state.value - seized < min_leftover - tol:
            out.append(f"leaves {state.value - seized:.6f} of collateral, under the {min_leftover} minimum")
    return out


def apply(state: State, repay: float) -> State:
    """The state after the chunk (collateral seized at the same price)."""
    seized = min(repay * (1 + state.lb), state.value)
    return State(state.value - seized, state.debt - repay, state.lt, state.lb)
