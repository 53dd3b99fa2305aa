"""Exhaustive search over liquidation schedules of tiny books (independent of the planner's greedy).

A schedule gives each step ``k`` an amount ``r_ik ≥ 0`` per position with ``Σ_i r_ik ≤ L_k`` (the step's
capacity and depth, in repay) and ``Σ_k r_ik ≤ U_i`` (the allowance). The planner's objective is linear in the
amounts, so its minimum over this polytope is attained at a vertex; at a vertex of one step's polytope (given the
earlier steps) some positions are served in full, at most one is cut, and the rest get nothing. This search
enumerates every such step — every subset served in full, with or without a cut position taking what capacity
is left, and also steps that leave capacity idle — over every step, remembering the best objective per state.
"""

from __future__ import annotations

import itertools

import numpy as np


def objective(
    phi0: np.ndarray, slope: np.ndarray, chunks: list[tuple[int, int, float]], step: float, horizon: float
) -> float:
    """Expected bad debt of a schedule, integrated state by state over the horizon (chord model).

    Position ``i`` after repaying ``R`` carries ``φ_i(0) − s_i·R`` of expected loss over the horizon, for the
    time it stays in that state (the state after step ``k``'s chunks holds from ``k·dt`` until the next step).
    """
    n = phi0.size
    last = max((k for _, k, _ in chunks), default=0)
    repaid = np.zeros(n)
    total = 0.0
    for k in range(last + 1):
        for i, kk, r in chunks:
            if kk == k:
                repaid[i] += r
        start = k * step
        end = horizon if k == last else min((k + 1) * step, horizon)
        if end > start:
            total += (end - start) / horizon * float(np.sum(phi0 - slope * repaid))
    return total


def best_schedule(
    allowance: np.ndarray, slope: np.ndarray, per_step: float, steps: int, phi0: np.ndarray, step: float, horizon: float
) -> tuple[float, list[tuple[int, int, float]]]:
    """Lowest objective over all vertex schedules of ``steps`` steps (and one schedule attaining it)."""
    n = allowance.size
    tol = 1e-9 * max(1.0, float(allowance.sum()))
    memo: dict[tuple[int, tuple[float, ...]], tuple[float, list[tuple[int, int, float]]]] = {}

    def moves(rem: np.ndarray) -> list[list[tuple[int, float]]]:
        live = [i for i in range(n) if rem[i] > tol]
        out: list[list[tuple[int, float]]] = [[]]
        for size in range(1, len(live) + 1):
            for subset in itertools.combinations(live, size):
                used = float(sum(rem[i] for i in subset))
                if used > per_step + tol:
                    continue
                full = [(i, float(rem[i])) for i in subset]
                out.append(full)  # leaves capacity idle (or uses it exactly)
                left = per_step - used
                if left > tol:
                    for c in live:
                        if c not in subset and rem[c] > left + tol:
                            out.append([*full, (c, left)])
        for c in live:  # a cut alone
            if rem[c] > per_step + tol:
                out.append([(c, per_step)])
        return out

    def search(k: int, rem: np.ndarray) -> tuple[float, list[tuple[int, int, float]]]:
        """Largest weighted gain from step k on (maximising Σ chunks s·r·(1 − k·dt/H))."""
        if k == steps:
            return 0.0, []
        key = (k, tuple(round(float(x) / tol) for x in rem))
        if key in memo:
            return memo[key]
        weight = max(1.0 - k * step / horizon, 0.0)
        best = (-1.0, [])
        for move in moves(rem):
            nxt = rem.copy()
            gain = 0.0
            for i, r in move:
                nxt[i] -= r
                gain += slope[i] * r * weight
            rest, tail = search(k + 1, nxt)
            if gain + rest > best[0]:
                best = (gain + rest, [(i, k, r) for i, r in move] + tail)
        memo[key] = best
        return best

    gain, chunks = search(0, allowance.astype("float64").copy())
    return float(phi0.sum() - gain), chunks
