"""Closed-form baselines printed beside the calibrated parameters: Risk DAO's SmartLTV and Morpho Blue's LIF.

**SmartLTV** (Risk DAO / B.Protocol; formula in ``backstop-protocol/smart-ltv`` ``src/core/SmartLTV.sol``,
``LTV = e^(-c·σ/sqrt(ℓ/d)) − β``, described at https://docs.bprotocol.org/risk-oracle/smartltv-formula)::

    LTV = exp(−c · σ · sqrt(d / ℓ)) − β

======  ==========================================  =========================================================
symbol  meaning (the paper's)                       argument of :func:`smart_ltv`
======  ==========================================  =========================================================
σ       volatility of the collateral priced in the  ``sigma``: annualised (365-day) volatility, a fraction —
        debt asset                                  the unit the risk oracle publishes
ℓ       DEX liquidity: the amount of collateral     ``liquidity``: quote units sellable with average slippage
        that can be sold with slippage ≤ β          ≤ ``bonus`` (``LiquidityCurve.size_at_slippage(bonus)``)
d       the debt (supply) cap of the market         ``debt_cap``: quote units, same unit as ``liquidity``
β       the liquidation bonus                       ``bonus``: a fraction (0.05 = 5 %)
c       confidence-level factor (the contract's     ``c``: 1/r for the risk level r (r = 5 → c = 0.2); larger c
        ``minClf``)                                 is more conservative
======  ==========================================  =========================================================

The intuition: liquidating ``d`` through liquidity ``ℓ`` takes ``d/ℓ`` units of time, over which the price moves
``σ·sqrt(d/ℓ)``; the LTV keeps ``c`` times that move plus the bonus in reserve.

**Morpho Blue liquidation incentive factor** (``morpho-org/morpho-blue`` ``src/Morpho.sol`` ``liquidate`` with
``src/libraries/ConstantsLib.sol``: ``LIQUIDATION_CURSOR = 0.3e18``, ``MAX_LIQUIDATION_INCENTIVE_FACTOR = 1.15e18``)::

    LIF = min(1.15, 1 / (1 − 0.3·(1 − LLTV))) = min(1.15, 1 / (0.3·LLTV + 0.7))

so the bonus is ``LIF − 1``.
"""

from __future__ import annotations

import numpy as np

from solvency.errors import SolvencyInputError

MORPHO_LIQUIDATION_CURSOR = 0.3
MORPHO_MAX_LIF = 1.15
SMART_LTV_SOURCE = "backstop-protocol/smart-ltv src/core/SmartLTV.sol; docs.bprotocol.org/risk-oracle/smartltv-formula"
MORPHO_SOURCE = "morpho-org/morpho-blue src/libraries/ConstantsLib.sol, src/Morpho.sol liquidate()"


def smart_ltv(
    sigma: float | np.ndarray,
    liquidity: float | np.ndarray,
    debt_cap: float | np.ndarray,
    bonus: float | np.ndarray,
    c: float | np.ndarray = 0.2,
) -> float | np.ndarray:
    """SmartLTV: ``exp(−c·σ·sqrt(debt_cap/liquidity)) − bonus`` (vectorized; see the module docstring).

    Parameters
    ----------
    sigma
        Annualised volatility of the collateral in the debt asset (fraction).
    liquidity
        Quote amount sellable with average slippage at most ``bonus``.
    debt_cap
        Debt (supply) cap, quote units.
    bonus
        Liquidation bonus β (fraction).
    c
        Confidence-level factor (1/r).

    Returns
    -------
    float or numpy.ndarray
        The LTV (may be ≤ 0 when liquidity is thin: the formula then says "do not lend").

    Examples
    --------
    >>> round(smart_ltv(0.10, 1.0, 1.0, 0.05, 0.2), 3), round(smart_ltv(0.20, 1.0, 1.0, 0.05, 0.2), 3)
    (0.93, 0.911)
    """
    s, liq, d, b, cc = (np.asarray(x, dtype="float64") for x in (sigma, liquidity, debt_cap, bonus, c))
    if np.any(s < 0) or np.any(liq <= 0) or np.any(d <= 0) or np.any(b < 0) or np.any(cc < 0):
        raise SolvencyInputError("smart_ltv needs sigma ≥ 0, liquidity > 0, debt_cap > 0, bonus ≥ 0 and c ≥ 0")
    out = np.exp(-cc * s * np.sqrt(d / liq)) - b
    return float(out) if out.ndim == 0 else out


def morpho_lif(lltv: float | np.ndarray) -> float | np.ndarray:
    """Morpho Blue's liquidation incentive factor for a liquidation LTV: ``min(1.15, 1/(0.3·LLTV + 0.7))``.

    Examples
    --------
    >>> [round(morpho_lif(x), 4) for x in (0.86, 0.77, 0.945)]
    [1.0438, 1.0741, 1.0168]
    """
    x = np.asarray(lltv, dtype="float64")
    if np.any(~np.isfinite(x)) or np.any(x <= 0) or np.any(x > 1):
        raise SolvencyInputError(f"LLTV must be in (0, 1], got {lltv!r}")
    out = np.minimum(MORPHO_MAX_LIF, 1.0 / (1.0 - MORPHO_LIQUIDATION_CURSOR * (1.0 - x)))
    return float(out) if out.ndim == 0 else out
