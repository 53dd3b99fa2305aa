"""A 30-day implied-volatility index from an option chain by variance-swap replication (CBOE VIX method).

For each expiry (Cboe VIX White Paper, 2019, "Cboe Volatility Index"):

    σ² = (2/T) Σ ΔK_i / K_i² · e^{RT} Q(K_i) − (1/T) (F/K₀ − 1)²

with ``Q`` the price of the out-of-the-money option at strike ``K_i`` (put below ``K₀``, call above, their average
at ``K₀``), ``K₀`` the first strike at or below the forward ``F`` and ``ΔK_i`` half the distance between the
neighbouring strikes. The two expiries that bracket ``target_days`` are interpolated in total variance to exactly
``target_days`` and annualised (365-day year): ``index = 100·√(σ²_30 · 365/30)`` — as Deribit's DVOL does with its
own options. Prices are in quote currency (Deribit quotes in the underlying: multiply by its price).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from solvency.errors import SolvencyInputError

YEAR_DAYS = 365.0


@dataclass(frozen=True)
class VolIndex:
    """Index value (vol points, e.g. 51.2) and the two terms it interpolates."""

    value: float
    near_days: float
    next_days: float
    near_variance: float
    next_variance: float
    strikes_used: int


def expiry_variance(
    strikes: np.ndarray, calls: np.ndarray, puts: np.ndarray, forward: float, t: float, rate: float = 0.0
) -> tuple[float, int]:
    """Model-free variance of one expiry (VIX white paper, equation 2) and the number of strikes used.

    ``strikes`` sorted ascending; ``calls`` / ``puts`` their prices (NaN where absent). Strikes whose OTM price is
    missing or zero are skipped (the white paper also stops after two consecutive zero bids; mark prices have no
    zero bids, so a missing strike is simply left out).
    """
    k = np.asarray(strikes, dtype="float64")
    below = k[k <= forward]
    if below.size == 0:
        raise SolvencyInputError("no strike at or below the forward")
    k0 = below.max()
    q = np.where(k < k0, puts, np.where(k > k0, calls, 0.5 * (np.asarray(calls) + np.asarray(puts))))
    keep = np.isfinite(q) & (q > 0)
    k, q = k[keep], q[keep]
    if k.size < 3:
        raise SolvencyInputError("fewer than three usable strikes in an expiry")
    dk = np.empty_like(k)
    dk[1:-1] = 0.5 * (k[2:] - k[:-2])
    dk[0] = k[1] - k[0]
    dk[-1] = k[-1] - k[-2]
    total = np.sum(dk / k**2 * np.exp(rate * t) * q)
    return float(2.0 / t * total - (forward / k0 - 1.0) ** 2 / t), int(k.size)


def variance_swap_index(chain: pd.DataFrame, *, target_days: float = 30.0) -> VolIndex:
    """The ``target_days`` implied-vol index of a chain snapshot.

    Parameters
    ----------
    chain
        One snapshot: columns ``expiry_years`` (time to expiry), ``strike``, ``kind`` ("call"/"put"), ``price``
        (quote currency) and ``forward`` (per expiry).
    target_days
        Constant maturity of the index (30 for VIX / DVOL).
    """
    terms = []
    for t, group in chain.groupby("expiry_years"):
        pivot = group.pivot_table(index="strike", columns="kind", values="price", aggfunc="mean").sort_index()
        if "call" not in pivot or "put" not in pivot:
            continue
        var, used = expiry_variance(
            pivot.index.to_numpy(),
            pivot["call"].to_numpy(),
            pivot["put"].to_numpy(),
            float(group["forward"].median()),
            float(t),
        )
        terms.append((float(t) * YEAR_DAYS, var, used))
    target = float(target_days)
    near = [x for x in terms if x[0] <= target]
    after = [x for x in terms if x[0] > target]
    if not near or not after:
        raise SolvencyInputError(f"the chain has no expiries on both sides of {target_days} days")
    (d1, v1, u1), (d2, v2, u2) = max(near), min(after)
    t1, t2, tt = d1 / YEAR_DAYS, d2 / YEAR_DAYS, target / YEAR_DAYS
    w = (t2 - tt) / (t2 - t1)
    var = (t1 * v1 * w + t2 * v2 * (1 - w)) / tt
    return VolIndex(100.0 * float(np.sqrt(var)), d1, d2, v1, v2, u1 + u2)
