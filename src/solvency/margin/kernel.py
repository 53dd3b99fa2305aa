"""Scenario P&L of option books: a numba kernel and the numpy reference it must equal.

``scenario_pnl`` returns, per account and scenario, the P&L of revaluing every option with Black-76 at the
shocked forward ``F·(1 + move)`` and shocked vol ``σ·multiplier[state]`` minus its value now. The numba kernel
(parallel over positions, one accumulation buffer per chunk) is used when numba is importable; the numpy path
(chunks of positions × all scenarios through :func:`solvency.pricing.black.black_core`) is the readable reference
and the fallback, as ``arch`` does with its compiled recursions.
"""

from __future__ import annotations

import math

import numpy as np

from solvency.pricing.black import black_core

try:  # pragma: no cover - depends on the environment
    import numba

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


def scenario_pnl_numpy(
    sign: np.ndarray,
    forward: float,
    strike: np.ndarray,
    t: np.ndarray,
    vol: np.ndarray,
    quantity: np.ndarray,
    account: np.ndarray,
    n_accounts: int,
    move: np.ndarray,
    vol_state: np.ndarray,
    vol_mult: np.ndarray,
    discount: np.ndarray,
    chunk: int = 20_000,
) -> np.ndarray:
    """Reference implementation: (n_accounts, n_scenarios) P&L in quote units."""
    out = np.zeros((n_accounts, move.size))
    for lo in range(0, sign.size, chunk):
        sl = slice(lo, lo + chunk)
        s, k, tt, v, q, d = (
            sign[sl, None],
            strike[sl, None],
            t[sl, None],
            vol[sl, None],
            quantity[sl],
            discount[sl, None],
        )
        base = black_core(s, forward, k, tt, v, d)[0]
        shocked = black_core(s, forward * (1.0 + move[None, :]), k, tt, v * vol_mult[sl][:, vol_state], d)[0]
        pnl = (shocked - base) * q[:, None]
        for j in range(move.size):
            out[:, j] += np.bincount(account[sl], weights=pnl[:, j], minlength=n_accounts)
    return out


if HAVE_NUMBA:

    @numba.njit(cache=True, inline="always")
    def _value(sign: float, f: float, k: float, s: float, d: float) -> float:
        if s <= 0.0:
            return d * max(sign * (f - k), 0.0)
        d1 = math.log(f / k) / s + 0.5 * s
        d2 = d1 - s
        r2 = 0.7071067811865476
        if sign > 0:
            return d * (f * 0.5 * math.erfc(-d1 * r2) - k * 0.5 * math.erfc(-d2 * r2))
        return d * (k * 0.5 * math.erfc(d2 * r2) - f * 0.5 * math.erfc(d1 * r2))

    @numba.njit(parallel=True, cache=True)
    def _pnl_kernel(
        sign, forward, strike, sqrt_t, vol, quantity, account, n_accounts, move, vol_state, vol_mult, disc, chunks
    ):
        n = sign.size
        m = move.size
        buf = np.zeros((chunks, n_accounts, m))
        fwd = forward * (1.0 + move)
        for c in numba.prange(chunks):
            lo = c * n // chunks
            hi = (c + 1) * n // chunks
            for i in range(lo, hi):
                s0 = vol[i] * sqrt_t[i]
                base = _value(sign[i], forward, strike[i], s0, disc[i])
                acc = account[i]
                q = quantity[i]
                for j in range(m):
                    sj = s0 * vol_mult[i, vol_state[j]]
                    buf[c, acc, j] += q * (_value(sign[i], fwd[j], strike[i], sj, disc[i]) - base)
        out = np.zeros((n_accounts, m))
        for c in range(chunks):
            out += buf[c]
        return out


def scenario_pnl(
    sign: np.ndarray,
    forward: float,
    strike: np.ndarray,
    t: np.ndarray,
    vol: np.ndarray,
    quantity: np.ndarray,
    account: np.ndarray,
    n_accounts: int,
    move: np.ndarray,
    vol_state: np.ndarray,
    vol_mult: np.ndarray,
    discount: np.ndarray,
    *,
    engine: str = "auto",
) -> np.ndarray:
    """Option P&L per (account, scenario); ``engine`` = ``"auto"`` (numba if available), ``"numba"``, ``"numpy"``."""
    args = (
        np.ascontiguousarray(sign, dtype="float64"),
        float(forward),
        np.ascontiguousarray(strike, dtype="float64"),
        np.ascontiguousarray(t, dtype="float64"),
        np.ascontiguousarray(vol, dtype="float64"),
        np.ascontiguousarray(quantity, dtype="float64"),
        np.ascontiguousarray(account, dtype=np.int64),
        int(n_accounts),
        np.ascontiguousarray(move, dtype="float64"),
        np.ascontiguousarray(vol_state, dtype=np.int64),
        np.ascontiguousarray(vol_mult, dtype="float64"),
        np.ascontiguousarray(discount, dtype="float64"),
    )
    if sign.size == 0:
        return np.zeros((n_accounts, move.size))
    if engine == "numpy" or (engine == "auto" and not HAVE_NUMBA):
        return scenario_pnl_numpy(*args)
    if not HAVE_NUMBA:
        raise RuntimeError("numba is not installed")
    a = list(args)
    a[3] = np.sqrt(a[3])
    # one accumulation buffer per chunk; bounded so that many accounts do not blow up memory
    chunks = max(1, min(sign.size, 4 * numba.get_num_threads(), int(2e8 // max(1, n_accounts * move.size * 8))))
    return _pnl_kernel(*a, chunks)
