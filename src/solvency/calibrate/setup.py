"""What every lending calibration shares: the market's book, stress conditions, depth, stress paths and LT grid.

:func:`prepare` builds a :class:`CalibrationSetup` once; :func:`~solvency.calibrate.lending.calibrate_lending`, the
oracle's target table (:mod:`~solvency.calibrate.table`) and the walk-forward backtest
(:mod:`~solvency.calibrate.backtest_lending`) read the frontier, the bonus and the caps off it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.calibrate.bonus import BonusResult, PowerLawDepth, gas_cost_quote, liquidation_bonus
from solvency.calibrate.frontier import BookShape, Frontier, RiskModel, lt_frontier, lt_grid, sigma_nodes
from solvency.calibrate.stress import StressCondition, stress_conditions
from solvency.calibrate.stress_paths import StressPaths
from solvency.config import MarketSpec, load_market
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import curve_from_spec
from solvency.market.volatility import volatility
from solvency.sim.book import LoanBook
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel
from solvency.sim.scenarios import ALIASES
from solvency.sim.stress import market_book as sim_market_book
from solvency.units import SECONDS_PER_YEAR, format_duration, parse_duration


def market_spec(market: MarketSpec | str | Path | None) -> MarketSpec:
    if market is None:
        return MarketSpec()
    if isinstance(market, MarketSpec):
        return market
    return load_market(market)


def market_book(spec: MarketSpec, book: LoanBook | str | Path | None, s0: float) -> LoanBook:
    """The single-collateral loan book of the market at price ``s0`` (see :func:`solvency.sim.stress.market_book`)."""
    single = spec.model_copy(update={"sim": spec.sim.model_copy(update={"assets": []})})
    return sim_market_book(single, book, [spec.asset], np.array([s0]))


def gas_token_price(spec: MarketSpec, s0: float) -> float:
    """Price of the gas token in quote units: the simulated asset's when it is (or wraps) the gas token."""
    token = spec.liquidators.gas_token.upper()
    asset = ALIASES.get(spec.asset.upper(), spec.asset.upper())
    return s0 if asset == token else spec.liquidators.native_price


def oracle_model(spec: MarketSpec) -> OracleModel:
    """The spec's push oracle (heartbeat, deviation, delay)."""
    o = spec.oracle
    return OracleModel(
        heartbeat=parse_duration(o.heartbeat),
        deviation=o.deviation,
        delay=0 if o.delay == "0s" else parse_duration(o.delay),
    )


def impact_half_life(spec: MarketSpec) -> int | None:
    """Seconds for liquidation sales' price impact to halve (None: permanent)."""
    return None if spec.liquidity.recovery is None else parse_duration(spec.liquidity.recovery)


def risk_model(spec: MarketSpec, shape: BookShape, *, budget: float, step: int, depth: float) -> RiskModel:
    """The engine's view of the market for the LT search (depth multiplier applied to the spec's curve)."""
    ls = spec.liquidators
    token = ls.gas_token.upper()
    is_gas = ALIASES.get(spec.asset.upper(), spec.asset.upper()) == token
    sim_step = parse_duration(spec.sim.step)
    return RiskModel(
        shape=shape,
        curve=curve_from_spec(spec.liquidity).stressed(depth),
        oracle=oracle_model(spec),
        liquidators=LiquidatorModel(
            latency=parse_duration(ls.latency),
            capacity=ls.capacity_per_step * step / sim_step,
            gas_units=ls.gas_units,
            gas_gwei=ls.gas_price_gwei,
            native_price=ls.native_price,
            gas_asset=0 if is_gas else -1,
            per_step=ls.per_step,
            profit_check=ls.profit_check,
        ),
        close_factor=CloseFactorRule(default=spec.current.close_factor),
        impact_half_life=impact_half_life(spec),
        step=step,
        budget=budget,
        policy=spec.sim.policy,
    )


def annual_sigma(history: pd.DataFrame, model: str, horizon: int) -> tuple[float, dict[str, Any]]:
    """σ over ``horizon`` from the vol model, annualised (``σ_h / sqrt(h / year)``), with how it was measured."""
    v = volatility(history, model=model, horizon=horizon)
    sigma = v.sigma_horizon / math.sqrt(horizon / SECONDS_PER_YEAR)
    info = {
        "model": model,
        "horizon": format_duration(horizon),
        "sigma_horizon": v.sigma_horizon,
        "regime": v.regime,
        "as_of": v.as_of.isoformat(),
        "source": str(history.attrs.get("source", "frame")),
    }
    return float(sigma), info


@dataclass
class CalibrationSetup:
    """The fixed inputs of a calibration (see the module docstring).

    Attributes
    ----------
    spec, budget
        Market and ES99 budget (fraction of debt).
    book, shape, s0
        The loan book in force, its reduction to debts and health factors, the start price.
    horizon, step
        Stress horizon and path step (seconds).
    conditions, depth, gas
        Stress conditions, the power law fitted to the depth curve, one liquidation's gas (quote, normal price).
    paths
        Common-random-number stress paths.
    grid
        The LT grid.
    """

    spec: MarketSpec
    budget: float
    book: LoanBook
    shape: BookShape
    s0: float
    horizon: int
    step: int
    conditions: list[StressCondition]
    depth: PowerLawDepth
    gas: float
    paths: StressPaths
    grid: np.ndarray

    @property
    def stress(self) -> float:
        """Depth multiplier of the LT search (``[liquidity] stress_multiplier``)."""
        return self.spec.liquidity.stress_multiplier

    def bonus(self, depth_multiplier: float = 1.0) -> BonusResult:
        """The bonus the stress conditions need at ``depth_multiplier`` × the market's depth."""
        cal, cur = self.spec.calibration, self.spec.current
        return liquidation_bonus(
            self.shape,
            self.depth,
            self.conditions,
            close_factor=cur.close_factor,
            current_lb=cur.liquidation_bonus,
            current_lt=cur.liquidation_threshold,
            gas_cost=self.gas,
            oracle_deviation=self.spec.oracle.deviation,
            typical_quantile=cal.typical_quantile,
            concurrent=cal.lb_concurrent,
            depth_multiplier=depth_multiplier,
            lb_max=cal.lb_max,
        )

    def lb(self, depth_multiplier: float = 1.0) -> float:
        """The bonus used in simulations: ``[calibration] liquidation_bonus`` when given, else the needed one
        capped at ``lb_max``."""
        cal = self.spec.calibration
        if cal.liquidation_bonus is not None:
            return cal.liquidation_bonus
        return min(self.bonus(depth_multiplier).needed, cal.lb_max)

    def model(self, depth_multiplier: float = 1.0) -> RiskModel:
        """The engine's view of the market with depth × ``stress_multiplier × depth_multiplier``."""
        return risk_model(
            self.spec, self.shape, budget=self.budget, step=self.step, depth=self.stress * depth_multiplier
        )

    def lt_start(self, lb: float) -> float:
        """Highest LT searched for bonus ``lb``: ``min(lt_max, max_lt_bonus / (1 + lb))``."""
        cal = self.spec.calibration
        return min(cal.lt_max, cal.max_lt_bonus / (1.0 + lb))

    def sigmas(self, up_to: float | None = None) -> np.ndarray:
        """Nodes of the σ grid (up to the first node ≥ ``up_to``, else to ``sigma_max``)."""
        cal = self.spec.calibration
        return sigma_nodes(cal.sigma_min, cal.sigma_ratio, cal.sigma_max, up_to=up_to)

    def frontier(
        self,
        sigmas: Sequence[float],
        *,
        depth_multiplier: float = 1.0,
        ceiling: Sequence[float] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Frontier:
        """``LT*(σ)`` for the bonus and depth at ``depth_multiplier`` (see :func:`lt_frontier`)."""
        lb = self.lb(depth_multiplier)
        return lt_frontier(
            self.model(depth_multiplier),
            self.paths,
            lb,
            sigmas,
            self.grid,
            start=self.lt_start(lb),
            ceiling=ceiling,
            depth=depth_multiplier,
            share=self.spec.calibration.search_share,
            progress=progress,
        )


def prepare(
    market: MarketSpec | str | Path | None = None,
    *,
    book: LoanBook | str | Path | None = None,
    budget: float | None = None,
    s0: float,
    paths: int | None = None,
    seed: int | None = None,
) -> CalibrationSetup:
    """Build the :class:`CalibrationSetup` of a market at start price ``s0``."""
    spec = market_spec(market)
    cal = spec.calibration
    budget = spec.risk.budget if budget is None else float(budget)
    if not 0 < budget < 1:
        raise SolvencyInputError(f"budget must be a fraction of debt in (0, 1), got {budget!r}")
    if not s0 > 0 or not math.isfinite(s0):
        raise SolvencyInputError(f"start price must be positive, got {s0!r}")
    loan_book = market_book(spec, book, s0)
    shape = BookShape.from_book(loan_book, s0)
    horizon = parse_duration(spec.calibration.horizon or spec.risk.horizon)
    step = parse_duration(cal.step or spec.sim.step)
    half_life = impact_half_life(spec)
    return CalibrationSetup(
        spec=spec,
        budget=budget,
        book=loan_book,
        shape=shape,
        s0=s0,
        horizon=horizon,
        step=step,
        conditions=stress_conditions(cal.scenarios or spec.risk.scenarios, spec.asset, half_life=half_life),
        depth=PowerLawDepth.fit(curve_from_spec(spec.liquidity)),
        gas=gas_cost_quote(spec.liquidators.gas_units, spec.liquidators.gas_price_gwei, gas_token_price(spec, s0)),
        paths=StressPaths(
            paths or spec.risk.paths,
            max(1, round(horizon / step)),
            step,
            tail_df=cal.tail_df,
            seed=cal.seed if seed is None else seed,
        ),
        grid=lt_grid(cal.lt_min, cal.lt_max, cal.lt_step),
    )
