"""Walk-forward backtest of the lending calibrator: dynamic parameters against static ones through real crashes.

**Procedure (no peeking).**

1. The market's LT frontier ``LT*(σ)`` is read once off the calibrator's LT surface on the absolute σ grid and
   depth ladder (:meth:`~solvency.calibrate.setup.CalibrationSetup.ladder`, :mod:`~solvency.calibrate.ladder`),
   at the market's depth. It depends on the market's book shape, depth, mechanics and stress model — none of which
   come from the price history — and on σ, so reading it at σ_t is exactly what re-running the search at date t
   would return (the search is deterministic given σ, and neither grid depends on the data). The bonus needs no
   history either. Gas is valued at the first calibration date's price. This is what makes eight years of weekly
   re-calibration take seconds.
2. Every ``rebalance`` (default 7 days) from the first date with ``warmup`` of history: σ_t from the vol model on
   the prices *up to and including t* only; target parameters from the frontier (LT), the buffer (LTV) and the
   bonus; the parameters in force move toward the target by one steward step (≤ 0.5 pp per parameter, LTV down
   before LT; :mod:`~solvency.calibrate.transition`), so a rebalance interval below the steward's ``min_days`` is
   refused. The dynamic path starts from the static parameters.
3. Policies: ``"envelope"`` (default; the oracle's shipped configuration) never loosens beyond the static
   parameters — target LT = min(frontier, static LT), LTV likewise, LB = max(calibrated, static); ``"free"``
   follows the frontier both ways.
4. Each crash window inside the backtest is replayed with the simulator's engine, once with the dynamic
   parameters in force at the window's start and once with the static ones: the loan book re-levered to each LT
   (every borrower keeps its health factor), depth × ``[liquidity] stress_multiplier`` (as ``solvency stress``
   replays), the window's gas file where there is one. Bad debt is the engine's net insolvent debt at the end.

**Crash windows** (:data:`CRASH_WINDOWS`): Black Thursday (CoinAPI 10-minute bars of 2020-03-12 with that day's
gas, and Coinbase hourly bars of 12–13 March for the second leg to 86), 19 May 2021 (CoinAPI 10-minute bars and
gas), the Terra/LUNA collapse, FTX, the August 2024 carry unwind (Binance hourly bars) and 10 October 2025
(Binance 4-hour bars). A window whose file is missing under the data root falls back to the backtest's own
price file over the same dates, and says so in ``source``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.calibrate.buffer import ltv_buffer
from solvency.calibrate.frontier import BookShape, Frontier, RiskModel
from solvency.calibrate.invariants import Params
from solvency.calibrate.setup import annual_sigma, jump_info, market_book, market_spec, prepare, risk_model
from solvency.calibrate.transition import transition_plan
from solvency.config import MarketSpec
from solvency.data.frequency import infer_step
from solvency.data.loading import load_prices
from solvency.data.resolve import prices_or_sample
from solvency.errors import SolvencyInputError
from solvency.sim.engine import Engine
from solvency.sim.paths import Replay, align_series
from solvency.units import format_duration, parse_duration

POLICIES = ("envelope", "free")
OHLC_MIN_BAR = 3600
"""Bars at least this long are replayed open → extremes → close (a crash low inside a 4-hour bar matters); finer
bars by their closes (splitting a 10-minute bar into three jumps between its extremes manufactures oscillation
that no 10-minute close shows, and the liquidation outcome then hinges on it)."""


@dataclass(frozen=True)
class CrashWindow:
    """A crash to replay: dates (UTC, end exclusive), the preferred file under the data root, its gas file."""

    name: str
    start: str
    end: str
    file: str | None = None
    gas: str | None = None
    gas_column: str = "avgGasDay"


CRASH_WINDOWS: tuple[CrashWindow, ...] = (
    CrashWindow(
        "black-thursday-2020",
        "2020-03-12",
        "2020-03-13",
        "intraday/coinapi_ETHUSD_10m_2020-03-12.csv",
        "intraday/ethereum_gasprice_10m_2020-03-12.csv",
    ),
    CrashWindow(
        "black-thursday-2020-48h", "2020-03-12", "2020-03-14", "intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv"
    ),
    CrashWindow(
        "may-2021",
        "2021-05-19",
        "2021-05-20",
        "intraday/coinapi_ETHUSD_10m_2021-05-19.csv",
        "intraday/ethereum_gasprice_10m_2021-05-19.csv",
    ),
    CrashWindow("luna-2022", "2022-05-05", "2022-05-13", "hourly/binance_ETHUSDT_1h_2021-2025.csv"),
    CrashWindow("ftx-2022", "2022-11-06", "2022-11-11", "hourly/binance_ETHUSDT_1h_2021-2025.csv"),
    CrashWindow("aug-2024", "2024-08-02", "2024-08-07", "hourly/binance_ETHUSDT_1h_2021-2025.csv"),
    CrashWindow("oct-2025", "2025-10-09", "2025-10-12", "intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv"),
)
"""The crash windows replayed (see the module docstring)."""


@dataclass
class WindowResult:
    """One crash window's outcome under dynamic and static parameters."""

    name: str
    start: str
    source: str
    dynamic_bad_debt: float
    static_bad_debt: float
    dynamic: dict[str, float]
    static: dict[str, float]
    drawdown: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dynamic_bad_debt": self.dynamic_bad_debt,
            "static_bad_debt": self.static_bad_debt,
            "start": self.start,
            "source": self.source,
            "drawdown": self.drawdown,
            "dynamic": self.dynamic,
            "static": self.static,
        }


@dataclass
class LendingBacktest:
    """What :func:`backtest_lending` returns; :meth:`to_dict` is the ``solvency backtest lending --json`` object."""

    windows: list[WindowResult]
    dynamic_mean_lt: float
    static_mean_lt: float
    dynamic_mean_ltv: float
    static_mean_ltv: float
    updates: int
    policy: str
    books: int
    rebalance: int
    period: tuple[str, str]
    path: pd.DataFrame = field(repr=False)
    frontier: Frontier = field(repr=False)
    runtime_s: float = 0.0
    jumps: dict[str, Any] | None = None

    @property
    def dominates(self) -> bool:
        """Dynamic takes no more bad debt than static in every window (1e-6 relative tolerance)."""
        return all(w.dynamic_bad_debt <= w.static_bad_debt * (1 + 1e-6) + 1e-6 for w in self.windows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "windows": [w.to_dict() for w in self.windows],
            "dynamic_mean_lt": self.dynamic_mean_lt,
            "static_mean_lt": self.static_mean_lt,
            "updates": self.updates,
            "dynamic_mean_ltv": self.dynamic_mean_ltv,
            "static_mean_ltv": self.static_mean_ltv,
            "policy": self.policy,
            "books": self.books,
            "rebalance": format_duration(self.rebalance),
            "period": list(self.period),
            "dominates": self.dominates,
            "jumps": self.jumps,
            "frontier": self.frontier.to_dict(),
            "runtime_s": self.runtime_s,
        }


def default_data_root(prices: str | Path | None) -> Path | None:
    """``$SOLVENCY_DATA``, else the folder two levels above the price file (``data/daily/x.csv`` → ``data``)."""
    env = os.environ.get("SOLVENCY_DATA")
    if env:
        return Path(env)
    if prices is not None:
        return Path(prices).resolve().parent.parent
    return None


def _window_prices(
    window: CrashWindow, root: Path | None, history: pd.DataFrame
) -> tuple[pd.DataFrame, str, pd.DataFrame | None]:
    start, end = pd.Timestamp(window.start, tz="UTC"), pd.Timestamp(window.end, tz="UTC")
    if window.file is not None and root is not None and (root / window.file).is_file():
        frame = load_prices(root / window.file)
        gas = None
        if window.gas is not None and (root / window.gas).is_file():
            gas = load_prices(root / window.gas, column=window.gas_column)
        source = window.file
    else:
        frame, gas, source = history, None, f"{history.attrs.get('source', 'prices')} (fallback: no {window.file})"
    inside = (frame.index >= start) & (frame.index < end)
    if inside.sum() == 1:  # a one-bar window (a daily file over one day): start from the bar before
        first = int(np.flatnonzero(inside)[0])
        inside[max(first - 1, 0)] = True
    sub = frame.loc[inside]
    if len(sub) < 2:
        raise SolvencyInputError(f"crash window {window.name} has fewer than two bars in {source}")
    out = sub.copy()
    out.attrs.update(frame.attrs)
    return out, source, gas


def replay_bad_debt(
    base: RiskModel, frame: pd.DataFrame, gas: pd.DataFrame | None, params: Params, spec: MarketSpec
) -> float:
    """Bad debt of the book re-levered to ``params`` through one replayed window."""
    bar = infer_step(frame.index)
    intrabar = "ohlc" if bar >= OHLC_MIN_BAR and "high" in frame.columns else "close"
    replay = Replay(frame, assets=[base.shape.asset], intrabar=intrabar)
    shape = replace(base.shape, s0=float(replay.s0[0]))
    model = risk_model(spec, shape, budget=base.budget, step=replay.step, depth=spec.liquidity.stress_multiplier)
    if gas is not None:
        gas_bar = int(np.median(np.diff(gas.index.as_unit("s").asi8)))
        wei = align_series(replay.times, gas["close"], name="gas", tolerance=2 * gas_bar)
        model = replace(model, liquidators=replace(model.liquidators, gas_gwei=wei / 1e9))
    setup = model.setup(params.liquidation_threshold, params.liquidation_bonus)
    out = Engine(setup, replay.step, model.policy).run(replay.simulate(1, replay.max_steps, np.random.default_rng(0)))
    return float(out.bad_debt[0])


def book_models(spec: MarketSpec, base: RiskModel, books: int, s0: float) -> list[RiskModel]:
    """The base model and ``books − 1`` more with synthetic books drawn with the next seeds (same parameters).

    A given book is used as it is (one model).
    """
    if spec.book.file is not None or books <= 1:
        return [base]
    out = [base]
    for k in range(1, books):
        other = spec.model_copy(deep=True)
        other.book.seed = spec.book.seed + k
        shape = BookShape.from_book(market_book(other, None, s0), s0)
        out.append(replace(base, shape=shape))
    return out


def backtest_lending(
    market: MarketSpec | str | Path | None = None,
    *,
    prices: str | Path | pd.DataFrame | None = None,
    rebalance: str | int = "7d",
    policy: str = "envelope",
    data_root: str | Path | None = None,
    windows: tuple[CrashWindow, ...] = CRASH_WINDOWS,
    warmup: str | int = "180d",
    books: int = 16,
    paths: int | None = None,
    seed: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> LendingBacktest:
    """Walk forward over ``prices`` (method in the module docstring).

    Parameters
    ----------
    prices
        Daily (or any bar) history of the market's asset; default the spec's file or sample.
    rebalance
        Interval between re-calibrations, e.g. ``"7d"`` (at least the steward's ``min_days``).
    policy
        ``"envelope"`` or ``"free"``.
    data_root
        Folder holding the crash windows' files (default :func:`default_data_root`).
    warmup
        History required before the first calibration.
    books
        Synthetic books (same parameters, consecutive seeds) each window is replayed on; the bad debt reported is
        their mean (one replay on one book is knife-edge: a 0.5 pp change of LT can flip a liquidation freeze).
        A book file is replayed alone.
    """
    started = time.perf_counter()
    if policy not in POLICIES:
        raise SolvencyInputError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    spec = market_spec(market)
    cal = spec.calibration
    step_s = parse_duration(rebalance)
    if step_s < cal.steward.min_days * 86_400:
        raise SolvencyInputError(
            f"rebalance {format_duration(step_s)} is shorter than the steward's {cal.steward.min_days:g} days",
            hint="use --rebalance 3d or longer",
        )
    if isinstance(prices, pd.DataFrame):
        history = prices
    else:
        path = prices if prices is not None else spec.prices.file
        history = prices_or_sample(path, column=spec.prices.column)
    root = Path(data_root) if data_root is not None else default_data_root(None if prices is None else str(prices))
    horizon = parse_duration(spec.calibration.horizon or spec.risk.horizon)
    first = history.index[0] + pd.Timedelta(seconds=parse_duration(warmup))
    dates = pd.date_range(first.ceil("D"), history.index[-1], freq=f"{step_s}s")
    if len(dates) == 0:
        raise SolvencyInputError(f"the history is shorter than the warm-up {warmup}", hint="give a longer file")
    tick = progress or (lambda stage, done, total: None)
    s_first = float(history["close"].loc[: dates[0]].iloc[-1])
    setup = prepare(spec, budget=None, s0=s_first, paths=paths, seed=seed)
    sigmas = [annual_sigma(history.loc[:date], cal.vol_model, horizon)[0] for date in dates]
    # The staircase's value at a cell depends only on the cells at lower σ and greater depth, so computing it up
    # to the largest σ the walk meets gives the same numbers as the whole grid.
    ladder = setup.ladder(setup.sigmas(up_to=max(sigmas)), progress=lambda d, t: tick("LT surface", d, t))
    frontier = setup.read(ladder)
    lb_cal = frontier.lb
    cur = spec.current
    static = Params(cur.ltv, cur.liquidation_threshold, cur.liquidation_bonus, 1.0, 1.0)
    in_force = static
    ltv_h = parse_duration(cal.ltv_horizon)
    rows = []
    updates = 0
    for k, (date, sigma) in enumerate(zip(dates, sigmas, strict=True)):
        lt = frontier.lt_at(min(sigma, float(frontier.sigmas[-1])))
        ltv = min(
            ltv_buffer(lt, sigma, horizon=ltv_h, coverage=cal.ltv_coverage, tail_df=cal.tail_df).ltv, lt - cal.ltv_gap
        )
        lb = lb_cal
        if policy == "envelope":  # tighten only: LT and LTV never above governance's, the bonus stays
            lt, ltv, lb = min(lt, static.liquidation_threshold), min(ltv, static.ltv), static.liquidation_bonus
            ltv = min(ltv, lt - cal.ltv_gap)
        if lt * (1 + lb) > cal.max_lt_bonus:
            lt = cal.max_lt_bonus / (1 + lb)
            ltv = min(ltv, lt - cal.ltv_gap)
        target = Params(ltv, lt, lb, 1.0, 1.0)
        plan = transition_plan(
            in_force,
            target,
            collateral=np.zeros(0),
            debt=np.zeros(0),
            price=1.0,
            steward=cal.steward,
            ltv_gap=cal.ltv_gap,
            max_lt_bonus=cal.max_lt_bonus,
        )
        if plan:
            first_step = plan[0]
            in_force = Params(first_step.ltv, first_step.liquidation_threshold, first_step.liquidation_bonus, 1.0, 1.0)
            updates += 1
        rows.append(
            {
                "time": date,
                "sigma": sigma,
                "target_lt": lt,
                "ltv": in_force.ltv,
                "liquidation_threshold": in_force.liquidation_threshold,
                "liquidation_bonus": in_force.liquidation_bonus,
            }
        )
        if k % 50 == 0:
            tick("walk forward", k + 1, len(dates))
    path = pd.DataFrame(rows).set_index("time")
    daily = path.reindex(pd.date_range(dates[0], history.index[-1], freq="D"), method="ffill")

    models = book_models(spec, setup.model(), books, s_first)
    results = []
    period = (dates[0], history.index[-1])
    inside = [w for w in windows if period[0] <= pd.Timestamp(w.start, tz="UTC") <= period[1]]
    for i, w in enumerate(inside):
        frame, source, gas = _window_prices(w, root, history)
        at = path.loc[: pd.Timestamp(w.start, tz="UTC")]
        row = at.iloc[-1]
        dyn = Params(float(row["ltv"]), float(row["liquidation_threshold"]), float(row["liquidation_bonus"]), 1.0, 1.0)
        closes = frame["close"].to_numpy()
        lows = frame["low"].to_numpy() if "low" in frame.columns else closes
        results.append(
            WindowResult(
                name=w.name,
                start=w.start,
                source=source,
                dynamic_bad_debt=float(np.mean([replay_bad_debt(b, frame, gas, dyn, spec) for b in models])),
                static_bad_debt=float(np.mean([replay_bad_debt(b, frame, gas, static, spec) for b in models])),
                dynamic={k: v for k, v in dyn.to_dict().items() if k not in ("supply_cap", "borrow_cap")},
                static={k: v for k, v in static.to_dict().items() if k not in ("supply_cap", "borrow_cap")},
                drawdown=float(1.0 - lows.min() / float(frame["open"].iloc[0] if "open" in frame else closes[0])),
            )
        )
        tick("crash replays", i + 1, len(inside))
    return LendingBacktest(
        windows=results,
        dynamic_mean_lt=float(daily["liquidation_threshold"].mean()),
        static_mean_lt=static.liquidation_threshold,
        dynamic_mean_ltv=float(daily["ltv"].mean()),
        static_mean_ltv=static.ltv,
        updates=updates,
        policy=policy,
        books=len(models),
        rebalance=step_s,
        period=(period[0].isoformat(), period[1].isoformat()),
        path=path,
        frontier=frontier,
        runtime_s=time.perf_counter() - started,
        jumps=jump_info(spec),
    )
