"""``simulate_lending``: a market spec, a scenario (or price file, or model) and a loan book in, bad debt out.

This module only assembles the pieces — path model, book, slippage curves, oracle, liquidators — from a
:class:`~solvency.config.MarketSpec` and hands them to :func:`solvency.sim.montecarlo.monte_carlo`. How the
pieces are chosen:

* **Paths.** ``prices=`` (a file or frame) replays history at its own resolution (one path); ``scenario=``
  a named scenario (:mod:`solvency.sim.scenarios`) at the market's start price with the scenario's residual
  volatility; otherwise the spec's ``[sim] model`` (GBM, Merton, GARCH-t FHS or bootstrap) fitted to or
  parameterised from the market's price history.
* **Start price.** ``[sim] start_price``, else the last close of the market's prices (the embedded sample by
  default); a replay starts at its own first price.
* **Liquidity.** A scenario multiplies depth by its own ``liquidity``; a replay by the spec's
  ``stress_multiplier`` (a replayed crash is a stress); model paths use quoted depth unless ``stressed=True``.
* **Oracle.** The spec's oracle plus the scenario's extra delay.
* **Liquidators.** The spec's; ``capacity_per_step`` is per ``[sim] step`` and scaled to the path's step;
  the close factor is ``[current] close_factor`` with Aave v3.3's 100 % cases and dust rule;
  gas = ``gas_price_gwei`` × the scenario's gas multiplier (or the ``gas=`` series of a replay), priced in the
  simulated asset when it is the gas token (WETH for ETH).
* **Book.** ``book=`` (a :class:`LoanBook` or CSV path), else the spec's ``[book] file``, else a synthetic
  book with the spec's parameters at the start prices.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec, as_market_spec
from solvency.data.loading import load_prices
from solvency.data.resolve import prices_or_sample
from solvency.errors import SolvencyInputError
from solvency.market.ewma import decay_for_step, ewma_variance
from solvency.market.liquidity import curve_from_spec
from solvency.market.returns import annualisation, log_returns
from solvency.sim.book import LoanBook, load_book, synthetic_book
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel, SimSetup
from solvency.sim.montecarlo import monte_carlo
from solvency.sim.paths import GBM, BlockBootstrap, GarchFHS, MertonJumpDiffusion, PathModel, Replay, align_series
from solvency.sim.policy import LiquidationPolicy, get_policy
from solvency.sim.results import StressResult
from solvency.sim.scenarios import ALIASES, Scenario, get_scenario
from solvency.sim.schedule import ParamSchedule
from solvency.units import parse_duration

WORST_POSITIONS = 10

CONDITIONS: dict[str, dict[str, Any]] = {
    "current": {
        "description": "prompt liquidators and a Chainlink-style oracle (the market spec as written)",
    },
    "congested-2020": {
        "description": (
            "Black-Thursday-like operations: the oracle one hour behind (MakerDAO's OSM delay), liquidators "
            "30 minutes late with a fifth of their capacity, gas at 200 gwei (the 2020-03-12 90th percentile "
            "ran 200-300 gwei) unless a gas series is given — latency and capacity are assumptions"
        ),
        "oracle_delay": "1h",
        "latency": "30m",
        "capacity_factor": 0.2,
        "gas_price_gwei": 200.0,
    },
}
"""Named operating conditions for :func:`with_conditions` (what-if presets for oracle and liquidators)."""


def with_conditions(market: MarketSpec | str | Path | None, name: str) -> MarketSpec:
    """A copy of the market spec with the oracle and liquidators of a named condition (:data:`CONDITIONS`)."""
    spec = as_market_spec(market).model_copy(deep=True)
    if name not in CONDITIONS:
        raise SolvencyInputError(f"unknown conditions {name!r}", hint=f"choose one of: {', '.join(CONDITIONS)}")
    c = CONDITIONS[name]
    if "oracle_delay" in c:
        spec.oracle.delay = c["oracle_delay"]
    if "latency" in c:
        spec.liquidators.latency = c["latency"]
    if "capacity_factor" in c:
        spec.liquidators.capacity_per_step = spec.liquidators.capacity_per_step * c["capacity_factor"]
    if "gas_price_gwei" in c:
        spec.liquidators.gas_price_gwei = c["gas_price_gwei"]
    return spec


def simulate_lending(
    market: MarketSpec | str | Path | None = None,
    *,
    scenario: str | Scenario | None = None,
    book: LoanBook | str | Path | None = None,
    paths: int | None = None,
    seed: int | None = None,
    horizon: str | int | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    gas: str | Path | pd.Series | pd.DataFrame | None = None,
    gas_column: str = "avgGasDay",
    intrabar: str = "close",
    step: str | int | None = None,
    policy: str | LiquidationPolicy | None = None,
    engine: str | None = None,
    stressed: bool = False,
    oracle: OracleModel | None = None,
    liquidators: LiquidatorModel | None = None,
    schedule: ParamSchedule | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> StressResult:
    """Stress a lending market: simulate its loan book through a scenario, a replay or model paths.

    Parameters
    ----------
    market
        Market spec, or a TOML path, or None for ``MarketSpec()`` (WETH/USDC on the embedded sample).
    scenario
        Named scenario (``solvency.sim.scenarios.scenario_names()``) or a :class:`Scenario`.
    book
        A :class:`LoanBook`, a CSV path, or None (the spec's book).
    paths, seed, horizon
        Monte Carlo paths (default ``[risk] paths``), seed, horizon (``"1d"`` or seconds; default the
        scenario's length, the whole replay, or ``[risk] horizon``).
    prices
        A price file or frame to replay (exclusive with ``scenario``).
    gas, gas_column
        Gas price series for a replay (wei per gas, as Ethereum gas files hold): a file (its ``gas_column``,
        e.g. ``"avgGasDay"`` or ``"90.0 Perc"``) or a series/frame with a ``close`` column.
    intrabar
        Replay ``"close"`` bars or ``"ohlc"`` sub-steps (see :class:`~solvency.sim.paths.Replay`).
    step
        Simulation step for model and scenario paths (default ``[sim] step``).
    policy, engine
        Liquidation policy and engine (default ``[sim] policy`` / ``[sim] engine``).
    stressed
        Apply ``[liquidity] stress_multiplier`` to model paths too.
    oracle, liquidators
        Replace the oracle / liquidator models built from the spec (scenario delay and gas still apply).
    schedule
        Time-varying LT/LB of the market's collateral asset, one value per path point (``horizon/step + 1``;
        :mod:`solvency.sim.schedule`), e.g. a risk oracle's parameter path over a replay
        (:func:`solvency.oracle.stress.oracle_schedule`); None keeps the book's parameters.
    progress
        ``progress(done, total)`` after each chunk of paths.

    Returns
    -------
    StressResult
        ``.to_dict()`` is the ``solvency stress --json`` object; ``.output`` holds the per-path arrays.

    Examples
    --------
    >>> from solvency.sim.stress import simulate_lending
    >>> r = simulate_lending(scenario="oct-2025", paths=64, seed=1, horizon="1d")
    >>> r.paths, r.horizon
    (64, 86400)
    """
    started = time.perf_counter()
    spec = as_market_spec(market)
    if scenario is not None and prices is not None:
        raise SolvencyInputError("give a scenario or a price file to replay, not both")
    if gas is not None and prices is None:
        raise SolvencyInputError("a gas series needs a replay (prices=...) to align with")
    sim = spec.sim
    sim_step = parse_duration(sim.step)
    step_s = parse_duration(step) if step is not None else sim_step
    history = prices_or_sample(spec.prices.file, column=spec.prices.column, freq=spec.prices.freq)
    assets = [spec.asset, *(a.symbol for a in sim.assets)]
    sigma = _volatilities(spec, history)

    scen = get_scenario(scenario) if scenario is not None else None
    if prices is not None:
        if sim.assets:
            raise SolvencyInputError("a replay drives one asset; remove [[sim.assets]] from the market spec")
        frame = prices if isinstance(prices, pd.DataFrame) else load_prices(prices)
        model: PathModel = Replay(frame, assets=[spec.asset], intrabar=intrabar)
        source = frame.attrs.get("source")
        label = f"replay:{Path(str(source)).name}" if source else "replay"
        s0 = model.s0
    else:
        s0 = np.array([sim.start_price or float(history["close"].iloc[-1]), *(a.price for a in sim.assets)])
        if scen is not None:
            model = scen.model(
                assets,
                s0,
                quote=spec.quote,
                step=step_s,
                severity=sim.severity,
                noise=sim.noise,
                correlation=_matrix(sim.stressed_correlation or sim.correlation, len(assets)),
            )
            label = scen.name
        else:
            model = _model(spec, history, assets, s0, sigma, step_s)
            label = sim.model

    if horizon is not None:
        horizon_s = parse_duration(horizon)
    elif scen is not None:
        horizon_s = scen.horizon
    elif model.max_steps is not None:
        horizon_s = model.max_steps * model.step
    else:
        horizon_s = parse_duration(spec.risk.horizon)
    n_steps = max(1, round(horizon_s / model.step))
    if model.max_steps is not None and n_steps > model.max_steps:
        raise SolvencyInputError(
            f"horizon {horizon_s} s is longer than the replay ({model.max_steps * model.step} s)",
            hint="shorten --horizon",
        )

    loan_book = market_book(spec, book, assets, s0)
    if loan_book.assets != tuple(assets):
        raise SolvencyInputError(f"the book's assets {list(loan_book.assets)} differ from the market's {assets}")

    depth = 1.0
    if scen is not None:
        depth = scen.liquidity
    elif prices is not None or stressed:
        depth = spec.liquidity.stress_multiplier
    specs = [spec.liquidity, *(a.liquidity for a in sim.assets)]
    curves = [curve_from_spec(ls).stressed(depth) for ls in specs]

    oracle_model = oracle or OracleModel(
        heartbeat=parse_duration(spec.oracle.heartbeat),
        deviation=spec.oracle.deviation,
        delay=0 if spec.oracle.delay == "0s" else parse_duration(spec.oracle.delay),
    )
    if scen is not None and scen.oracle_delay:
        oracle_model = replace(oracle_model, delay=oracle_model.delay + scen.oracle_delay)

    liq_model = liquidators or _liquidators(spec, assets)
    if scen is not None:
        liq_model = replace(liq_model, gas_gwei=np.asarray(liq_model.gas_gwei) * scen.gas_multiplier)
    if gas is not None:
        assert isinstance(model, Replay)
        liq_model = replace(liq_model, gas_gwei=_gas_series(gas, gas_column, model)[: n_steps + 1])
    setup = SimSetup(
        loan_book,
        curves,
        oracle=oracle_model,
        liquidators=liq_model,
        close_factor=CloseFactorRule(default=spec.current.close_factor),
        impact_half_life=None if spec.liquidity.recovery is None else parse_duration(spec.liquidity.recovery),
        sigma=_context_vol(sigma, scen, model),
        schedule=schedule,
    )
    if liquidators is None:
        setup = setup.rescaled(model.step, sim_step)
    chosen = get_policy(policy or sim.policy)
    output = monte_carlo(
        setup,
        model,
        n_paths=paths or spec.risk.paths,
        n_steps=n_steps,
        seed=seed,
        policy=chosen,
        engine=engine or sim.engine,
        progress=progress,
    )
    runtime = time.perf_counter() - started
    return StressResult(
        scenario=label,
        paths=output.n_paths,
        horizon=n_steps * model.step,
        step=model.step,
        debt_total=loan_book.debt_total,
        output=output,
        worst=_worst(loan_book, output),
        runtime_s=runtime,
        details={
            "market": spec.name,
            "engine": engine or sim.engine,
            "policy": chosen.name,
            "model": model.describe(),
            "start_prices": [float(x) for x in s0],
            "depth_multiplier": depth,
            "oracle": {
                "heartbeat": oracle_model.heartbeat,
                "deviation": oracle_model.deviation,
                "delay": oracle_model.delay,
            },
            "liquidators": {
                "latency": setup.liquidators.latency,
                "capacity_per_step": setup.liquidators.capacity,
                "gas_gwei_mean": float(np.mean(setup.liquidators.gas_gwei)),
            },
            "book": {"positions": len(loan_book), "single_collateral": loan_book.is_single_collateral},
        }
        | ({} if schedule is None else {"schedule": schedule.describe(n_steps + 1)}),
    )


# ------------------------------------------------------------------------------------------------ helpers


def _matrix(values: list[list[float]] | None, n: int) -> np.ndarray | None:
    if values is None or n == 1:
        return None
    m = np.asarray(values, dtype="float64")
    if m.shape != (n, n):
        raise SolvencyInputError(f"[sim] correlation must be {n}×{n} (asset, then each of [[sim.assets]])")
    return m


def ewma_volatility(prices: pd.DataFrame) -> float:
    """Annualised RiskMetrics EWMA volatility after the last bar (λ = 0.94 per day, time-aware)."""
    r = log_returns(prices).to_numpy()
    step, per_year = annualisation(prices)
    lam = decay_for_step(step)
    var = ewma_variance(r, lam)
    next_var = lam * var[-1] + (1.0 - lam) * r[-1] ** 2
    return float(math.sqrt(next_var * per_year))


def _context_vol(sigma: np.ndarray, scen: Scenario | None, model: PathModel) -> np.ndarray:
    """The volatility a policy sees in its context: the scenario's, the replay's own, or the model's."""
    if scen is not None:
        return np.full(len(sigma), scen.vol)
    if isinstance(model, Replay):
        frame = model.frame.rename(columns={model.assets[0]: "close"})
        return np.array([ewma_volatility(frame)]) if len(frame) > 2 else sigma
    return sigma


def _volatilities(spec: MarketSpec, history: pd.DataFrame) -> np.ndarray:
    main = spec.sim.vol or ewma_volatility(history)
    return np.array([main, *((a.vol or main) for a in spec.sim.assets)])


def _model(
    spec: MarketSpec, history: pd.DataFrame, assets: list[str], s0: np.ndarray, sigma: np.ndarray, step: int
) -> PathModel:
    sim = spec.sim
    corr = _matrix(sim.correlation, len(assets))
    if sim.model in ("garch", "bootstrap"):
        if len(assets) > 1:
            raise SolvencyInputError(
                f"model {sim.model!r} is fitted to the market's price history, which covers one asset",
                hint="use model = 'gbm' or 'merton' with [[sim.assets]]",
            )
        if sim.model == "garch":
            return GarchFHS.fit(history, assets=assets, s0=s0, step=step, gjr=sim.gjr)
        return BlockBootstrap.from_prices(history, assets=assets, s0=s0, step=step, block=sim.block)
    if sim.model == "merton":
        return MertonJumpDiffusion(
            assets,
            s0,
            sigma=sigma,
            mu=sim.drift,
            jump_rate=sim.jump_rate,
            jump_mean=sim.jump_mean,
            jump_std=sim.jump_std,
            step=step,
            correlation=corr,
        )
    return GBM(assets, s0, sigma=sigma, mu=sim.drift, step=step, correlation=corr, copula=sim.copula, df=sim.copula_df)


def market_book(spec: MarketSpec, book: LoanBook | str | Path | None, assets: list[str], s0: np.ndarray) -> LoanBook:
    """The market's loan book: ``book`` (object or CSV path), else the spec's ``[book] file``, else its synthetic
    book at start prices ``s0`` (LT/LB from ``[current]`` and ``[[sim.assets]]``)."""
    lt = [spec.current.liquidation_threshold, *(a.liquidation_threshold for a in spec.sim.assets)]
    lb = [spec.current.liquidation_bonus, *(a.liquidation_bonus for a in spec.sim.assets)]
    if isinstance(book, LoanBook):
        return book
    path = book if book is not None else spec.book.file
    if path is not None:
        return load_book(path, assets=assets, lt=lt, lb=lb, debt_asset=spec.quote)
    b = spec.book
    return synthetic_book(
        assets=assets,
        prices=s0,
        lt=lt,
        lb=lb,
        positions=b.positions,
        debt_total=b.debt_total,
        whale_share=b.whale_share,
        hf_median=b.hf_median,
        hf_dispersion=b.hf_dispersion,
        hf_min=b.hf_min,
        size_dispersion=b.size_dispersion,
        multi_collateral_share=b.multi_collateral_share,
        debt_asset=spec.quote,
        seed=b.seed,
    )


def _liquidators(spec: MarketSpec, assets: list[str]) -> LiquidatorModel:
    ls = spec.liquidators
    token = ls.gas_token.upper()
    gas_asset = next((k for k, a in enumerate(assets) if ALIASES.get(a.upper(), a.upper()) == token), -1)
    return LiquidatorModel(
        latency=parse_duration(ls.latency),
        capacity=ls.capacity_per_step,
        gas_units=ls.gas_units,
        gas_gwei=ls.gas_price_gwei,
        native_price=ls.native_price,
        gas_asset=gas_asset,
        per_step=ls.per_step,
        profit_check=ls.profit_check,
    )


def _gas_series(gas: Any, column: str, model: Replay) -> np.ndarray:
    """Gas price in gwei at every point of the replay (as of each time), from wei per gas."""
    if isinstance(gas, pd.Series):
        series = gas
    elif isinstance(gas, pd.DataFrame):
        series = gas["close"]
    else:
        series = load_prices(gas, column=column)["close"]
        series.attrs["source"] = str(gas)
    index = pd.DatetimeIndex(series.index)
    tolerance = 2 * (int(np.median(np.diff(index.as_unit("s").asi8))) if len(index) > 1 else model.step)
    wei = align_series(model.times, series, name="gas", tolerance=tolerance)
    if np.any(~np.isfinite(wei)) or np.any(wei < 0):
        raise SolvencyInputError("gas prices must be finite and non-negative", path=series.attrs.get("source"))
    return wei / 1e9


def _worst(book: LoanBook, output: Any) -> pd.DataFrame:
    mean = output.shortfall / max(output.n_paths, 1)
    top = np.argsort(-mean, kind="stable")[:WORST_POSITIONS]
    top = top[mean[top] > 0]
    total = mean.sum()
    return pd.DataFrame(
        {
            "id": book.ids[top],
            "asset": [book.assets[a] for a in book.primary_asset[top]],
            "debt": book.debt[top],
            "bad_debt_mean": mean[top],
            "share_of_bad_debt": mean[top] / total if total > 0 else np.zeros(top.size),
        }
    )
