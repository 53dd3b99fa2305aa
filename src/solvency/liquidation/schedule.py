"""The schedule kernel: fill each step's liquidator capacity and depth budget in a priority order.

Every policy produces a plan the same way; only the order differs. Step by step, positions are taken in
priority order, each for one chunk (one liquidation per position per step):

``repay = min(allowance left, capacity left, (depth budget − sold)/(1 + LB))``

where the depth budget of the position's asset is the amount whose sale moves the price by the bonus
break-even ``LB/(1+LB)`` (so the average slippage of every chunk, sold in turn into the step's depth, stays
within the bonus). A chunk that would stop inside a position's dust zone is cut back to the zone's edge; an
atomic allowance is taken whole or not at all. A position that cannot be served waits for the next step
while capacity goes to the next one in the order (liquidators use their capacity whenever a liquidation is
possible). Impact is assumed to recover between steps (the budget is per step).

The kernel runs in O(steps × unfinished positions scanned) and is compiled with numba.
"""

from __future__ import annotations

import numpy as np

from solvency._jit import jit
from solvency.market.liquidity import cost

_EPS = 1e-9


@jit
def fill_schedule(
    order: np.ndarray,
    asset: np.ndarray,
    total: np.ndarray,
    zone: np.ndarray,
    atomic: np.ndarray,
    lb: np.ndarray,
    budget: np.ndarray,
    capacity: float,
    max_steps: int,
    kinds: np.ndarray,
    cparams: np.ndarray,
    depths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Chunks of a plan: ``(position index, step, repay, slippage)`` in execution order.

    Parameters
    ----------
    order
        Position indices, highest priority first.
    asset
        Seized asset of each position (index into the curves).
    total, zone, atomic
        Allowance of each position (:func:`solvency.liquidation.allowance.allowances`).
    lb
        Liquidation bonus of each position.
    budget
        Depth budget of each position's asset for its bonus: quote value sellable per step (seized value).
    capacity
        Repay the liquidators can fund per step (quote units).
    max_steps
        Steps at most.
    kinds, cparams, depths
        Slippage curves (:func:`solvency.market.liquidity.pack_curves`), for each chunk's slippage.
    """
    n = order.size
    n_assets = kinds.size
    queue = order.copy()
    qn = n
    done = np.zeros(total.size)
    sold = np.zeros(n_assets)
    full = np.zeros(n_assets, dtype=np.bool_)
    cap_chunks = 16 + 2 * n
    pos = np.empty(cap_chunks, dtype=np.int64)
    stp = np.empty(cap_chunks, dtype=np.int64)
    rep = np.empty(cap_chunks)
    slp = np.empty(cap_chunks)
    nc = 0
    # drop positions with nothing to repay
    w = 0
    for j in range(qn):
        i = queue[j]
        if total[i] > _EPS:
            queue[w] = i
            w += 1
    qn = w
    bmax = np.zeros(n_assets)  # an asset is spent once the largest budget of its positions is
    for j in range(qn):
        i = queue[j]
        bmax[asset[i]] = max(bmax[asset[i]], budget[i])
    step = 0
    while qn > 0 and step < max_steps:
        left = capacity
        n_full = 0
        for a in range(n_assets):
            sold[a] = 0.0
            full[a] = not bmax[a] > 0.0
            if full[a]:
                n_full += 1
        took = False
        w = 0
        j = 0
        while j < qn:
            i = queue[j]
            j += 1
            a = asset[i]
            if left <= _EPS * capacity or n_full == n_assets:
                queue[w] = i
                w += 1
                break
            if full[a]:
                queue[w] = i
                w += 1
                continue
            room = (budget[i] - sold[a]) / (1.0 + lb[i])
            rest = total[i] - done[i]
            r = min(rest, left, room)
            if r < rest - _EPS * (1.0 + total[i]):
                if atomic[i]:
                    r = 0.0
                elif done[i] + r > zone[i]:
                    r = max(zone[i] - done[i], 0.0)
            if r > _EPS * (1.0 + total[i]):
                if nc == pos.size:
                    pos = np.concatenate((pos, np.empty(pos.size, dtype=np.int64)))
                    stp = np.concatenate((stp, np.empty(stp.size, dtype=np.int64)))
                    rep = np.concatenate((rep, np.empty(rep.size)))
                    slp = np.concatenate((slp, np.empty(slp.size)))
                q = r * (1.0 + lb[i])
                pos[nc] = i
                stp[nc] = step
                rep[nc] = r
                before = cost(kinds[a], cparams[a], depths[a], sold[a])
                slp[nc] = cost(kinds[a], cparams[a], depths[a], sold[a] + q) - before
                nc += 1
                sold[a] += q
                left -= r
                done[i] += r
                took = True
            if not full[a] and sold[a] >= bmax[a] * (1.0 - _EPS):
                full[a] = True
                n_full += 1
            if total[i] - done[i] > _EPS * (1.0 + total[i]):
                queue[w] = i
                w += 1
        while j < qn:  # the unscanned tail keeps its order
            queue[w] = queue[j]
            w += 1
            j += 1
        qn = w
        if not took:
            break
        step += 1
    return pos[:nc], stp[:nc], rep[:nc], slp[:nc]
