"""The oracle's parameter path through the stress simulator: bad debt under the oracle vs static parameters.

A replay of the oracle (:func:`solvency.oracle.replay.replay`) gives, for each market, the parameters in force
after every bar (:meth:`~solvency.oracle.replay.ReplayResult.timeline_frame`). Here that path becomes a
:class:`~solvency.sim.schedule.ParamSchedule` of the simulator's collateral asset, and the same replay of the
same price file runs through the stress engine twice — under the oracle's LT/LB path and under the static
parameters the oracle started from (governance's) — on the same book, liquidity, oracle and liquidators.

**Timing (no look-ahead).** The oracle publishes at a bar's close time ``T`` after seeing that bar's close.
The simulator's point at ``T`` is that same close; liquidations there still run under the parameters in force
before it. A value published at ``T`` applies from the first simulator point strictly after ``T + delay``
(``delay`` = a publication lag, 0 by default): with bar closes that is the next bar, with O-H-L-C sub-steps the
next bar's first extreme. Points before the first publication use the market's ``params`` of the config.

**What is simulated.** LT and LB apply at once to every position holding the asset, as Aave's
``setReserveConfiguration`` would. LTV only gates new borrows, which the simulator does not model, so the
oracle's LTV path is reported but changes no outcome here; neither do the caps.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec, load_market
from solvency.errors import SolvencyInputError
from solvency.oracle.config import OracleConfig
from solvency.oracle.replay import ReplayResult
from solvency.oracle.replay import replay as run_replay
from solvency.sim.paths import Replay
from solvency.sim.results import StressResult
from solvency.sim.schedule import ParamSchedule
from solvency.sim.stress import simulate_lending, with_conditions

SCHEDULED = {"lt": "liquidation_threshold", "lb": "liquidation_bonus"}
"""Simulator schedule field → oracle parameter."""


def point_times(model: Replay, frame: pd.DataFrame) -> pd.DatetimeIndex:
    """The time each simulator point of a replay is observed (UTC).

    A replay with opens starts at the first bar's open (its start time) and then steps through closes at
    their close times, which :attr:`Replay.times` already are. A close-only replay starts at the first close,
    which :attr:`Replay.times` labels with the bar's start: shift it by one bar.
    """
    times = pd.DatetimeIndex(model.times)
    if "open" not in frame.columns:
        times = times + (model.bar_times[1] - model.bar_times[0])
    return times


def oracle_schedule(
    timeline: pd.DataFrame,
    times: pd.DatetimeIndex,
    *,
    asset: str,
    initial: Mapping[str, float],
    delay: int = 0,
) -> ParamSchedule:
    """The oracle's LT/LB path at the simulator's points ``times`` (see the module's timing rule).

    Parameters
    ----------
    timeline
        :meth:`ReplayResult.timeline_frame` of one market: UTC index of publication times, a column per
        parameter (fractions).
    times
        Observation time of every simulator point (:func:`point_times`).
    asset
        The simulator's collateral asset (a name in the book).
    initial
        Parameters in force before the first row of ``timeline`` (the config's ``params``).
    delay
        Publication lag, seconds: a value published at ``T`` applies from the first point after ``T + delay``.
    """
    if delay < 0:
        raise SolvencyInputError(f"delay must be ≥ 0 seconds, got {delay}")
    missing = [p for p in SCHEDULED.values() if p not in timeline.columns or p not in initial]
    if missing:
        raise SolvencyInputError(f"the oracle's timeline has no {missing}", hint="a lending market carries LT and LB")
    published = pd.DatetimeIndex(timeline.index).as_unit("ns").asi8
    at = pd.DatetimeIndex(times).as_unit("ns").asi8 - int(delay) * 1_000_000_000
    if np.any(np.diff(published) < 0):
        raise SolvencyInputError("the oracle's timeline is not in time order")
    row = np.searchsorted(published, at, side="left") - 1  # the last publication strictly before the point
    series = {}
    for field, name in SCHEDULED.items():
        values = np.concatenate([[float(initial[name])], timeline[name].to_numpy(dtype="float64")])
        series[field] = values[row + 1]
    return ParamSchedule(asset, lt=series["lt"], lb=series["lb"])


@dataclass
class OracleStress:
    """Bad debt of one replay under the oracle's parameter path and under static parameters."""

    market: str
    conditions: str
    schedule: ParamSchedule
    static_params: dict[str, float]
    oracle: StressResult
    static: StressResult
    ltv: dict[str, float]
    delay: int

    @property
    def extra_bad_debt(self) -> float:
        """Oracle minus static bad debt (quote units; ≤ 0 when the oracle's path takes no more)."""
        return self.oracle.bad_debt.mean - self.static.bad_debt.mean

    def to_dict(self) -> dict[str, Any]:
        n_points = self.oracle.horizon // self.oracle.step + 1
        path = self.schedule.describe(n_points)
        return {
            "market": self.market,
            "conditions": self.conditions,
            "delay_s": self.delay,
            "static_params": self.static_params,
            "oracle_path": {"lt": path["lt"], "lb": path["lb"], "ltv_not_simulated": self.ltv},
            "oracle": _result(self.oracle),
            "static": _result(self.static),
            "extra_bad_debt": self.extra_bad_debt,
            "no_more_bad_debt": bool(self.extra_bad_debt <= 0.0),
        }


def _result(r: StressResult) -> dict[str, Any]:
    d = r.to_dict()
    return {
        "bad_debt": d["bad_debt"]["mean"],
        "bad_debt_share": d["bad_debt"]["mean"] / r.debt_total if r.debt_total else 0.0,
        "insolvent_positions": d["insolvent_positions_mean"],
        "liquidations": d["liquidations"]["count_mean"],
        "liquidated_volume": d["liquidations"]["volume_mean"],
        "repaid": float(r.output.repaid.mean()),
        # collateral seized beyond the debt repaid, at the oracle price: what borrowers paid liquidators
        "bonus_paid": float((r.output.volume - r.output.repaid).mean()),
        "slippage": float(r.output.slippage.mean()),
        "debt_total": r.debt_total,
        "steps": r.horizon // r.step,
        "step_s": r.step,
    }


def _oracle_market(config: OracleConfig, asset: str, market: str | None) -> str:
    names = [m for m, spec in config.markets.items() if spec.asset == asset]
    if market is not None:
        if market not in names:
            raise SolvencyInputError(
                f"oracle market {market!r} is not a market of {asset}", hint=f"one of {names or list(config.markets)}"
            )
        return market
    if len(names) == 1:
        return names[0]
    raise SolvencyInputError(
        f"the config steers several markets of {asset}: {names}", hint="say which one with --oracle-market"
    )


def stress_replay(
    prices: pd.DataFrame,
    config: OracleConfig,
    *,
    asset: str | None = None,
    result: ReplayResult | None = None,
    oracle_market: str | None = None,
    market: MarketSpec | str | Path | None = None,
    conditions: str = "current",
    gas: str | Path | pd.Series | pd.DataFrame | None = None,
    gas_column: str = "avgGasDay",
    intrabar: str = "close",
    delay: int = 0,
    engine: str | None = None,
) -> OracleStress:
    """Replay ``prices`` through the oracle, then through the stress engine under its path and under static
    parameters.

    Parameters
    ----------
    prices
        The price frame (as from :func:`solvency.data.loading.load_prices`): bar start times, ``close`` (and
        ``open``/``high``/``low`` for ``intrabar="ohlc"``).
    config
        The oracle config.
    asset
        The oracle asset the file prices (default: the config's only one).
    result
        An oracle replay of ``prices`` already run (else it is run here).
    oracle_market
        Which of the config's markets of the asset steers the book (default: the only one).
    market
        Market spec for the simulator (book, liquidity, oracle, liquidators); None = ``MarketSpec()``, the
        simulator's real-replay settings (5,000 synthetic positions, $1 B debt, LT 0.83, LB 0.05).
    conditions
        Operating conditions of :data:`solvency.sim.stress.CONDITIONS` (``current`` or ``congested-2020``).
    gas, gas_column, intrabar, engine
        As :func:`solvency.sim.stress.simulate_lending`.
    delay
        Publication lag of the oracle's updates, seconds (see the module's timing rule).

    Returns
    -------
    OracleStress
        Both results; ``static`` keeps LT/LB at the oracle market's ``params`` (governance's values) for
        every position, ``oracle`` follows the published path.
    """
    spec = market if isinstance(market, MarketSpec) else (MarketSpec() if market is None else load_market(market))
    spec = with_conditions(spec, conditions)  # an unknown name fails before the replay runs
    if result is None:
        result = run_replay(prices, config, asset=asset)
    name = _oracle_market(config, result.asset, oracle_market)
    model = Replay(prices, assets=[spec.asset], intrabar=intrabar)
    times = point_times(model, prices)
    initial = dict(config.markets[name].params)
    timeline = result.timeline_frame(name)
    schedule = oracle_schedule(timeline, times, asset=spec.asset, initial=initial, delay=delay)
    static_params = {p: float(initial[p]) for p in SCHEDULED.values()}
    static = ParamSchedule(spec.asset, lt=static_params["liquidation_threshold"], lb=static_params["liquidation_bonus"])
    common: dict[str, Any] = {"prices": prices, "gas": gas, "gas_column": gas_column, "intrabar": intrabar}
    if engine is not None:
        common["engine"] = engine
    ltv = timeline["ltv"].to_numpy(dtype="float64") if "ltv" in timeline.columns else np.array([np.nan])
    return OracleStress(
        market=name,
        conditions=conditions,
        schedule=schedule,
        static_params=static_params,
        oracle=simulate_lending(spec, schedule=schedule, **common),
        static=simulate_lending(spec, schedule=static, **common),
        ltv={"start": float(initial.get("ltv", np.nan)), "min": float(np.nanmin(ltv)), "end": float(ltv[-1])},
        delay=int(delay),
    )
