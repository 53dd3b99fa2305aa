"""Fast engine kernels (numba; the same code runs interpreted when numba is off — see :mod:`solvency._jit`).

Both kernels implement the step of :mod:`solvency.sim.mechanics` exactly as :mod:`solvency.sim.reference`
does; only the bookkeeping differs.

``run_sorted`` — single-collateral books. Positions of each collateral asset are sorted once by
liquidation price ``debt/(c·LT)``, descending. A position cannot become eligible before every position above
it in that order has (they share the threshold, the highest oracle price of the latency window), so each path
walks a pointer down the sorted array as the oracle falls and only *touches* positions it passes; touched
positions keep their current amounts in scratch arrays, and those still alive after a step wait in a max-heap
keyed by their new liquidation price until the threshold drops below it again. A path therefore costs
O(steps + touched positions × log), not O(steps × positions). At the end, bad debt of untouched positions
(possible when the market falls below the oracle) comes from a second order by insolvency price ``debt/c``.

A parameter schedule (:mod:`solvency.sim.schedule`) gives every position of an asset the same LT at each step,
so a change from the LT the book is sorted by scales every liquidation price by the same factor
``LT_0/LT_t``: the order survives and no step re-sorts. While LT differs from ``LT_0`` the walk and the heap
compare keys in the sorted (``LT_0``) scale against ``threshold·LT_t/LT_0``, lowered by
:data:`ORDER_SLACK` so that rounding cannot stop them short, and each position they reach is decided by the
exact test ``debt/(c·LT_t) > threshold``; the few reached but not eligible wait in the heap.

``run_general`` — any book, including multi-collateral positions: every alive position is examined at every
step (O(steps × positions)), compiled. Used when any position holds several collateral assets.

Each call simulates one worker group's paths — path ``p`` belongs to group ``p mod n_groups``, interleaved so
that uneven paths balance — with its own scratch arrays; :class:`solvency.sim.engine.Engine` runs the groups
on threads (the kernels release the GIL). Per-path results do not depend on the grouping.
"""

from __future__ import annotations

import math

import numpy as np

from solvency._jit import jit
from solvency.market.liquidity import cost, impact
from solvency.sim.mechanics import PRICE_FLOOR
from solvency.sim.policy import (
    CTX_ASSET,
    CTX_CAPACITY,
    CTX_CAPACITY_LEFT,
    CTX_DEPTH,
    CTX_DT,
    CTX_ELIGIBLE_DEBT,
    CTX_GAS,
    CTX_MARKET,
    CTX_N_ELIGIBLE,
    CTX_ORACLE,
    CTX_SIGMA,
    CTX_SIZE,
    CTX_SOLD,
    CTX_STEP,
)

# float configuration slots
F_DECAY = 0
F_HEARTBEAT = 1
F_DEVIATION = 2
F_DELAY = 3  # in steps (fractional)
F_DT = 4
F_CAPACITY = 5
F_NATIVE_PRICE = 6
F_CF_DEFAULT = 7
F_CF_HF = 8
F_CF_VALUE = 9
F_MIN_LEFT = 10
N_FCFG = 11
# integer configuration slots
I_LATENCY = 0
I_GAS_ASSET = 1
I_PER_STEP = 2
I_PROFIT = 3
I_BUILTIN = 4  # 0: call the policy's score; 1: health_first; 2: largest_first (inlined: an indirect call
# per position costs more than the formula; same expressions as solvency.sim.policy)
I_FULL_SIZE = 5  # 1: the policy's size is the whole close-factor amount (skip the call)
N_ICFG = 6

ORDER_SLACK = 1e-9
"""Relative margin of the walk and the heap while a schedule has moved LT (see the module docstring)."""


@jit
def _market_price(p: float, kind: int, params: np.ndarray, depth: float, sold: float) -> float:
    f = 1.0 - impact(kind, params, depth, sold)
    if f < PRICE_FLOOR:
        f = PRICE_FLOOR
    return p * f


@jit
def _delayed(hist: np.ndarray, a: int, tau: float) -> float:
    if tau <= 0.0:
        return hist[0, a]
    k = math.floor(tau)
    f = tau - k
    if f == 0.0:
        return hist[k, a]
    return math.exp((1.0 - f) * math.log(hist[k, a]) + f * math.log(hist[k + 1, a]))


@jit
def _oracle_update(mh: np.ndarray, oh: np.ndarray, last: np.ndarray, t: int, cfg: np.ndarray) -> None:
    tau = t - cfg[F_DELAY]
    for a in range(mh.shape[1]):
        cand = _delayed(mh, a, tau)
        if t == 0:
            oh[0, a] = cand
            last[a] = 0
            continue
        prev = oh[t - 1, a]
        if abs(cand / prev - 1.0) >= cfg[F_DEVIATION] or (t - last[a]) * cfg[F_DT] >= cfg[F_HEARTBEAT]:
            oh[t, a] = cand
            last[a] = t
        else:
            oh[t, a] = prev


@jit
def _close_factor(hf: float, reserve: float, debt: float, cfg: np.ndarray) -> float:
    if hf <= cfg[F_CF_HF] or reserve < cfg[F_CF_VALUE] or debt < cfg[F_CF_VALUE]:
        return 1.0
    return cfg[F_CF_DEFAULT]


@jit
def _amounts(
    c: float,
    d: float,
    o: float,
    bonus: float,
    factor: float,
    want: float,
    max_repay: float,
    capacity: float,
    min_left: float,
) -> tuple[float, float]:
    """(repay, seize) of one liquidation after close factor, capacity, collateral and dust rules."""
    repay = min(max(want, 0.0), max_repay, capacity)
    if not repay > 0.0:
        return 0.0, 0.0
    seize = repay * (1.0 + bonus) / o
    if seize >= c:
        seize = c
        repay = seize * o / (1.0 + bonus)
    if repay < d and seize < c and (d - repay < min_left or (c - seize) * o < min_left):
        if factor >= 1.0:  # Aave v3.3: clear the position rather than leave dust
            repay = d
            seize = repay * (1.0 + bonus) / o
            if seize >= c:
                seize = c
                repay = seize * o / (1.0 + bonus)
            if repay > capacity:
                return 0.0, 0.0
        else:  # leave exactly the minimum behind
            repay = min(repay, d - min_left, (c * o - min_left) / (1.0 + bonus))
            if not repay > 0.0:
                return 0.0, 0.0
            seize = repay * (1.0 + bonus) / o
    return repay, seize


@jit
def _hopeless(debt: float, bonus: float, price: float, oracle: float, gas: float) -> bool:
    """No liquidation of this position can be profitable now: repaying all its debt at the current market
    price ``price`` (before this sale's own slippage) loses money.

    The sale proceeds are at most ``units × M`` (the price impact only grows as more is sold), so
    profit ≤ repay·((1+LB)·M/oracle − 1) − gas ≤ debt·(…) − gas. The margin keeps the test conservative under
    rounding: a skipped position would also fail the exact check.
    """
    bound = debt * ((1.0 + bonus) * price / oracle - 1.0) - gas
    return bound < -1e-9 * (debt + gas + 1.0)


@jit
def _spent(capacity: float, gas: float, market: np.ndarray, oracle: np.ndarray, lbmax: np.ndarray) -> bool:
    """The capacity left cannot fund a profitable liquidation of anything (profit ≤ capacity·((1+LB)·M/O − 1)
    − gas, see :func:`_hopeless`): every remaining attempt of the round would fail, so stop now."""
    best = -1.0
    for a in range(market.size):
        x = (1.0 + lbmax[a]) * market[a] / oracle[a] - 1.0
        if x > best:
            best = x
    return capacity * best - gas < -1e-9 * (capacity + gas + 1.0)


@jit
def _cents(x: float) -> int:
    """``x`` in whole cents (round half up): sums of these are exact whatever the order."""
    return math.floor(x * 100.0 + 0.5)


@jit
def _before(neg: np.ndarray, ids: np.ndarray, x: int, y: int) -> bool:
    """Liquidation order: higher score first, then lower position index (a stable sort of −score by index)."""
    return neg[x] < neg[y] or (neg[x] == neg[y] and ids[x] < ids[y])


@jit
def _sift(h: np.ndarray, n: int, pos: int, neg: np.ndarray, ids: np.ndarray) -> None:
    while True:
        child = 2 * pos + 1
        if child >= n:
            return
        if child + 1 < n and _before(neg, ids, h[child + 1], h[child]):
            child += 1
        if not _before(neg, ids, h[child], h[pos]):
            return
        tmp = h[child]
        h[child] = h[pos]
        h[pos] = tmp
        pos = child


@jit
def _heapify(h: np.ndarray, n: int, neg: np.ndarray, ids: np.ndarray) -> None:
    """Order ``0..n-1`` into a heap by liquidation order: O(n), then each :func:`_pop` is O(log n) — when
    capacity binds only the first few of many eligible positions are ever taken, so no full sort is needed."""
    for k in range(n):
        h[k] = k
    for pos in range(n // 2 - 1, -1, -1):
        _sift(h, n, pos, neg, ids)


@jit
def _pop(h: np.ndarray, n: int, neg: np.ndarray, ids: np.ndarray) -> int:
    top = h[0]
    h[0] = h[n - 1]
    _sift(h, n - 1, 0, neg, ids)
    return top


@jit
def _heap_push(heap: np.ndarray, base: int, n: int, item: int, key: np.ndarray) -> None:
    pos = n
    heap[base + pos] = item
    while pos > 0:
        parent = (pos - 1) // 2
        if key[heap[base + parent]] >= key[heap[base + pos]]:
            break
        tmp = heap[base + parent]
        heap[base + parent] = heap[base + pos]
        heap[base + pos] = tmp
        pos = parent


@jit
def _heap_pop(heap: np.ndarray, base: int, n: int, key: np.ndarray) -> int:
    top = heap[base]
    n -= 1
    heap[base] = heap[base + n]
    pos = 0
    while True:
        left = 2 * pos + 1
        if left >= n:
            break
        child = left
        right = left + 1
        if right < n and key[heap[base + right]] > key[heap[base + left]]:
            child = right
        if key[heap[base + child]] <= key[heap[base + pos]]:
            break
        tmp = heap[base + child]
        heap[base + child] = heap[base + pos]
        heap[base + pos] = tmp
        pos = child
    return top


@jit
def _fill_ctx(
    ctx: np.ndarray, asset: int, sigma: float, depth: float, sold: float, oracle: float, market: float
) -> None:
    ctx[CTX_ASSET] = asset
    ctx[CTX_SIGMA] = sigma
    ctx[CTX_DEPTH] = depth
    ctx[CTX_SOLD] = sold
    ctx[CTX_ORACLE] = oracle
    ctx[CTX_MARKET] = market


@jit
def _open_step(
    p: int,
    t: int,
    prices: np.ndarray,
    kinds: np.ndarray,
    cparams: np.ndarray,
    depths: np.ndarray,
    sold: np.ndarray,
    mh: np.ndarray,
    oh: np.ndarray,
    last: np.ndarray,
    thr: np.ndarray,
    cfg: np.ndarray,
    latency: int,
    sched: np.ndarray,
    lt_path: np.ndarray,
) -> int:
    """Steps 1-3 of the mechanics: impact decays, market price, oracle, and each asset's eligibility threshold
    (the highest oracle price of the latency window; for a scheduled asset each price times ``LT_s/LT_t``, so
    that ``debt/(c·LT_t) > threshold`` means HF < 1 at every step of the window). Returns the window's first
    step."""
    for a in range(mh.shape[1]):
        if t > 0:
            sold[a] *= cfg[F_DECAY]
        mh[t, a] = _market_price(prices[p, t, a], kinds[a], cparams[a], depths[a], sold[a])
    _oracle_update(mh, oh, last, t, cfg)
    lo = t - latency
    if lo < 0:
        lo = 0
    for a in range(mh.shape[1]):
        if sched[a]:
            m = oh[lo, a] * (lt_path[lo, a] / lt_path[t, a])
            for s in range(lo + 1, t + 1):
                v = oh[s, a] * (lt_path[s, a] / lt_path[t, a])
                if v > m:
                    m = v
        else:
            m = oh[lo, a]
            for s in range(lo + 1, t + 1):
                if oh[s, a] > m:
                    m = oh[s, a]
        thr[a] = m
    return lo


@jit
def _step_params(
    t: int,
    sched: np.ndarray,
    lt_path: np.ndarray,
    lb_path: np.ndarray,
    lbmax: np.ndarray,
    ltn: np.ndarray,
    lbn: np.ndarray,
    lbm: np.ndarray,
    scaled: np.ndarray,
    ratio: np.ndarray,
) -> None:
    """Each scheduled asset's LT and LB at step ``t``; every asset's largest LB; whether (and by how much) LT
    has moved from the first step's, which the sorted kernel's order is built on."""
    for a in range(sched.size):
        if sched[a]:
            ltn[a] = lt_path[t, a]
            lbn[a] = lb_path[t, a]
            lbm[a] = lb_path[t, a]
            scaled[a] = lt_path[t, a] != lt_path[0, a]
            ratio[a] = lt_path[t, a] / lt_path[0, a]
        else:
            lbm[a] = lbmax[a]
            scaled[a] = False
            ratio[a] = 1.0


@jit
def _open_round(
    p: int,
    t: int,
    prices: np.ndarray,
    kinds: np.ndarray,
    cparams: np.ndarray,
    depths: np.ndarray,
    sold: np.ndarray,
    cur_m: np.ndarray,
    cost_s: np.ndarray,
) -> None:
    """Current market price and sunk slippage cost of every asset (kept up to date after each sale)."""
    for a in range(sold.size):
        cur_m[a] = _market_price(prices[p, t, a], kinds[a], cparams[a], depths[a], sold[a])
        cost_s[a] = cost(kinds[a], cparams[a], depths[a], sold[a])


@jit
def _step_context(ctx: np.ndarray, t: int, cfg: np.ndarray, gas: float) -> None:
    ctx[CTX_STEP] = t
    ctx[CTX_DT] = cfg[F_DT]
    ctx[CTX_CAPACITY] = cfg[F_CAPACITY]
    ctx[CTX_GAS] = gas


@jit
def _builtin_score(builtin: int, adj_value: float, debt: float) -> float:
    """The built-in policies inlined (an indirect call per position costs more than the formula); the same
    expressions as :func:`solvency.sim.policy.lowest_health_factor` and :func:`~solvency.sim.policy.largest_debt`."""
    if builtin == 1:
        return -adj_value / debt
    return debt


@jit
def _liquidation(
    c: float,
    d: float,
    o: float,
    bonus: float,
    factor: float,
    want: float,
    max_repay: float,
    capacity: float,
    cfg: np.ndarray,
    price: float,
    kind: int,
    params: np.ndarray,
    depth: float,
    sold: float,
    sunk: float,
    gas: float,
    profit_check: bool,
) -> tuple[float, float, float]:
    """(repay, seize, quote sold) of one liquidation, or zeros when none happens: amounts after the close
    factor, capacity, collateral and dust rules, then the sale into the curve and the profit check."""
    repay, seize = _amounts(c, d, o, bonus, factor, want, max_repay, capacity, cfg[F_MIN_LEFT])
    if not repay > 0.0:
        return 0.0, 0.0, 0.0
    size = seize * price
    proceeds = size - (cost(kind, params, depth, sold + size) - sunk)
    if profit_check and not proceeds - repay - gas > 0.0:
        return 0.0, 0.0, 0.0
    return repay, seize, size


@jit
def _record_sale(
    p: int,
    t: int,
    a: int,
    size: float,
    prices: np.ndarray,
    kinds: np.ndarray,
    cparams: np.ndarray,
    depths: np.ndarray,
    sold: np.ndarray,
    cur_m: np.ndarray,
    cost_s: np.ndarray,
) -> None:
    sold[a] += size
    cur_m[a] = _market_price(prices[p, t, a], kinds[a], cparams[a], depths[a], sold[a])
    cost_s[a] = cost(kinds[a], cparams[a], depths[a], sold[a])


@jit(nogil=True)
def run_sorted(
    prices: np.ndarray,
    order: np.ndarray,
    liq_sorted: np.ndarray,
    ins_order: np.ndarray,
    ins_sorted: np.ndarray,
    aoff: np.ndarray,
    pos_asset: np.ndarray,
    c0: np.ndarray,
    d0: np.ndarray,
    lt: np.ndarray,
    lb: np.ndarray,
    lbmax: np.ndarray,
    sched: np.ndarray,
    lt_path: np.ndarray,
    lb_path: np.ndarray,
    kinds: np.ndarray,
    cparams: np.ndarray,
    depths: np.ndarray,
    sigma_step: np.ndarray,
    gas_native: np.ndarray,
    cfg: np.ndarray,
    icfg: np.ndarray,
    score_fn,  # a compiled policy function (cfunc)
    size_fn,
    pparams: np.ndarray,
    group: int,
    n_groups: int,
    bad: np.ndarray,
    insolvent: np.ndarray,
    count: np.ndarray,
    volume: np.ndarray,
    repaid: np.ndarray,
    reached: np.ndarray,
    slippage: np.ndarray,
    shortfall: np.ndarray,
) -> None:
    """Single-collateral engine (see the module docstring); results are written into the output arrays.

    ``lt``/``lb`` are each position's values at the first step (the order ``liq_sorted`` is built on);
    ``sched``, ``lt_path``, ``lb_path`` the schedule (:meth:`solvency.sim.mechanics.SimSetup.schedule_arrays`).
    """
    n_paths, n_points, n_assets = prices.shape
    n = c0.size
    latency = icfg[I_LATENCY]
    gas_asset = icfg[I_GAS_ASSET]
    per_step = icfg[I_PER_STEP]
    profit_check = icfg[I_PROFIT] != 0
    builtin = icfg[I_BUILTIN]
    full_size = icfg[I_FULL_SIZE] != 0
    g = group
    cur_c = np.empty(n)
    cur_d = np.empty(n)
    touched = np.zeros(n, dtype=np.bool_)
    seen = np.zeros(n, dtype=np.bool_)
    hkey = np.empty(n)
    heap = np.empty(n, dtype=np.int64)
    stash = np.empty(n, dtype=np.int64)
    hn = np.zeros(n_assets, dtype=np.int64)
    ptr = np.empty(n_assets, dtype=np.int64)
    active = np.empty(n, dtype=np.int64)
    na = np.zeros(n_assets, dtype=np.int64)
    skip = np.zeros(n_assets, dtype=np.bool_)
    elig = np.empty(n, dtype=np.int64)
    nxt = np.empty(n, dtype=np.int64)
    neg_scores = np.empty(n)
    rank = np.empty(n, dtype=np.int64)
    mh = np.empty((n_points, n_assets))
    oh = np.empty((n_points, n_assets))
    last = np.zeros(n_assets, dtype=np.int64)
    sold = np.zeros(n_assets)
    thr = np.empty(n_assets)
    cur_m = np.empty(n_assets)
    cost_s = np.empty(n_assets)
    ltn = np.zeros(n_assets)
    lbn = np.zeros(n_assets)
    lbm = np.zeros(n_assets)
    scaled = np.zeros(n_assets, dtype=np.bool_)
    ratio = np.ones(n_assets)
    ctx = np.zeros(CTX_SIZE)
    short = shortfall[g]
    for p in range(g, n_paths, n_groups):
        for a in range(n_assets):
            na[a] = 0
            ptr[a] = aoff[a]
            hn[a] = 0
            sold[a] = 0.0
        n_liq = 0
        n_seen = 0
        vol = 0.0
        rep = 0.0
        slip = 0.0
        for t in range(n_points):
            _open_step(p, t, prices, kinds, cparams, depths, sold, mh, oh, last, thr, cfg, latency, sched, lt_path)
            _step_params(t, sched, lt_path, lb_path, lbmax, ltn, lbn, lbm, scaled, ratio)
            gas = gas_native[t] * (mh[t, gas_asset] if gas_asset >= 0 else cfg[F_NATIVE_PRICE])
            total_active = 0
            for a in range(n_assets):
                base = aoff[a]
                # An asset where even its largest bonus cannot cover the gap between market and oracle has
                # no position anyone can profit from this step: its active positions are neither
                # re-examined nor offered to the policy (exactly what the per-position test would decide;
                # the margins make the asset-level test strictly stronger).
                skip[a] = profit_check and gas > 1e-6 and (1.0 + lbm[a]) * mh[t, a] / oh[t, a] - 1.0 <= -1e-6
                if not skip[a]:
                    # still-eligible positions stay active; the others wait in the heap (keyed in the sorted
                    # LT_0 scale); dead ones leave
                    keep = 0
                    for k in range(na[a]):
                        i = active[base + k]
                        if cur_c[i] > 0.0 and cur_d[i] > 0.0:
                            key = cur_d[i] / (cur_c[i] * (ltn[a] if sched[a] else lt[i]))
                            if key > thr[a]:
                                active[base + keep] = i
                                keep += 1
                            else:
                                hkey[i] = cur_d[i] / (cur_c[i] * lt[i]) if scaled[a] else key
                                _heap_push(heap, base, hn[a], i, hkey)
                                hn[a] += 1
                    na[a] = keep
                # newly eligible: the pointer walk down the sorted book, then the heap
                k = ptr[a]
                end = aoff[a + 1]
                if scaled[a]:  # LT moved since the first step: candidates by the scaled bound, then exactly
                    bound = thr[a] * ratio[a] * (1.0 - ORDER_SLACK)
                    while k < end and liq_sorted[k] > bound:
                        i = order[k]
                        cur_c[i] = c0[i]
                        cur_d[i] = d0[i]
                        touched[i] = True
                        if d0[i] / (c0[i] * ltn[a]) > thr[a]:
                            active[base + na[a]] = i
                            na[a] += 1
                            if not seen[i]:
                                seen[i] = True
                                n_seen += 1
                        else:
                            hkey[i] = liq_sorted[k]
                            _heap_push(heap, base, hn[a], i, hkey)
                            hn[a] += 1
                        k += 1
                    ptr[a] = k
                    n_stash = 0
                    while hn[a] > 0 and hkey[heap[base]] > bound:
                        i = _heap_pop(heap, base, hn[a], hkey)
                        hn[a] -= 1
                        if cur_d[i] / (cur_c[i] * ltn[a]) > thr[a]:
                            active[base + na[a]] = i
                            na[a] += 1
                            if not seen[i]:
                                seen[i] = True
                                n_seen += 1
                        else:
                            stash[n_stash] = i
                            n_stash += 1
                    for q in range(n_stash):
                        _heap_push(heap, base, hn[a], stash[q], hkey)
                        hn[a] += 1
                else:  # keys are exact: walk and pop while above the threshold
                    while k < end and liq_sorted[k] > thr[a]:
                        i = order[k]
                        cur_c[i] = c0[i]
                        cur_d[i] = d0[i]
                        touched[i] = True
                        active[base + na[a]] = i
                        na[a] += 1
                        k += 1
                        if not seen[i]:
                            seen[i] = True
                            n_seen += 1
                    ptr[a] = k
                    while hn[a] > 0 and hkey[heap[base]] > thr[a]:
                        i = _heap_pop(heap, base, hn[a], hkey)
                        hn[a] -= 1
                        active[base + na[a]] = i
                        na[a] += 1
                        if not seen[i]:
                            seen[i] = True
                            n_seen += 1
                if not skip[a]:
                    total_active += na[a]
            if total_active == 0:
                continue
            capacity = cfg[F_CAPACITY]
            _step_context(ctx, t, cfg, gas)
            ns = 0
            for a in range(n_assets):
                if not skip[a]:
                    for k in range(na[a]):
                        nxt[ns] = active[aoff[a] + k]
                        ns += 1
            for _round in range(per_step):
                if capacity <= 0.0:
                    break
                _open_round(p, t, prices, kinds, cparams, depths, sold, cur_m, cost_s)
                # positions no liquidator can profit from at the current price are skipped
                ne = 0
                for k in range(ns):
                    i = nxt[k]
                    a = pos_asset[i]
                    bonus = lbn[a] if sched[a] else lb[i]
                    if profit_check and _hopeless(cur_d[i], bonus, cur_m[a], oh[t, a], gas):
                        continue
                    elig[ne] = i
                    ne += 1
                if ne == 0:
                    break
                cents = 0
                for k in range(ne):
                    cents += _cents(cur_d[elig[k]])
                ctx[CTX_CAPACITY_LEFT] = capacity
                ctx[CTX_N_ELIGIBLE] = ne
                ctx[CTX_ELIGIBLE_DEBT] = cents / 100.0
                for k in range(ne):
                    i = elig[k]
                    a = pos_asset[i]
                    lti = ltn[a] if sched[a] else lt[i]
                    cv = cur_c[i] * oh[t, a]
                    _fill_ctx(ctx, a, sigma_step[a], depths[a], sold[a], oh[t, a], cur_m[a])
                    if builtin > 0:
                        neg_scores[k] = -_builtin_score(builtin, cv * lti, cur_d[i])
                    else:
                        bonus = lbn[a] if sched[a] else lb[i]
                        neg_scores[k] = -score_fn(cv, cv * lti, cur_d[i], bonus, cur_c[i] * cur_m[a], ctx, pparams)
                _heapify(rank, ne, neg_scores, elig)
                left = ne
                nn = 0
                while left > 0:
                    if capacity <= 0.0 or (profit_check and _spent(capacity, gas, cur_m, oh[t], lbm)):
                        break
                    i = elig[_pop(rank, left, neg_scores, elig)]
                    left -= 1
                    a = pos_asset[i]
                    cm = cur_m[a]
                    o = oh[t, a]
                    ci = cur_c[i]
                    di = cur_d[i]
                    lti = ltn[a] if sched[a] else lt[i]
                    cv = ci * o
                    adj = cv * lti
                    bonus = lbn[a] if sched[a] else lb[i]
                    factor = _close_factor(adj / di, cv, di, cfg)
                    max_repay = factor * di
                    _fill_ctx(ctx, a, sigma_step[a], depths[a], sold[a], o, cm)
                    want = max_repay if full_size else size_fn(cv, adj, di, bonus, ci * cm, max_repay, ctx, pparams)
                    repay, seize, size = _liquidation(
                        ci, di, o, bonus, factor, want, max_repay, capacity, cfg, prices[p, t, a],
                        kinds[a], cparams[a], depths[a], sold[a], cost_s[a], gas, profit_check,
                    )  # fmt: skip
                    if not repay > 0.0:
                        continue
                    cur_c[i] = 0.0 if seize == ci else ci - seize
                    cur_d[i] = di - repay
                    slip += cost(kinds[a], cparams[a], depths[a], sold[a] + size) - cost_s[a]
                    _record_sale(p, t, a, size, prices, kinds, cparams, depths, sold, cur_m, cost_s)
                    capacity -= repay
                    n_liq += 1
                    vol += seize * o
                    rep += repay
                    if cur_c[i] > 0.0 and cur_d[i] > 0.0 and cur_d[i] / (cur_c[i] * lti) > thr[a]:
                        nxt[nn] = i
                        nn += 1
                ns = nn
        # end of path: bad debt of touched positions, then of untouched ones below water
        total = 0.0
        n_bad = 0
        for a in range(n_assets):
            m_end = mh[n_points - 1, a]
            for k in range(aoff[a], ptr[a]):
                i = order[k]
                s = cur_d[i] - cur_c[i] * m_end
                if s > 0.0:
                    total += s
                    n_bad += 1
                    short[i] += s
            for k in range(aoff[a], aoff[a + 1]):
                if ins_sorted[k] < m_end * (1.0 - 1e-12):
                    break
                i = ins_order[k]
                if touched[i]:
                    continue
                s = d0[i] - c0[i] * m_end
                if s > 0.0:
                    total += s
                    n_bad += 1
                    short[i] += s
            for k in range(aoff[a], ptr[a]):
                touched[order[k]] = False
                seen[order[k]] = False
        bad[p] = total
        insolvent[p] = n_bad
        count[p] = n_liq
        volume[p] = vol
        repaid[p] = rep
        reached[p] = n_seen
        slippage[p] = slip


@jit
def _position_values(
    c: np.ndarray, i: int, prices: np.ndarray, market: np.ndarray, lt: np.ndarray, single: bool, primary: int
) -> tuple[float, float, float, int]:
    """(coll_value, adj_value, market_value, seized asset) of a position in the general kernel."""
    if single:
        a = primary
        cv = c[i, a] * prices[a]
        return cv, cv * lt[i, a], c[i, a] * market[a], a
    cv = 0.0
    adj = 0.0
    mv = 0.0
    a = 0
    best = -1.0
    for k in range(c.shape[1]):
        v = c[i, k] * prices[k]
        cv += v
        adj += v * lt[i, k]
        mv += c[i, k] * market[k]
        if v > best:
            a = k
            best = v
    return cv, adj, mv, a


@jit
def _eligible_general(
    c: np.ndarray,
    d: np.ndarray,
    i: int,
    lt: np.ndarray,
    oh: np.ndarray,
    lo: int,
    t: int,
    thr: np.ndarray,
    single: bool,
    primary: int,
    sched: np.ndarray,
    lt_path: np.ndarray,
) -> bool:
    """HF < 1 at every step of the window (each step's oracle price and LT: ``lt`` holds the current step's,
    a scheduled asset's earlier values come from ``lt_path``)."""
    if not d[i] > 0.0:
        return False
    if single:
        a = primary
        ca = c[i, a]
        return ca > 0.0 and d[i] / (ca * lt[i, a]) > thr[a]
    total = 0.0
    for k in range(c.shape[1]):
        total += c[i, k]
    if not total > 0.0:
        return False
    for s in range(lo, t + 1):
        adj = 0.0
        for k in range(c.shape[1]):
            adj += c[i, k] * (lt_path[s, k] if sched[k] else lt[i, k]) * oh[s, k]
        if not adj < d[i]:
            return False
    return True


@jit(nogil=True)
def run_general(
    prices: np.ndarray,
    single: np.ndarray,
    primary: np.ndarray,
    c0: np.ndarray,
    d0: np.ndarray,
    lt: np.ndarray,
    lb: np.ndarray,
    lbmax: np.ndarray,
    sched: np.ndarray,
    lt_path: np.ndarray,
    lb_path: np.ndarray,
    kinds: np.ndarray,
    cparams: np.ndarray,
    depths: np.ndarray,
    sigma_step: np.ndarray,
    gas_native: np.ndarray,
    cfg: np.ndarray,
    icfg: np.ndarray,
    score_fn,
    size_fn,
    pparams: np.ndarray,
    group: int,
    n_groups: int,
    bad: np.ndarray,
    insolvent: np.ndarray,
    count: np.ndarray,
    volume: np.ndarray,
    repaid: np.ndarray,
    reached: np.ndarray,
    slippage: np.ndarray,
    shortfall: np.ndarray,
) -> None:
    """Any book (multi-collateral positions included): every alive position examined every step.

    A scheduled asset's column of ``lt``/``lb`` is overwritten, in working copies, with the step's value
    whenever it changes (O(positions) per change, within the kernel's O(positions) per step).
    """
    n_paths, n_points, n_assets = prices.shape
    n = d0.size
    latency = icfg[I_LATENCY]
    gas_asset = icfg[I_GAS_ASSET]
    per_step = icfg[I_PER_STEP]
    profit_check = icfg[I_PROFIT] != 0
    builtin = icfg[I_BUILTIN]
    full_size = icfg[I_FULL_SIZE] != 0
    g = group
    c = np.empty((n, n_assets))
    d = np.empty(n)
    ltw = lt.copy()
    lbw = lb.copy()
    lbm = np.zeros(n_assets)
    ltn = np.zeros(n_assets)
    lbn = np.zeros(n_assets)
    scaled = np.zeros(n_assets, dtype=np.bool_)
    ratio = np.ones(n_assets)
    seen = np.zeros(n, dtype=np.bool_)
    src = np.empty(n, dtype=np.int64)
    elig = np.empty(n, dtype=np.int64)
    nxt = np.empty(n, dtype=np.int64)
    neg_scores = np.empty(n)
    rank = np.empty(n, dtype=np.int64)
    mh = np.empty((n_points, n_assets))
    oh = np.empty((n_points, n_assets))
    last = np.zeros(n_assets, dtype=np.int64)
    sold = np.zeros(n_assets)
    thr = np.empty(n_assets)
    cur_m = np.empty(n_assets)
    cost_s = np.empty(n_assets)
    ctx = np.zeros(CTX_SIZE)
    short = shortfall[g]
    for p in range(g, n_paths, n_groups):
        c[:, :] = c0
        d[:] = d0
        seen[:] = False
        for a in range(n_assets):
            sold[a] = 0.0
        n_liq = 0
        vol = 0.0
        rep = 0.0
        slip = 0.0
        for t in range(n_points):
            lo = _open_step(p, t, prices, kinds, cparams, depths, sold, mh, oh, last, thr, cfg, latency, sched, lt_path)
            _step_params(t, sched, lt_path, lb_path, lbmax, ltn, lbn, lbm, scaled, ratio)
            for a in range(n_assets):
                if sched[a] and (t == 0 or lt_path[t, a] != lt_path[t - 1, a] or lb_path[t, a] != lb_path[t - 1, a]):
                    for i in range(n):
                        ltw[i, a] = ltn[a]
                        lbw[i, a] = lbn[a]
            ns = 0
            for i in range(n):
                if _eligible_general(c, d, i, ltw, oh, lo, t, thr, single[i], primary[i], sched, lt_path):
                    src[ns] = i
                    ns += 1
                    seen[i] = True
            if ns == 0:
                continue
            capacity = cfg[F_CAPACITY]
            gas = gas_native[t] * (mh[t, gas_asset] if gas_asset >= 0 else cfg[F_NATIVE_PRICE])
            _step_context(ctx, t, cfg, gas)
            for _round in range(per_step):
                if capacity <= 0.0:
                    break
                _open_round(p, t, prices, kinds, cparams, depths, sold, cur_m, cost_s)
                ne = 0
                for k in range(ns):
                    i = src[k]
                    cv, adj, mv, a = _position_values(c, i, oh[t], cur_m, ltw, single[i], primary[i])
                    if profit_check and _hopeless(d[i], lbw[i, a], cur_m[a], oh[t, a], gas):
                        continue
                    elig[ne] = i
                    ne += 1
                if ne == 0:
                    break
                cents = 0
                for k in range(ne):
                    cents += _cents(d[elig[k]])
                ctx[CTX_CAPACITY_LEFT] = capacity
                ctx[CTX_N_ELIGIBLE] = ne
                ctx[CTX_ELIGIBLE_DEBT] = cents / 100.0
                for k in range(ne):
                    i = elig[k]
                    cv, adj, mv, a = _position_values(c, i, oh[t], cur_m, ltw, single[i], primary[i])
                    _fill_ctx(ctx, a, sigma_step[a], depths[a], sold[a], oh[t, a], cur_m[a])
                    if builtin > 0:
                        neg_scores[k] = -_builtin_score(builtin, adj, d[i])
                    else:
                        neg_scores[k] = -score_fn(cv, adj, d[i], lbw[i, a], mv, ctx, pparams)
                _heapify(rank, ne, neg_scores, elig)
                left = ne
                nn = 0
                while left > 0:
                    if capacity <= 0.0 or (profit_check and _spent(capacity, gas, cur_m, oh[t], lbm)):
                        break
                    i = elig[_pop(rank, left, neg_scores, elig)]
                    left -= 1
                    cv, adj, mv, a = _position_values(c, i, oh[t], cur_m, ltw, single[i], primary[i])
                    o = oh[t, a]
                    ci = c[i, a]
                    di = d[i]
                    bonus = lbw[i, a]
                    factor = _close_factor(adj / di, ci * o, di, cfg)
                    max_repay = factor * di
                    _fill_ctx(ctx, a, sigma_step[a], depths[a], sold[a], o, cur_m[a])
                    want = max_repay if full_size else size_fn(cv, adj, di, bonus, mv, max_repay, ctx, pparams)
                    repay, seize, size = _liquidation(
                        ci, di, o, bonus, factor, want, max_repay, capacity, cfg, prices[p, t, a],
                        kinds[a], cparams[a], depths[a], sold[a], cost_s[a], gas, profit_check,
                    )  # fmt: skip
                    if not repay > 0.0:
                        continue
                    c[i, a] = 0.0 if seize == ci else ci - seize
                    d[i] = di - repay
                    slip += cost(kinds[a], cparams[a], depths[a], sold[a] + size) - cost_s[a]
                    _record_sale(p, t, a, size, prices, kinds, cparams, depths, sold, cur_m, cost_s)
                    capacity -= repay
                    n_liq += 1
                    vol += seize * o
                    rep += repay
                    if _eligible_general(c, d, i, ltw, oh, lo, t, thr, single[i], primary[i], sched, lt_path):
                        nxt[nn] = i
                        nn += 1
                ns = nn
                src[:ns] = nxt[:nn]
        total = 0.0
        n_bad = 0
        n_seen = 0
        for i in range(n):
            if seen[i]:
                n_seen += 1
            value = 0.0
            for a in range(n_assets):
                value += c[i, a] * mh[n_points - 1, a]
            s = d[i] - value
            if s > 0.0:
                total += s
                n_bad += 1
                short[i] += s
        bad[p] = total
        insolvent[p] = n_bad
        count[p] = n_liq
        volume[p] = vol
        repaid[p] = rep
        reached[p] = n_seen
        slippage[p] = slip
