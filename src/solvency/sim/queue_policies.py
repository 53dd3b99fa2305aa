"""Risk-based liquidation policies for the simulator: ``risk_weighted`` and ``optimized``.

Both rank the positions offered in a round by the bad debt that liquidating them *now* avoids, with the
insolvency model of :mod:`solvency.sim.insolvency` (GBM at the volatility of the path model, ``ctx[CTX_SIGMA]``):

* **Time to be reached.** A position passed over now waits behind the rest of the queue: with ``D`` the debt of
  the positions offered in the round and ``C`` the liquidators' capacity per step, about ``τ = max(1, (D − d)/C)``
  steps. Over that wait its collateral price moves with total volatility ``s = σ_step·√τ``.
* **Loss avoided.** Liquidated later, the position is expected to leave ``EL(s)`` of bad debt (the collateral
  valued at the *market* price, which the oracle will follow); liquidated now at the oracle price it leaves
  ``max(0, d − c·oracle/(1+LB))`` — zero unless it is already insolvent, in which case liquidating crystallises
  that loss and waiting only adds time value. ``EL(s) = P(turning insolvent before being reached) × exposure``.

Both size each chunk to the depth that absorbs it (the planner's per-step depth budget, in the simulator's
terms): the close-factor amount, capped where the marginal price impact of selling the seized collateral reaches
the bonus — the size a profit-maximising liquidator would sell (marginal proceeds ``1 − g(S+Q)`` equal the
marginal repay ``oracle/(P·(1+LB))``) — so a whale is liquidated in slices over several steps instead of in one
sale whose slippage the bonus cannot pay (which liquidators refuse) or whose impact drags the price down
(cascades). ``health_first`` and ``largest_first`` keep the close-factor amount, as liquidators take today.

``risk_weighted`` ranks by the whole position's expected loss avoided (``P × exposure``).

``optimized`` is the simulator's per-step greedy approximation of the planner's optimal schedule
(:mod:`solvency.liquidation.plan`): each round it takes positions in decreasing **loss avoided per unit of
capacity** of the chunk it would liquidate — the fractional-knapsack order, optimal for one step when a chunk's
gain is linear in its size. It looks one queue ahead, not over the whole crash, so here it is a heuristic; the
planner's schedule is the exact one.

The depth sizing needs the market's slippage curves and close-factor rule: :func:`bind_market` builds the
policies' parameters from a :class:`~solvency.sim.mechanics.SimSetup` (the engine calls it through
``LiquidationPolicy.for_setup``). Parameter layout (float64)::

    [cf_default, cf_full_below_hf, cf_full_below_value, n_assets, width,
     kind_0, p_0[0..width), kind_1, p_1[0..width), ...]

``n_assets = 0`` (a policy not bound to a setup) sizes chunks by the close factor only.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from solvency._jit import jit
from solvency.market.liquidity import impact, pack_curves, size_at_impact
from solvency.sim.insolvency import expected_loss
from solvency.sim.mechanics import PRICE_FLOOR, CloseFactorRule, SimSetup
from solvency.sim.policy import (
    CTX_ASSET,
    CTX_CAPACITY,
    CTX_DEPTH,
    CTX_ELIGIBLE_DEBT,
    CTX_MARKET,
    CTX_ORACLE,
    CTX_SIGMA,
    CTX_SOLD,
    LiquidationPolicy,
    register_policy,
)

P_CF_DEFAULT = 0
P_CF_HF = 1
P_CF_VALUE = 2
P_N_ASSETS = 3
P_WIDTH = 4
P_CURVES = 5


@jit
def wait_volatility(debt: float, ctx: np.ndarray) -> float:
    """Total log volatility over the wait of a position passed over now: ``σ_step·√max(1, (D − d)/C)``."""
    capacity = ctx[CTX_CAPACITY]
    steps = 1.0
    if capacity > 0.0:
        steps = max(1.0, (ctx[CTX_ELIGIBLE_DEBT] - debt) / capacity)
    return ctx[CTX_SIGMA] * math.sqrt(steps)


@jit
def risk_weighted_score(
    coll_value: float,
    adj_value: float,
    debt: float,
    bonus: float,
    market_value: float,
    ctx: np.ndarray,
    params: np.ndarray,
) -> float:
    """``risk_weighted``: expected bad debt avoided by liquidating the position now rather than when reached."""
    later = expected_loss(market_value, debt, bonus, wait_volatility(debt, ctx))
    now = max(debt - coll_value / (1.0 + bonus), 0.0)
    return later - now


@jit
def depth_chunk(bonus: float, ctx: np.ndarray, params: np.ndarray) -> float:
    """Repay of the chunk whose sale pushes the marginal price impact to the bonus (inf without curves).

    With ``S`` already sold and not recovered, ``P = market/(1 − g(S))`` the undisturbed price and the oracle
    ``O``, selling ``Q`` more is worth it while ``g(S+Q) < 1 − O/(P·(1+LB))``; the chunk repays
    ``Q·O/(P·(1+LB))``, with ``S + Q`` from the curve's inverse impact.
    """
    n_assets = int(params[P_N_ASSETS])
    if n_assets <= 0:
        return math.inf
    width = int(params[P_WIDTH])
    a = int(ctx[CTX_ASSET])
    if a < 0 or a >= n_assets:
        return math.inf
    base = P_CURVES + a * (width + 1)
    kind = int(params[base])
    curve = params[base + 1 : base + 1 + width]
    depth = ctx[CTX_DEPTH]
    sold = ctx[CTX_SOLD]
    oracle = ctx[CTX_ORACLE]
    g_now = impact(kind, curve, depth, sold)
    price = ctx[CTX_MARKET] / max(1.0 - g_now, PRICE_FLOOR)
    target = 1.0 - oracle / (price * (1.0 + bonus))
    if not target > g_now:
        return 0.0
    # just below the size where the impact reaches the target (the start of that level of a depth table)
    q = size_at_impact(kind, curve, depth, target) - sold
    if not q > 0.0:
        return 0.0
    return q * oracle / (price * (1.0 + bonus))


@jit
def sized_chunk(
    coll_value: float, adj_value: float, debt: float, bonus: float, ctx: np.ndarray, params: np.ndarray
) -> float:
    """The repay both policies ask for: close-factor amount, capped by the collateral and the depth chunk."""
    hf = adj_value / debt
    factor = params[P_CF_DEFAULT]
    if hf <= params[P_CF_HF] or coll_value < params[P_CF_VALUE] or debt < params[P_CF_VALUE]:
        factor = 1.0
    repay = min(factor * debt, coll_value / (1.0 + bonus))
    return min(repay, depth_chunk(bonus, ctx, params))


@jit
def optimized_score(
    coll_value: float,
    adj_value: float,
    debt: float,
    bonus: float,
    market_value: float,
    ctx: np.ndarray,
    params: np.ndarray,
) -> float:
    """``optimized``: bad debt avoided by the chunk liquidated now, per unit of repay (capacity) it uses."""
    repay = sized_chunk(coll_value, adj_value, debt, bonus, ctx, params)
    if not repay > 0.0:
        return -math.inf
    s = wait_volatility(debt, ctx)
    before = expected_loss(market_value, debt, bonus, s)
    share = repay * (1.0 + bonus) / coll_value  # of the collateral units, seized at the oracle price
    if share >= 1.0:
        after = debt - coll_value / (1.0 + bonus)  # everything seized: the rest of the debt is lost for sure
    else:
        after = expected_loss(market_value * (1.0 - share), debt - repay, bonus, s)
    return (before - after) / repay


@jit
def depth_sized(
    coll_value: float,
    adj_value: float,
    debt: float,
    bonus: float,
    market_value: float,
    max_repay: float,
    ctx: np.ndarray,
    params: np.ndarray,
) -> float:
    """Depth-sized chunk of both policies (the engine still caps it by the close factor and capacity)."""
    return min(max_repay, sized_chunk(coll_value, adj_value, debt, bonus, ctx, params))


def market_params(setup: SimSetup | None = None) -> tuple[float, ...]:
    """The policies' parameters for a setup (close-factor rule, slippage curves; see above)."""
    if setup is None:
        cf = CloseFactorRule()
        return (cf.default, cf.full_below_hf, cf.full_below_value, 0.0, 0.0)
    cf = setup.close_factor
    kinds, cparams, _ = pack_curves(setup.curves)
    width = cparams.shape[1]
    blocks = np.concatenate([kinds[:, None].astype("float64"), cparams], axis=1).ravel()
    head = (cf.default, cf.full_below_hf, cf.full_below_value, float(len(setup.curves)), float(width))
    return head + tuple(float(x) for x in blocks)


def bind_market(policy: LiquidationPolicy, setup: SimSetup) -> LiquidationPolicy:
    """The policy with the setup's close-factor rule and curves (compiled functions shared)."""
    return replace(policy, params=market_params(setup), _cache=policy._cache)


RISK_WEIGHTED = register_policy(
    LiquidationPolicy(
        "risk_weighted",
        risk_weighted_score,
        depth_sized,
        params=market_params(),
        description="largest expected bad debt avoided first (P(insolvent before reached) × exposure), depth-sized",
        for_setup=bind_market,
    )
)
OPTIMIZED = register_policy(
    LiquidationPolicy(
        "optimized",
        optimized_score,
        depth_sized,
        params=market_params(),
        description="most bad debt avoided per unit of capacity first, chunks sized to the depth (per-step greedy)",
        for_setup=bind_market,
    )
)
