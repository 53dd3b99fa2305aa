"""The reference engine: the step of :mod:`solvency.sim.mechanics`, written as plainly as possible.

Every position is examined at every step of every path (vectorised over positions with numpy, liquidations
one by one in Python). It is slow — O(paths × steps × positions) — and exists to be obviously right: the
fast kernels in :mod:`solvency.sim.kernels` are tested against it. It shares no code with them except the
slippage-curve functions (tested on their own against closed forms) and the policy's functions.
"""

from __future__ import annotations

import math

import numpy as np

from solvency.sim.mechanics import PRICE_FLOOR, SimSetup
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
    LiquidationPolicy,
)
from solvency.sim.results import EngineOutput


def run_reference(setup: SimSetup, prices: np.ndarray, step: int, policy: LiquidationPolicy) -> EngineOutput:
    """Simulate every path of ``prices`` ``(n_paths, n_steps + 1, n_assets)`` with steps of ``step`` seconds."""
    book = setup.book
    n_paths, n_points, n_assets = prices.shape
    n = len(book)
    rows = np.arange(n)
    single = book.n_collateral <= 1
    primary = book.primary_asset
    lt_steps, lb_steps = _params_per_step(setup, n_points)
    score_fn, size_fn = policy.interpreted()
    params = policy.param_array()
    liq = setup.liquidators
    cf = setup.close_factor
    gas_native = liq.gas_native(n_points)
    decay = setup.decay(step)
    latency = setup.latency_steps(step)
    delay_steps = setup.oracle.delay / step
    sigma_step = setup.sigma * math.sqrt(step / (365 * 86_400))

    out = EngineOutput.empty(n_paths, n)
    for p in range(n_paths):
        c = book.collateral.copy()
        d = book.debt.copy()
        sold = np.zeros(n_assets)
        market = np.empty((n_points, n_assets))
        oracle = np.empty((n_points, n_assets))
        last_update = np.zeros(n_assets, dtype=np.int64)
        reached = np.zeros(n, dtype=bool)
        for t in range(n_points):
            if t > 0:
                sold *= decay
            for a in range(n_assets):
                market[t, a] = prices[p, t, a] * max(1.0 - setup.curves[a].impact(sold[a]), PRICE_FLOOR)
            for a in range(n_assets):
                candidate = _delayed(market[: t + 1, a], t - delay_steps)
                if t == 0:
                    oracle[t, a] = candidate
                    continue
                previous = oracle[t - 1, a]
                moved = abs(candidate / previous - 1.0) >= setup.oracle.deviation
                stale = (t - last_update[a]) * step >= setup.oracle.heartbeat
                if moved or stale:
                    oracle[t, a] = candidate
                    last_update[a] = t
                else:
                    oracle[t, a] = previous
            lo = max(0, t - latency)
            window = oracle[lo : t + 1]
            window_lt = lt_steps[lo : t + 1]
            lt, lb = lt_steps[t], lb_steps[t]

            elig = np.flatnonzero(_eligible(c, d, rows, window, window_lt, single, primary))
            reached[elig] = True
            capacity = liq.capacity
            gas = gas_native[t] * (market[t, liq.gas_asset] if liq.gas_asset >= 0 else liq.native_price)
            ctx = np.zeros(CTX_SIZE)
            ctx[CTX_STEP], ctx[CTX_DT], ctx[CTX_CAPACITY], ctx[CTX_GAS] = t, step, liq.capacity, gas
            for _round in range(liq.per_step):
                if capacity <= 0:
                    break
                current = prices[p, t] * np.maximum(1.0 - _impacts(setup, sold), PRICE_FLOOR)
                viable = []
                for i in elig:
                    a = _values(c[i], d[i], oracle[t], current, lt[i], lb[i], single[i], primary[i])[5]
                    # best case: repay the whole debt and sell at the current market price with no further
                    # slippage; if even that loses money after gas, no liquidator acts (rounding margin kept)
                    best = d[i] * ((1.0 + lb[i, a]) * current[a] / oracle[t, a] - 1.0) - gas
                    if liq.profit_check and best < -1e-9 * (d[i] + gas + 1.0):
                        continue
                    viable.append(i)
                elig = np.array(sorted(viable), dtype=np.int64)
                if elig.size == 0:
                    break
                ctx[CTX_CAPACITY_LEFT] = capacity
                ctx[CTX_N_ELIGIBLE] = elig.size
                # summed in whole cents so that the total does not depend on the order of addition
                ctx[CTX_ELIGIBLE_DEBT] = sum(math.floor(d[i] * 100.0 + 0.5) for i in elig) / 100.0
                scores = np.empty(elig.size)
                for k, i in enumerate(elig):
                    v = _values(c[i], d[i], oracle[t], current, lt[i], lb[i], single[i], primary[i])
                    _fill(ctx, v[5], sigma_step, setup, sold, oracle[t], current)
                    scores[k] = score_fn(v[0], v[1], d[i], v[3], v[2], ctx, params)
                order = elig[np.argsort(-scores, kind="stable")]
                again = []
                for i in order:
                    if capacity <= 0:
                        break
                    current = prices[p, t] * np.maximum(1.0 - _impacts(setup, sold), PRICE_FLOOR)
                    coll_value, adj, market_value, bonus, hf, a = _values(
                        c[i], d[i], oracle[t], current, lt[i], lb[i], single[i], primary[i]
                    )
                    o = oracle[t, a]
                    reserve = c[i, a] * o
                    factor = (
                        1.0
                        if (hf <= cf.full_below_hf or reserve < cf.full_below_value or d[i] < cf.full_below_value)
                        else cf.default
                    )
                    max_repay = factor * d[i]
                    _fill(ctx, a, sigma_step, setup, sold, oracle[t], current)
                    want = size_fn(coll_value, adj, d[i], bonus, market_value, max_repay, ctx, params)
                    repay = min(max(want, 0.0), max_repay, capacity)
                    if not repay > 0:
                        continue
                    seize = repay * (1.0 + bonus) / o
                    if seize >= c[i, a]:
                        seize = c[i, a]
                        repay = seize * o / (1.0 + bonus)
                    dust = d[i] - repay < cf.min_leftover or (c[i, a] - seize) * o < cf.min_leftover
                    if repay < d[i] and seize < c[i, a] and dust:
                        if factor >= 1.0:  # Aave: clear the position instead of leaving dust
                            repay = d[i]
                            seize = repay * (1.0 + bonus) / o
                            if seize >= c[i, a]:
                                seize = c[i, a]
                                repay = seize * o / (1.0 + bonus)
                            if repay > capacity:
                                continue
                        else:  # leave exactly the minimum behind
                            repay = min(repay, d[i] - cf.min_leftover, (reserve - cf.min_leftover) / (1.0 + bonus))
                            if not repay > 0:
                                continue
                            seize = repay * (1.0 + bonus) / o
                    size = seize * prices[p, t, a]
                    curve = setup.curves[a]
                    proceeds = size - (curve.cost(sold[a] + size) - curve.cost(sold[a]))
                    if liq.profit_check and not proceeds - repay - gas > 0:
                        continue
                    c[i, a] = 0.0 if seize == c[i, a] else c[i, a] - seize
                    d[i] = d[i] - repay
                    sold[a] += size
                    capacity -= repay
                    out.liquidations[p] += 1
                    out.volume[p] += seize * o
                    out.repaid[p] += repay
                    out.slippage[p] += size - proceeds
                    if _eligible(c, d, np.array([i]), window, window_lt, single, primary)[0]:
                        again.append(i)
                elig = np.array(again, dtype=np.int64)
        shortfall = np.maximum(d - c @ market[-1], 0.0)
        out.bad_debt[p] = shortfall.sum()
        out.insolvent[p] = int(np.count_nonzero(shortfall > 0))
        out.reached[p] = int(reached.sum())
        out.shortfall += shortfall
    return out


def _params_per_step(setup: SimSetup, n_points: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Every position's LT and LB ``(N, A)`` at each step: the book's, with a scheduled asset's column replaced
    by the schedule's value of that step."""
    book = setup.book
    if setup.schedule is None:
        return [book.lt] * n_points, [book.lb] * n_points
    scheduled, lt_path, lb_path = setup.schedule_arrays(n_points)
    lt_steps, lb_steps = [], []
    for t in range(n_points):
        lt, lb = book.lt.copy(), book.lb.copy()
        lt[:, scheduled] = lt_path[t, scheduled]
        lb[:, scheduled] = lb_path[t, scheduled]
        lt_steps.append(lt)
        lb_steps.append(lb)
    return lt_steps, lb_steps


def _eligible(
    c: np.ndarray,
    d: np.ndarray,
    idx: np.ndarray,
    window: np.ndarray,
    window_lt: list[np.ndarray],
    single: np.ndarray,
    primary: np.ndarray,
) -> np.ndarray:
    """Positions ``idx`` with HF < 1 at every step of the window — each step's oracle price and LT, current
    amounts — and debt and collateral left. ``window_lt[-1]`` is the current step's LT."""
    cc, dd = c[idx], d[idx]
    a = primary[idx]
    rows = np.arange(idx.size)
    ca = cc[rows, a]
    lt = window_lt[-1]
    lta = lt[idx, a]
    with np.errstate(divide="ignore", invalid="ignore"):
        liq_price = dd / (ca * lta)
    # single collateral: debt/c > oracle_s·LT_s at every step s, i.e. debt/(c·LT_t) > max_s oracle_s·LT_s/LT_t
    # (the ratio is exactly 1 when LT does not change)
    ratio = np.stack([w[idx, a] / lta for w in window_lt])  # (window, k)
    thr = (window[:, a] * ratio).max(axis=0)
    e_single = single[idx] & (ca > 0) & (dd > 0) & (liq_price > thr)
    # multi-collateral: Σ_k c_k·LT_{s,k}·oracle_{s,k} < debt at every step s
    adj = np.stack([(cc * w[idx] * window[s]).sum(axis=1) for s, w in enumerate(window_lt)], axis=1)
    e_multi = ~single[idx] & (dd > 0) & (cc.sum(axis=1) > 0) & np.all(adj < dd[:, None], axis=1)
    return e_single | e_multi


def _delayed(history: np.ndarray, tau: float) -> float:
    """The price at fractional step ``tau`` (log-linear between steps; the first price before the start)."""
    if tau <= 0:
        return float(history[0])
    k = math.floor(tau)
    f = tau - k
    if f == 0.0:
        return float(history[k])
    return math.exp((1.0 - f) * math.log(history[k]) + f * math.log(history[k + 1]))


def _impacts(setup: SimSetup, sold: np.ndarray) -> np.ndarray:
    return np.array([setup.curves[a].impact(sold[a]) for a in range(sold.size)])


def _values(
    c: np.ndarray,
    d: float,
    oracle: np.ndarray,
    market: np.ndarray,
    lt: np.ndarray,
    lb: np.ndarray,
    single: bool,
    primary: int,
) -> tuple[float, float, float, float, float, int]:
    """``(coll_value, adj_value, market_value, bonus, hf, seized asset)`` of one position."""
    if single:
        a = int(primary)
        coll_value = c[a] * oracle[a]
        adj = coll_value * lt[a]
        market_value = c[a] * market[a]
    else:
        coll_value = adj = market_value = 0.0
        a, best = 0, -1.0
        for k in range(c.size):
            v = c[k] * oracle[k]
            coll_value += v
            adj += v * lt[k]
            market_value += c[k] * market[k]
            if v > best:
                a, best = k, v
    return coll_value, adj, market_value, lb[a], adj / d, a


def _fill(
    ctx: np.ndarray,
    a: int,
    sigma_step: np.ndarray,
    setup: SimSetup,
    sold: np.ndarray,
    oracle: np.ndarray,
    market: np.ndarray,
) -> None:
    ctx[CTX_ASSET] = a
    ctx[CTX_SIGMA] = sigma_step[a]
    ctx[CTX_DEPTH] = setup.curves[a].depth
    ctx[CTX_SOLD] = sold[a]
    ctx[CTX_ORACLE] = oracle[a]
    ctx[CTX_MARKET] = market[a]
