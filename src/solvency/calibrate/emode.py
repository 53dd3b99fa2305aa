"""E-mode for a correlated pair (wstETH collateral against ETH debt): LT / LTV / LB from a depeg of their price.

Inside an e-mode category both assets move together, so ordinary volatility is irrelevant: what liquidates
borrowers and can leave bad debt is the collateral's price *relative to the debt asset* falling — a depeg. The
category is calibrated exactly like a market (:mod:`solvency.calibrate.frontier`), with the relative price as
the collateral's price in the debt asset:

* **Paths.** The depeg path (below) with Brownian noise around it, pinned to the daily closes (a bridge, as the
  simulator's scenarios do), at the ratio's own volatility; 1-hour steps.
* **Conditions.** Depth of the pair's pool (``[calibration.emode] liquidity``, in the debt asset) multiplied by
  the named scenario's liquidity multiplier; gas by its gas multiplier, paid in ETH.
* **Book.** The market's synthetic book shape (health factors, whales) with the category's positions and debt.
* **LB** by :mod:`solvency.calibrate.bonus`, **LT** = highest grid LT with ES99 of bad debt ≤ budget × debt
  (searched down from the invariant bound), **LTV** by :mod:`solvency.calibrate.buffer` at the ratio's volatility.

**The depeg path.** stETH/ETH in June 2022 (3AC, Celsius): the ratio of Yahoo's daily closes of STETH-USD and
ETH-USD (one source, one clock), 2022-06-05 to 2022-06-24, normalised to the first day — from 0.9784 to 0.9367 on
06-15 (−4.3 %), back to 0.960. The ``steth-depeg-2022`` scenario's own STETH and ETH shapes come from different
sources and clocks (Yahoo daily, Binance hourly), so their ratio swings ±8 % and is not usable as a pair path; the
scenario supplies the conditions (liquidity, gas) only. A ``ratio_file`` replaces the embedded path.

Note: Aave prices wstETH in its ETH e-mode through the stETH exchange rate (CAPO adapters), not the market
ratio, so a market depeg does not trigger liquidations there; simulating liquidations on the market ratio is the
conservative reading (it is what a market-price oracle, e.g. Morpho's, does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from solvency.calibrate.bonus import PowerLawDepth, gas_cost_quote, liquidation_bonus
from solvency.calibrate.buffer import Buffer, ltv_buffer
from solvency.calibrate.frontier import BookShape, Evaluation, RiskModel, evaluate, lt_grid, search_down, severity_order
from solvency.calibrate.setup import impact_half_life, market_book, oracle_model
from solvency.calibrate.stress import StressCondition, sharpest_fall
from solvency.config import MarketSpec
from solvency.data.resolve import prices_or_sample
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import curve_from_spec
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel
from solvency.sim.montecarlo import simulate_paths
from solvency.sim.paths import Shape, ShapedPaths
from solvency.sim.scenarios import get_scenario
from solvency.units import SECONDS_PER_YEAR, parse_duration

STETH_ETH_JUNE_2022: tuple[float, ...] = (
    0.9784, 0.9755, 0.9781, 0.9721, 0.9684, 0.9456, 0.9613, 0.9628, 0.9563, 0.9508,
    0.9367, 0.9423, 0.9419, 0.9374, 0.9369, 0.9447, 0.9444, 0.9472, 0.9539, 0.9601,
)  # fmt: skip
"""Daily closes of STETH-USD / ETH-USD (Yahoo, shared data ``daily/yahoo_{STETH,ETH}-USD_1d.csv``), 2022-06-05 to
2022-06-24."""

AAVE_ETH_EMODE = {"ltv": 0.93, "liquidation_threshold": 0.95, "liquidation_bonus": 0.01}
"""Aave v3 Ethereum e-mode category 1 (ETH correlated), the reference the recommendation is compared with."""

EMODE_STEP = 3600


def depeg_shape(
    ratios: tuple[float, ...] | np.ndarray = STETH_ETH_JUNE_2022, *, hours_per_point: float = 24.0
) -> Shape:
    """A relative-price shape (knots every ``hours_per_point``) from a series of ratios."""
    r = np.asarray(ratios, dtype="float64")
    if r.size < 2 or np.any(~np.isfinite(r)) or np.any(r <= 0):
        raise SolvencyInputError("a depeg path needs at least two positive ratios")
    return Shape(tuple(float(h) for h in np.arange(r.size) * hours_per_point), tuple(float(x) for x in r / r[0]))


def _ratio_shape(path: Any, column: str | None) -> Shape:
    frame = prices_or_sample(path, column=column)
    close = frame["close"].to_numpy(dtype="float64")
    hours = (frame.index - frame.index[0]).total_seconds().to_numpy() / 3600.0
    return Shape(tuple(float(h) for h in hours), tuple(float(x) for x in close / close[0]))


def realised_vol(shape: Shape) -> float:
    """Annualised volatility of the shape's knot-to-knot log changes."""
    h = np.asarray(shape.hours)
    lr = np.diff(np.log(np.asarray(shape.ratios)))
    dt = np.diff(h) * 3600.0 / SECONDS_PER_YEAR
    return float(math.sqrt(np.sum(lr**2) / np.sum(dt)))


@dataclass
class EModeResult:
    """The recommended e-mode category and its evidence."""

    collateral: str
    debt: str
    ltv: float
    liquidation_threshold: float
    liquidation_bonus: float
    depeg: float
    ratio_vol: float
    risk: Evaluation
    risk_reference: Evaluation
    buffer: Buffer
    budget_met: bool
    binding: str
    reference: dict[str, float] = field(default_factory=lambda: dict(AAVE_ETH_EMODE))
    current: dict[str, float] = field(default_factory=dict)
    bonus_terms: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "collateral": self.collateral,
            "debt": self.debt,
            "ltv": self.ltv,
            "liquidation_threshold": self.liquidation_threshold,
            "liquidation_bonus": self.liquidation_bonus,
            "depeg": self.depeg,
            "ratio_vol": self.ratio_vol,
            "budget_met": self.budget_met,
            "binding": self.binding,
            "risk": _risk(self.risk),
            "aave_reference": {**self.reference, "risk": _risk(self.risk_reference)},
            "current": self.current,
            "bonus_terms": self.bonus_terms,
        }


def _risk(ev: Evaluation) -> dict[str, float | None]:
    return {"bad_debt_es99": ev.es99, "bad_debt_var95": ev.var95, "prob_bad_debt": ev.prob, "lar95": ev.lar95}


def calibrate_emode(
    spec: MarketSpec, *, paths: int | None = None, seed: int | None = None, budget: float | None = None
) -> EModeResult:
    """Calibrate the spec's ``[calibration.emode]`` category (see the module docstring)."""
    cal = spec.calibration
    em = cal.emode
    if em is None:
        raise SolvencyInputError("the market has no [calibration.emode] section", hint="add one to calibrate e-mode")
    scen = get_scenario(em.scenario)
    shape = depeg_shape() if em.ratio_file is None else _ratio_shape(em.ratio_file, None)
    vol = em.ratio_vol or realised_vol(shape)
    n_steps = max(1, round(shape.duration / EMODE_STEP))
    n_paths = paths or spec.risk.paths
    model_paths = ShapedPaths([em.collateral.upper()], 1.0, shapes=[shape], sigma=vol, step=EMODE_STEP)
    prices = simulate_paths(model_paths, n_paths, n_steps, cal.seed if seed is None else seed)
    pair = spec.model_copy(deep=True)
    pair.asset, pair.quote, pair.current = em.collateral, em.debt, em.current
    pair.book.file, pair.book.positions, pair.book.debt_total = None, em.positions, em.debt_total
    book = market_book(pair, None, 1.0)
    bshape = BookShape.from_book(book, 1.0)
    ls = spec.liquidators
    sim_step = parse_duration(spec.sim.step)
    eth_price = ls.native_price
    liquidators = LiquidatorModel(
        latency=parse_duration(ls.latency),
        capacity=ls.capacity_per_step / eth_price * EMODE_STEP / sim_step,
        gas_units=ls.gas_units,
        gas_gwei=ls.gas_price_gwei * scen.gas_multiplier,
        native_price=1.0,  # gas is paid in ETH, the debt asset
        gas_asset=-1,
        per_step=ls.per_step,
        profit_check=ls.profit_check,
    )
    curve = curve_from_spec(em.liquidity)
    depth = PowerLawDepth.fit(curve)
    level = np.log(np.asarray(shape.ratios))
    cond = StressCondition(
        name=scen.name,
        depth=float(scen.liquidity),
        gas_multiplier=float(scen.gas_multiplier),
        drop=float(shape.drawdown),
        window_fall=sharpest_fall(level, 1),
    )
    bonus = liquidation_bonus(
        bshape,
        depth,
        [cond],
        close_factor=spec.current.close_factor,
        current_lb=em.current.liquidation_bonus,
        current_lt=em.current.liquidation_threshold,
        gas_cost=gas_cost_quote(ls.gas_units, ls.gas_price_gwei, 1.0),
        oracle_deviation=spec.oracle.deviation,
        typical_quantile=cal.typical_quantile,
        concurrent=cal.lb_concurrent,
        lb_max=cal.lb_max,
    )
    lb = math.ceil(min(bonus.needed, cal.lb_max) * 1e4) / 1e4  # whole basis points, rounded up
    model = RiskModel(
        shape=bshape,
        curve=curve.stressed(scen.liquidity),
        oracle=oracle_model(spec),
        liquidators=liquidators,
        close_factor=CloseFactorRule(default=spec.current.close_factor),
        impact_half_life=impact_half_life(spec),
        step=EMODE_STEP,
        budget=budget if budget is not None else spec.risk.budget,
        policy=spec.sim.policy,
    )
    order = severity_order(prices)
    grid = lt_grid(cal.lt_min, em.lt_max, cal.lt_step)
    bound = cal.max_lt_bonus / (1.0 + lb)
    top = min(em.lt_max, bound)

    def at(lt: float) -> Evaluation:
        return evaluate(model, prices, lt, lb, sigma=vol, order=order)

    lt, _, found = search_down(top, grid, at, guess=em.current.liquidation_threshold)
    binding = (
        "budget"
        if lt < float(grid[grid <= top + 1e-12][-1])
        else ("lt_max" if em.lt_max <= bound else "lt_times_one_plus_lb")
    )
    buf = ltv_buffer(lt, vol, horizon=parse_duration(cal.ltv_horizon), coverage=cal.ltv_coverage, tail_df=cal.tail_df)
    ltv = min(buf.ltv, lt - cal.ltv_gap)
    final = evaluate(model, prices, lt, lb, sigma=vol, order=order, early_stop=False, skip_clean=False)
    ref = evaluate(
        model,
        prices,
        AAVE_ETH_EMODE["liquidation_threshold"],
        AAVE_ETH_EMODE["liquidation_bonus"],
        sigma=vol,
        order=order,
        early_stop=False,
        skip_clean=False,
    )
    return EModeResult(
        collateral=em.collateral,
        debt=em.debt,
        ltv=math.floor(ltv * 1e4) / 1e4,
        liquidation_threshold=lt,
        liquidation_bonus=lb,
        depeg=float(shape.drawdown),
        ratio_vol=vol,
        risk=final,
        risk_reference=ref,
        buffer=buf,
        budget_met=found,
        binding=binding,
        current=em.current.model_dump(include={"ltv", "liquidation_threshold", "liquidation_bonus"}),
        bonus_terms=[t.to_dict() for t in bonus.terms],
    )
