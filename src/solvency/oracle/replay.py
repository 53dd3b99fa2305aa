"""Replay: the oracle's controller offline over a price file, on a simulated clock.

Each bar's close is delivered at the bar's *close* time (index + bar length) as one tick from every configured
source of the asset — the file is the consensus, so the feed guards see sources that agree and a jump is
confirmed by the second source, as it would be live. Rows with a NaN or non-positive close are refused by the
guards and counted, like live ticks. The clock is the bar time, so heartbeats, minimum delays and expiries run
in market time. The same :class:`~solvency.oracle.engine.OracleEngine` as the service runs, with an in-memory
ledger signed by a throwaway key.

The result carries the updates (the ledger rows), the refused ticks by reason, the guardrail clamps, and a
**timeline**: per market, at every bar, the parameters in force with the state behind them — a time series a
simulator can consume as a parameter path (:meth:`ReplayResult.timeline_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.data.frequency import infer_step
from solvency.errors import SolvencyInputError
from solvency.oracle.config import REGIMES, OracleConfig
from solvency.oracle.engine import OracleEngine
from solvency.oracle.ledger import Ledger, iso


@dataclass
class ReplayResult:
    """Updates, refusals, clamps and the parameter timeline of a replay."""

    asset: str
    markets: list[str]
    step: int
    updates: list[dict[str, Any]]
    rejected_ticks: dict[str, int]
    guardrail_clamps: int
    clamps_by_rule: dict[str, int]
    held: dict[str, int]
    timeline: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def timeline_frame(self, market: str) -> pd.DataFrame:
        """The market's timeline as a frame indexed by UTC time: parameters, price, σ, regime."""
        data = dict(self.timeline[market])
        index = pd.DatetimeIndex(pd.to_datetime(data.pop("time"), utc=True), name="time")
        return pd.DataFrame(data, index=index)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per market: each parameter's start, end, min, max and number of updates; the highest regime."""
        out: dict[str, dict[str, Any]] = {}
        for market, series in self.timeline.items():
            params = {}
            for name, values in series.items():
                if name in ("time", "price", "sigma", "sigma_short", "sigma_long", "drawdown", "regime"):
                    continue
                n = sum(1 for u in self.updates if u["market"] == market and u["parameter"] == name)
                params[name] = {
                    "start": values[0],
                    "end": values[-1],
                    "min": min(values),
                    "max": max(values),
                    "updates": n,
                }
            levels = [REGIMES.index(r) for r in series["regime"] if r is not None]
            out[market] = {
                "params": params,
                "max_regime": REGIMES[max(levels)] if levels else None,
                "max_sigma": max((s for s in series["sigma"] if s is not None), default=None),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "markets": self.markets,
            "step_s": self.step,
            "updates": self.updates,
            "rejected_ticks": self.rejected_ticks,
            "guardrail_clamps": self.guardrail_clamps,
            "guardrail_clamps_by_rule": self.clamps_by_rule,
            "held": self.held,
            "summary": self.summary(),
            "timeline": self.timeline,
        }


def _pick_asset(config: OracleConfig, asset: str | None) -> str:
    if asset is not None:
        if asset not in config.assets:
            raise SolvencyInputError(f"asset {asset!r} is not in the config", hint=f"one of {sorted(config.assets)}")
        return asset
    if len(config.assets) == 1:
        return next(iter(config.assets))
    raise SolvencyInputError(
        f"the config has several assets {sorted(config.assets)}", hint="say which one the file prices with --asset"
    )


def _epochs(index: pd.DatetimeIndex) -> np.ndarray:
    return pd.DatetimeIndex(index).as_unit("ns").asi8 / 1e9


def replay(
    prices: pd.DataFrame,
    config: OracleConfig,
    *,
    asset: str | None = None,
    implied_vol: pd.Series | None = None,
) -> ReplayResult:
    """Run the oracle over a price frame (as from :func:`solvency.data.loading.load_prices`).

    Parameters
    ----------
    prices
        Frame with a UTC ``DatetimeIndex`` of bar *start* times and a ``close`` column.
    config
        The oracle config (its ledger, key and tokens are not used).
    asset
        Which configured asset the file prices (default: the only one).
    implied_vol
        Optional implied volatility (annualised fraction) indexed by UTC time; each value is delivered at its
        time, before the bar that closes at or after it.

    Raises
    ------
    SolvencyInputError
        Unknown asset, or fewer than two bars.
    """
    asset = _pick_asset(config, asset)
    if len(prices) < 2:
        raise SolvencyInputError("a replay needs at least two bars", path=prices.attrs.get("source"))
    step = infer_step(prices.index)
    times = _epochs(prices.index) + step
    closes = prices["close"].to_numpy(dtype="float64")
    engine = OracleEngine(config, Ledger(":memory:", Ed25519PrivateKey.generate()))
    sources = config.assets[asset].sources
    markets = engine.by_asset[asset]
    if implied_vol is not None and len(implied_vol):
        iv_t = _epochs(implied_vol.index)
        iv_v = implied_vol.to_numpy(dtype="float64")
    else:
        iv_t, iv_v = np.empty(0), np.empty(0)
    j = 0
    timeline: dict[str, dict[str, list[Any]]] = {
        m: {"time": [], "price": [], "sigma": [], "sigma_short": [], "sigma_long": [], "drawdown": [], "regime": []}
        for m in markets
    }
    for name in markets:
        for p in engine.controller.markets[name].params:
            timeline[name][p] = []
    state = engine.states[asset]
    for t, close in zip(times.tolist(), closes.tolist(), strict=True):
        implied = []
        while j < len(iv_t) and iv_t[j] <= t:
            implied.append((asset, float(iv_t[j]), float(iv_v[j])))
            j += 1
        engine.ingest([(asset, s, t, close) for s in sources], implied, now=t)
        snap = state.snapshot(t)
        for name in markets:
            row = timeline[name]
            row["time"].append(iso(t))
            row["price"].append(None if snap is None else snap.price)
            for key in ("sigma", "sigma_short", "sigma_long", "drawdown", "regime"):
                row[key].append(None if snap is None else getattr(snap, key))
            for p, v in engine.controller.markets[name].params.items():
                row[p].append(v)
    updates = [
        {
            "seq": r.seq,
            "time": r.time,
            "market": r.market,
            "parameter": r.parameter,
            "old": r.old,
            "new": r.new,
            "reason": r.reason,
        }
        for r in engine.ledger.since(0, limit=10**9)
    ]
    return ReplayResult(
        asset=asset,
        markets=markets,
        step=step,
        updates=updates,
        rejected_ticks=engine.refused_ticks(),
        guardrail_clamps=sum(engine.clamps.values()),
        clamps_by_rule=dict(engine.clamps),
        held=dict(engine.held_reasons),
        timeline=timeline,
    )
