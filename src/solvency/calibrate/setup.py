"""What every lending calibration shares: the market's book, stress conditions, depth, stress paths and LT grid.

:func:`prepare` builds a :class:`CalibrationSetup` once; :func:`~solvency.calibrate.lending.calibrate_lending`, the
oracle's target table (:mod:`~solvency.calibrate.table`) and the walk-forward backtest
(:mod:`~solvency.calibrate.backtest_lending`) read the LT surface (:meth:`CalibrationSetup.ladder`), the bonus and
the caps off it.

Depth is absolute throughout (:mod:`~solvency.calibrate.ladder`): ``depth`` arguments are quote units that sell at
1 % average slippage, the market's own being :attr:`CalibrationSetup.market_depth`; the market's curve enters the
bonus, the caps and the ladder through its *shape* (the curve in units of its own depth), so a deeper copy of a
market shares every number that does not depend on its depth.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.calibrate.bonus import BonusResult, PowerLawDepth, gas_cost_quote, liquidation_bonus
from solvency.calibrate.frontier import BookShape, Frontier, RiskModel, lt_frontier, lt_grid, sigma_nodes
from solvency.calibrate.ladder import DepthLadder, DepthNodes, market_depth
from solvency.calibrate.stress import StressCondition, stress_conditions
from solvency.calibrate.stress_paths import StressPaths
from solvency.config import MarketSpec, as_market_spec
from solvency.errors import SolvencyInputError
from solvency.market.jumps import ETH_HOURLY_JUMPS, JumpLaw
from solvency.market.liquidity import LiquidityCurve, curve_from_spec
from solvency.market.vol_mixture import ETH_VOL_MIXTURE, VolMixture
from solvency.market.volatility import volatility
from solvency.sim.book import LoanBook
from solvency.sim.mechanics import CloseFactorRule, LiquidatorModel, OracleModel
from solvency.sim.scenarios import ALIASES
from solvency.sim.stress import market_book as sim_market_book
from solvency.units import SECONDS_PER_YEAR, format_duration, parse_duration


def market_spec(market: MarketSpec | str | Path | None, *, jumps: str | None = None) -> MarketSpec:
    """The market's spec (``MarketSpec()`` for None), with ``[calibration] jumps`` replaced by ``jumps``
    (``"default"`` or ``"none"``) when given — on a copy, the caller's spec is left alone."""
    spec = as_market_spec(market)
    if jumps is None:
        return spec
    if jumps not in ("default", "none"):
        raise SolvencyInputError(f"jumps must be 'default' or 'none', got {jumps!r}")
    cal = spec.calibration.model_copy(update={"jumps": jumps})
    return spec.model_copy(update={"calibration": cal})


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


def risk_model(
    spec: MarketSpec,
    shape: BookShape,
    *,
    budget: float,
    step: int,
    depth: float,
    curve: LiquidityCurve | None = None,
) -> RiskModel:
    """The engine's view of the market for the LT search: ``curve`` (default the spec's) × depth multiplier
    ``depth``."""
    ls = spec.liquidators
    token = ls.gas_token.upper()
    is_gas = ALIASES.get(spec.asset.upper(), spec.asset.upper()) == token
    sim_step = parse_duration(spec.sim.step)
    return RiskModel(
        shape=shape,
        curve=(curve_from_spec(spec.liquidity) if curve is None else curve).stressed(depth),
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


def jump_law(spec: MarketSpec) -> JumpLaw | None:
    """The stress paths' jump law from ``[calibration] jumps``: ``"default"`` →
    :data:`~solvency.market.jumps.ETH_HOURLY_JUMPS`, ``"none"`` → None, a table → the default with its fields
    replaced. Its rate falls with the volatility level (:data:`~solvency.market.jumps.ETH_HOURLY_RATE`) unless
    ``[calibration] jump_rate = "pooled"`` or the table states an ``intensity`` (a stated rate is a pooled one)."""
    j = spec.calibration.jumps
    if j == "none":
        return None
    d = ETH_HOURLY_JUMPS
    curve = d.rate_curve if spec.calibration.jump_rate == "level" else None
    if j == "default":
        return d if curve is d.rate_curve else dataclasses.replace(d, rate_curve=None)
    return JumpLaw(
        intensity=d.intensity if j.intensity is None else j.intensity,
        threshold=d.threshold if j.threshold is None else j.threshold,
        mean_excess=d.mean_excess if j.mean_excess is None else j.mean_excess,
        frequency=d.frequency if j.frequency is None else parse_duration(j.frequency),
        rate_curve=curve if j.intensity is None else None,
    )


def vol_mixture(spec: MarketSpec) -> VolMixture | None:
    """The stress paths' volatility mixture from ``[calibration] vol_mixture``: ``"estimated"`` →
    :data:`~solvency.market.vol_mixture.ETH_VOL_MIXTURE`; ``"student-t"`` → None (ν = ``tail_df``)."""
    return ETH_VOL_MIXTURE if spec.calibration.vol_mixture == "estimated" else None


def mixture_info(spec: MarketSpec) -> dict[str, Any]:
    """What the JSON says about the per-path volatility mixture in use."""
    law = vol_mixture(spec)
    if law is None:
        return {"kind": "student-t", "tail_df": spec.calibration.tail_df}
    return {"source": "estimated", **law.to_dict()}


def jump_info(spec: MarketSpec) -> dict[str, Any] | None:
    """What the JSON says about the jump law in use (None: no jumps)."""
    law = jump_law(spec)
    if law is None:
        return None
    j = spec.calibration.jumps
    return {"source": j if isinstance(j, str) else "spec", **law.to_dict()}


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
    conditions, gas
        Stress conditions, one liquidation's gas (quote, normal price).
    unit_curve, market_depth, depth
        The market's curve in units of its own depth (its shape, :meth:`LiquidityCurve.in_units`), that depth
        (quote units at 1 %, :func:`~solvency.calibrate.ladder.market_depth`), and the power law fitted to the
        shape — its depth multipliers are absolute depths.
    nodes
        The depth ladder (its top from the book, ``[calibration] depth_ratio`` and ``depth_top_slippage``).
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
    gas: float
    unit_curve: LiquidityCurve
    market_depth: float
    depth: PowerLawDepth
    nodes: DepthNodes
    paths: StressPaths
    grid: np.ndarray

    @property
    def stress(self) -> float:
        """Depth multiplier of the LT search (``[liquidity] stress_multiplier``)."""
        return self.spec.liquidity.stress_multiplier

    def bonus(self, depth: float | None = None) -> BonusResult:
        """The bonus the stress conditions need at ``depth`` (default the market's)."""
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
            depth_multiplier=self.market_depth if depth is None else depth,
            lb_max=cal.lb_max,
        )

    def lb(self, depth: float | None = None) -> float:
        """The bonus used in simulations at ``depth`` (default the market's): ``[calibration] liquidation_bonus``
        when given, else the needed one capped at ``lb_max``."""
        cal = self.spec.calibration
        if cal.liquidation_bonus is not None:
            return cal.liquidation_bonus
        return min(self.bonus(depth).needed, cal.lb_max)

    def model(self, depth: float | None = None) -> RiskModel:
        """The engine's view of the market in stress: its own curve × ``stress_multiplier`` (``depth`` None), or
        its shape at ``depth`` × ``stress_multiplier`` (a ladder row)."""
        if depth is None:
            return risk_model(self.spec, self.shape, budget=self.budget, step=self.step, depth=self.stress)
        return risk_model(
            self.spec, self.shape, budget=self.budget, step=self.step, depth=self.stress * depth, curve=self.unit_curve
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
        depth: float | None = None,
        ceiling: Sequence[float] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> Frontier:
        """``LT*(σ)`` for one depth and the bonus it needs (see :func:`lt_frontier`): the market's own curve when
        ``depth`` is None, else its shape at ``depth`` (a row of :meth:`ladder`)."""
        lb = self.lb(depth)
        return lt_frontier(
            self.model(depth),
            self.paths,
            lb,
            sigmas,
            self.grid,
            start=self.lt_start(lb),
            ceiling=ceiling,
            depth=self.market_depth if depth is None else depth,
            share=self.spec.calibration.search_share,
            progress=progress,
        )

    def ladder(
        self,
        sigmas: Sequence[float],
        *,
        lowest: float | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> DepthLadder:
        """The LT surface on ``sigmas`` (a prefix of the σ grid) from the ladder's top down to the row that
        brackets ``lowest`` (default the market's depth) from below (:mod:`~solvency.calibrate.ladder`)."""
        nodes = self.nodes
        bottom = nodes.below(self.market_depth if lowest is None else lowest)
        ladder = DepthLadder(nodes)
        n_rows, n_sig = nodes.top - bottom + 1, len(sigmas)
        above = None
        for r, k in enumerate(range(nodes.top, bottom - 1, -1)):
            tick = None if progress is None else (lambda d, t, r=r: progress(r * n_sig + d, n_rows * n_sig))
            row = self.frontier(sigmas, depth=nodes.value(k), ceiling=above, progress=tick)
            ladder.rows[k] = row
            above = row.lts
        return ladder

    def extend(
        self,
        ladder: DepthLadder,
        sigmas: Sequence[float],
        *,
        multiplier: float = 1.0,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Continue the rows around this market's depth × ``multiplier`` (one or two) to the σ nodes ``sigmas``
        (the ladder's nodes and more), the shallower capped by the deeper as in the ladder.

        For reading σ above the ladder's nodes (sensitivity): the extension is monotone in σ and, between the two
        rows, in depth; it is not capped by the rows further up, so the depth guarantee stops at the ladder's
        own σ nodes.
        """
        nodes = ladder.nodes
        j, _ = nodes.bracket(self.market_depth * multiplier)
        ks = [j] if j >= nodes.top else [j + 1, j]
        above = None
        for r, k in enumerate(ks):
            tick = None if progress is None else (lambda d, t, r=r: progress(r * t + d, len(ks) * t))
            row = lt_frontier(
                self.model(nodes.value(k)),
                self.paths,
                ladder.rows[k].lb,
                sigmas,
                self.grid,
                start=self.lt_start(ladder.rows[k].lb),
                ceiling=above,
                depth=nodes.value(k),
                share=self.spec.calibration.search_share,
                known=ladder.rows[k],
                progress=tick,
            )
            ladder.rows[k] = row
            above = row.lts

    def read(self, ladder: DepthLadder, multiplier: float = 1.0) -> Frontier:
        """The frontier of this market with its depth × ``multiplier``, read off ``ladder`` with the bonus that
        depth needs (interpolated in ``ln D`` between rows, capped so that ``LT·(1+LB) ≤ max_lt_bonus``)."""
        depth = self.market_depth * multiplier
        lb = self.lb(depth)
        return ladder.frontier_at(depth, lb=lb, cap=self.lt_start(lb))


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
    curve = curve_from_spec(spec.liquidity)
    depth_abs = market_depth(curve)
    unit = curve.in_units(depth_abs)
    unit_depth = PowerLawDepth.fit(unit)
    return CalibrationSetup(
        spec=spec,
        budget=budget,
        book=loan_book,
        shape=shape,
        s0=s0,
        horizon=horizon,
        step=step,
        conditions=stress_conditions(cal.scenarios or spec.risk.scenarios, spec.asset, half_life=half_life),
        gas=gas_cost_quote(spec.liquidators.gas_units, spec.liquidators.gas_price_gwei, gas_token_price(spec, s0)),
        unit_curve=unit,
        market_depth=depth_abs,
        depth=unit_depth,
        nodes=DepthNodes.for_book(
            cal.depth_ratio,
            collateral_value=float(loan_book.collateral.sum()) * s0,
            stressed_unit_size=spec.liquidity.stress_multiplier * unit_depth.size_at(cal.depth_top_slippage),
        ),
        paths=StressPaths(
            paths or spec.risk.paths,
            max(1, round(horizon / step)),
            step,
            tail_df=cal.tail_df,
            mixture=vol_mixture(spec),
            jumps=jump_law(spec),
            seed=cal.seed if seed is None else seed,
        ),
        grid=lt_grid(cal.lt_min, cal.lt_max, cal.lt_step),
    )
