"""``plan_liquidations``: which liquidatable positions to liquidate first, and in what sizes, step by step.

The plan is made at one price (the oracle and the market agree on it) for the positions whose health factor
is below 1. Liquidators can repay ``capacity`` per step of ``dt`` seconds; each asset's order book absorbs a
**depth budget** per step — the seized value whose sale moves the price by the bonus break-even
``LB/(1+LB)``, from the market's slippage curve (:mod:`solvency.market.liquidity`) — so every chunk's
slippage stays within the bonus. Chunks follow the close-factor rules (:mod:`solvency.liquidation.allowance`);
a chunk cut by capacity or depth goes on at the next step (Hyperliquid liquidates large positions in
slices in the same spirit). Every policy fills the steps the same way (:mod:`solvency.liquidation.schedule`);
they differ only in the order (:mod:`solvency.liquidation.ranking`).

Expected bad debt of a plan
---------------------------
Each position's collateral follows GBM at the volatility of the market model (:mod:`solvency.market.volatility`,
EWMA by default). Over the plan's horizon ``H`` (the time the plan takes, unless given) a position left in state
``R`` (repaid so far) is expected to leave ``φ_i(R)`` of bad debt, the expected loss of closing it at ``H``
(:func:`solvency.sim.insolvency.expected_loss` = probability of turning insolvent before ``H`` × exposure).
``φ_i(0)`` is the untouched position, ``φ_i(U_i)`` what is left after its whole allowance ``U_i`` (a restored
position's tail risk, or the loss an insolvent position's liquidation crystallises). In between, the residual
risk is interpolated linearly — the chord, an upper bound since ``φ`` is convex in ``R`` — so each unit repaid
removes ``s_i = (φ_i(0) − φ_i(U_i))/U_i``. A state holds while it lasts (constant hazard over ``H``), so

    expected bad debt = Σ_i φ_i(0) − Σ_chunks s_i · repay · (1 − t_chunk/H).

Optimality of ``optimized``
---------------------------
``optimized`` takes positions in decreasing ``s_i``. For a book on one collateral asset with one bonus and no
dust rule (every allowance divisible), that order minimises the expected bad debt above over all schedules in
which liquidators use their capacity while they can (and so, slippage being a function of what each step
sells, the expected bad debt plus slippage):

1. The amount each step repays, ``L_k = min(capacity, depth budget, what is left)``, does not depend on the
   order, so neither do the cumulative amounts ``X_k = L_0 + … + L_k``, nor the slippage of each step.
2. The objective is ``const − Σ_k w_k·Σ_i s_i·R_i^k`` with cumulative repays ``R_i^k`` (``Σ_i R_i^k = X_k``,
   ``0 ≤ R_i^k ≤ U_i``) and weights ``w_k = dt/H ≥ 0``. For each ``k`` the inner sum is a fractional knapsack
   whose maximum fills the highest ``s_i`` first up to ``X_k``; these fills are nested in ``k``, so filling each
   step in that order (the plan) attains every term's maximum at once — exchange argument: a unit of ``j``
   repaid before a unit of ``i`` with ``s_i > s_j`` can swap with it and lower the objective by
   ``(s_i − s_j)·(w_earlier − w_later) ≥ 0``.

``tests/liquidation`` checks it against exhaustive search over every per-step order on random books of up to 8
positions and 4 steps. With several assets (separate depth budgets), several bonuses or the $1,000 dust rule,
the per-step totals can depend on the order and ``optimized`` is the same greedy without the guarantee.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec, as_market_spec
from solvency.data.resolve import prices_or_sample
from solvency.errors import SolvencyInputError
from solvency.liquidation.allowance import allowances, health_factor
from solvency.liquidation.ranking import POLICY_NAMES, priority_order
from solvency.liquidation.schedule import fill_schedule
from solvency.market.liquidity import LiquidityCurve, curve_from_spec, pack_curves
from solvency.market.volatility import volatility
from solvency.sim.book import LoanBook
from solvency.sim.insolvency import expected_loss_array, insolvency_probability_array
from solvency.sim.mechanics import CloseFactorRule
from solvency.sim.stress import market_book
from solvency.units import SECONDS_PER_YEAR, format_duration, parse_duration

PLAN_KEYS = ("position", "order", "repay", "seize", "expected_slippage", "step")
"""Keys of each plan entry in :meth:`LiquidationPlan.to_dict` (the ``solvency liquidate --json`` contract)."""


@dataclass(frozen=True)
class PlanSettings:
    """What a plan was made with (JSON-ready through :meth:`to_dict`).

    Attributes
    ----------
    prices
        Price of each collateral asset (quote units).
    sigma
        Annualised volatility of each asset's price.
    step
        Seconds per step.
    capacity
        Repay liquidators can fund per step (quote units).
    depth
        Depth multiplier applied to the market's slippage curves (< 1 in stress).
    horizon
        Seconds over which expected bad debt is measured.
    close_factor
        Close-factor rule.
    """

    assets: tuple[str, ...]
    prices: tuple[float, ...]
    sigma: tuple[float, ...]
    step: int
    capacity: float
    depth: float
    horizon: int
    close_factor: CloseFactorRule = field(default_factory=CloseFactorRule)

    def to_dict(self) -> dict[str, Any]:
        return {
            "assets": list(self.assets),
            "prices": list(self.prices),
            "sigma": list(self.sigma),
            "step": format_duration(self.step),
            "capacity_per_step": self.capacity,
            "depth_multiplier": self.depth,
            "horizon": format_duration(self.horizon),
        }


@dataclass
class LiquidationPlan:
    """A liquidation plan and its expected outcome.

    Attributes
    ----------
    policy
        Policy that ordered it.
    chunks
        One row per liquidation, in execution order: ``position`` (id), ``order``, ``step``, ``repay`` (quote),
        ``seize`` (collateral units), ``expected_slippage`` (quote lost selling the seized collateral into the
        step's depth), ``asset``, ``index`` (row in ``positions``).
    positions
        The liquidatable positions: id, asset, debt, collateral value, health factor, allowance, probability of
        turning insolvent within the horizon untouched, expected loss untouched (``φ(0)``) and after the
        allowance (``φ(U)``), the loss avoided per unit repaid (``slope``) and the policy's key.
    expected_bad_debt
        Expected bad debt of the liquidatable positions over the horizon under this plan (quote units).
    untouched_bad_debt
        The same with no liquidation at all (``Σ φ(0)``).
    total_slippage
        Sum of the chunks' expected slippage (quote units).
    settings
        Prices, volatilities, step, capacity, depth, horizon.
    """

    policy: str
    chunks: pd.DataFrame
    positions: pd.DataFrame
    expected_bad_debt: float
    untouched_bad_debt: float
    total_slippage: float
    settings: PlanSettings

    @property
    def steps(self) -> int:
        """Number of steps the plan takes."""
        return int(self.chunks["step"].max()) + 1 if len(self.chunks) else 0

    def to_dict(self) -> dict[str, Any]:
        """The ``solvency liquidate --json`` object: ``policy``, ``plan``, ``expected_bad_debt``, ``total_slippage``."""
        frame = self.chunks
        plan = [
            {
                "position": str(pid),
                "order": int(order),
                "repay": float(repay),
                "seize": float(seize),
                "expected_slippage": float(slip),
                "step": int(step),
            }
            for pid, order, repay, seize, slip, step in zip(
                frame["position"].to_numpy(),
                frame["order"].to_numpy(),
                frame["repay"].to_numpy(),
                frame["seize"].to_numpy(),
                frame["expected_slippage"].to_numpy(),
                frame["step"].to_numpy(),
                strict=True,
            )
        ]
        return {
            "policy": self.policy,
            "plan": plan,
            "expected_bad_debt": self.expected_bad_debt,
            "total_slippage": self.total_slippage,
        }

    def summary(self) -> str:
        """A few lines for humans."""
        s = self.settings
        debt = float(self.positions["debt"].sum()) if len(self.positions) else 0.0
        return "\n".join(
            [
                f"policy {self.policy}: {len(self.positions):,} liquidatable positions, debt {debt:,.0f}; "
                f"{len(self.chunks):,} liquidations over {self.steps} steps of {format_duration(s.step)} "
                f"(capacity {s.capacity:,.0f} per step)",
                f"repaid {float(self.chunks['repay'].sum()) if len(self.chunks) else 0.0:,.0f}; expected bad debt "
                f"{self.expected_bad_debt:,.0f} over {format_duration(s.horizon)} "
                f"(untouched {self.untouched_bad_debt:,.0f}); slippage {self.total_slippage:,.0f}",
            ]
        )


# ------------------------------------------------------------------------------------------------ entry


def plan_liquidations(
    book: LoanBook | str | Path,
    *,
    price: float | Sequence[float] | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    market: MarketSpec | str | Path | None = None,
    policy: str = "risk_weighted",
    sigma: float | Sequence[float] | None = None,
    vol_model: str = "ewma",
    step: str | int | None = None,
    capacity: float | None = None,
    depth: float = 1.0,
    horizon: str | int | None = None,
    close_factor: CloseFactorRule | None = None,
    max_steps: int = 1_000_000,
) -> LiquidationPlan:
    """Plan the liquidation of a book's liquidatable positions (HF < 1 at ``price``).

    Parameters
    ----------
    book
        A :class:`~solvency.sim.book.LoanBook` or a CSV (:func:`~solvency.sim.book.load_book` layout; assets,
        LT and LB from the market spec).
    price
        Price of the market's asset (or one per asset of the book), quote units.
    prices
        A price history of the market's asset instead: its last close is the price and its volatility the
        risk model's. Default: the market's ``[prices]`` (the embedded sample when none).
    market
        Market spec or TOML path (default ``MarketSpec()``): slippage curve, liquidator capacity, step, LT/LB.
    policy
        ``"health_first"``, ``"largest_first"``, ``"risk_weighted"`` or ``"optimized"``.
    sigma
        Annualised volatility (one, or per asset) instead of the volatility model's.
    vol_model
        Model of :func:`solvency.market.volatility.volatility` for ``sigma`` (``"ewma"`` by default).
    step
        Step of the plan (default ``[sim] step``).
    capacity
        Repay per step (default ``[liquidators] capacity_per_step`` rescaled from ``[sim] step``).
    depth
        Multiplier on the slippage curves' depth (0.3 = a crash with 30 % of the quoted depth).
    horizon
        Horizon of the expected bad debt (default: the time the plan takes, at least one step).
    close_factor
        Close-factor rule (default Aave v3.3 with the spec's close factor).
    max_steps
        Stop planning after this many steps.

    Returns
    -------
    LiquidationPlan

    Examples
    --------
    >>> from solvency.sim.book import synthetic_book
    >>> book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=200, seed=3)
    >>> plan = plan_liquidations(book, price=1700.0, sigma=0.8, policy="optimized")
    >>> sorted(plan.to_dict())
    ['expected_bad_debt', 'plan', 'policy', 'total_slippage']
    """
    key = str(policy).strip().lower().replace("-", "_")
    if key not in POLICY_NAMES:
        raise SolvencyInputError(
            f"unknown liquidation policy {policy!r}", hint=f"choose one of: {', '.join(POLICY_NAMES)}"
        )
    if price is not None and prices is not None:
        raise SolvencyInputError("give a price or a price history, not both")
    if not max_steps >= 1:
        raise SolvencyInputError(f"max_steps must be at least 1, got {max_steps}")
    spec = as_market_spec(market)
    if not isinstance(book, LoanBook | str | Path):
        raise SolvencyInputError(f"book must be a LoanBook or a CSV path, got {type(book).__name__}")
    assets = [spec.asset, *(a.symbol for a in spec.sim.assets)]
    loan_book = market_book(spec, book, assets, np.ones(len(assets)))  # a path or a book, never synthetic here
    px, sig = _prices_and_vols(spec, loan_book, price, prices, sigma, vol_model)
    sim_step = parse_duration(spec.sim.step)
    dt = parse_duration(step) if step is not None else sim_step
    cap = spec.liquidators.capacity_per_step * dt / sim_step if capacity is None else float(capacity)
    if not (math.isfinite(cap) and cap > 0):
        raise SolvencyInputError(f"capacity per step must be positive, got {capacity!r}")
    if not (math.isfinite(depth) and depth > 0):
        raise SolvencyInputError(f"depth multiplier must be positive, got {depth!r}")
    rule = close_factor or CloseFactorRule(default=spec.current.close_factor)
    specs = [spec.liquidity, *(a.liquidity for a in spec.sim.assets)]
    if len(specs) != loan_book.n_assets:
        specs = [spec.liquidity] * loan_book.n_assets
    curves = [curve_from_spec(ls).stressed(depth) for ls in specs]
    horizon_s = parse_duration(horizon) if horizon is not None else None
    return plan_from_arrays(
        loan_book,
        prices=px,
        sigma=sig,
        curves=curves,
        step=dt,
        capacity=cap,
        policy=key,
        horizon=horizon_s,
        close_factor=rule,
        max_steps=max_steps,
        depth=depth,
    )


def plan_from_arrays(
    book: LoanBook,
    *,
    prices: np.ndarray,
    sigma: np.ndarray,
    curves: Sequence[LiquidityCurve],
    step: int,
    capacity: float,
    policy: str,
    horizon: int | None = None,
    close_factor: CloseFactorRule | None = None,
    max_steps: int = 1_000_000,
    depth: float = 1.0,
) -> LiquidationPlan:
    """:func:`plan_liquidations` on resolved inputs (prices and volatilities per asset, curves, step, capacity).

    The curves are used as given (stress already applied); ``depth`` is only recorded in the settings.
    """
    rule = close_factor or CloseFactorRule()
    px = np.broadcast_to(np.asarray(prices, dtype="float64"), (book.n_assets,))
    sig = np.broadcast_to(np.asarray(sigma, dtype="float64"), (book.n_assets,))
    if np.any(~np.isfinite(px)) or np.any(px <= 0):
        raise SolvencyInputError(f"prices must be positive and finite, got {px.tolist()}")
    if np.any(~np.isfinite(sig)) or np.any(sig < 0):
        raise SolvencyInputError(f"volatilities must be finite and non-negative, got {sig.tolist()}")
    if len(curves) != book.n_assets:
        raise SolvencyInputError(f"need one slippage curve per asset ({book.n_assets}), got {len(curves)}")
    live = _liquidatable(book, px)
    rows = np.arange(len(book))[live]
    asset = book.primary_asset[live].astype(np.int64)
    units = book.collateral[rows, asset]
    value = units * px[asset]
    debt = book.debt[live]
    lt = book.lt[rows, asset]
    lb = book.lb[rows, asset]
    allow = allowances(value, debt, lt, lb, rule)
    kinds, cparams, depths = pack_curves(curves)
    budget = _depth_budgets(curves, asset, lb)
    sigma_step = sig[asset] * math.sqrt(step / SECONDS_PER_YEAR)

    # the horizon: how long the plan takes (the same for every order on a one-asset, one-bonus book)
    index_order = np.arange(debt.size, dtype=np.int64)
    args = (asset, allow.total, allow.zone, allow.atomic, lb, budget, float(capacity), int(max_steps))
    curve_args = (kinds, cparams, depths)
    if horizon is None:
        dry = fill_schedule(index_order, *args, *curve_args)
        horizon = step * (int(dry[1].max()) + 1 if dry[1].size else 1)
    horizon = max(int(horizon), int(step))
    s_h = sig[asset] * math.sqrt(horizon / SECONDS_PER_YEAR)
    phi0 = expected_loss_array(value, debt, lb, s_h)
    seized_all = allow.closing & (allow.total * (1.0 + lb) >= value * (1.0 - 1e-12))
    left_value = np.where(seized_all, 0.0, np.maximum(value - allow.total * (1.0 + lb), 0.0))
    phi_u = expected_loss_array(left_value, debt - allow.total, lb, s_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(allow.total > 0, (phi0 - phi_u) / allow.total, 0.0)
    per_asset = np.zeros(book.n_assets)
    np.maximum.at(per_asset, asset, budget / (1.0 + lb))
    throughput = min(float(capacity), float(per_asset.sum()))
    order, key = priority_order(
        policy, value=value, debt=debt, lt=lt, lb=lb, sigma_step=sigma_step, throughput=throughput, slope=slope
    )
    pos, stp, rep, slp = fill_schedule(order, *args, *curve_args)
    weight = np.maximum(1.0 - stp * step / horizon, 0.0)
    expected = float(phi0.sum() - np.sum(slope[pos] * rep * weight))
    ids = book.ids[rows]
    chunks = pd.DataFrame(
        {
            "position": ids[pos].astype(str) if pos.size else np.array([], dtype=str),
            "order": np.arange(pos.size, dtype=np.int64),
            "step": stp,
            "repay": rep,
            "seize": rep * (1.0 + lb[pos]) / px[asset[pos]],
            "expected_slippage": slp,
            "asset": [book.assets[a] for a in asset[pos]],
            "index": pos,
        }
    )
    positions = pd.DataFrame(
        {
            "id": ids.astype(str) if ids.size else np.array([], dtype=str),
            "asset": [book.assets[a] for a in asset],
            "debt": debt,
            "collateral_value": value,
            "health_factor": health_factor(value, debt, lt),
            "allowance": allow.total,
            "insolvency_probability": insolvency_probability_array(value, debt, lb, s_h),
            "expected_loss_untouched": phi0,
            "expected_loss_after": phi_u,
            "slope": slope,
            "key": key,
        }
    )
    settings = PlanSettings(
        assets=tuple(book.assets),
        prices=tuple(float(x) for x in px),
        sigma=tuple(float(x) for x in sig),
        step=int(step),
        capacity=float(capacity),
        depth=float(depth),
        horizon=int(horizon),
        close_factor=rule,
    )
    return LiquidationPlan(
        policy=policy,
        chunks=chunks,
        positions=positions,
        expected_bad_debt=max(expected, 0.0),
        untouched_bad_debt=float(phi0.sum()),
        total_slippage=float(slp.sum()),
        settings=settings,
    )


# ---------------------------------------------------------------------------------------------- helpers


def _prices_and_vols(
    spec: MarketSpec,
    book: LoanBook,
    price: float | Sequence[float] | None,
    prices: str | Path | pd.DataFrame | None,
    sigma: float | Sequence[float] | None,
    vol_model: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Price and annualised volatility of each asset of the book."""
    n = book.n_assets
    others_p = [a.price for a in spec.sim.assets]
    others_v = [a.vol for a in spec.sim.assets]
    history = None
    if isinstance(prices, pd.DataFrame):
        history = prices
    elif prices is not None:
        history = prices_or_sample(prices)
    if price is not None:
        px = np.atleast_1d(np.asarray(price, dtype="float64"))
        if px.size == 1 and n > 1 and len(others_p) == n - 1:
            px = np.array([float(px[0]), *others_p])
        if px.size not in (1, n):
            raise SolvencyInputError(f"give one price or one per asset ({n}), got {px.size}")
        px = np.broadcast_to(px, (n,)).astype("float64")
    else:
        if history is None:
            history = prices_or_sample(spec.prices.file, column=spec.prices.column, freq=spec.prices.freq)
        main = spec.sim.start_price if prices is None and spec.sim.start_price else float(history["close"].iloc[-1])
        px = np.array([main, *others_p][:n] if len(others_p) == n - 1 else [main] * n, dtype="float64")
    if sigma is not None:
        sig = np.broadcast_to(np.atleast_1d(np.asarray(sigma, dtype="float64")), (n,)).astype("float64")
        return px, sig
    main_sigma = spec.sim.vol if prices is None and spec.sim.vol else None
    if main_sigma is None:
        if history is None:
            history = prices_or_sample(spec.prices.file, column=spec.prices.column, freq=spec.prices.freq)
        main_sigma = volatility(history, model=vol_model).sigma_annual
    vols = [main_sigma, *((v or main_sigma) for v in others_v)]
    sig = np.array(vols[:n] if len(vols) == n else [main_sigma] * n, dtype="float64")
    return px, sig


def _liquidatable(book: LoanBook, prices: np.ndarray) -> np.ndarray:
    """Positions with debt and HF < 1 at ``prices``; multi-collateral ones are refused (named)."""
    hf = book.health_factor(prices)
    live = (book.debt > 0) & (hf < 1.0)
    multi = live & (book.n_collateral > 1)
    if np.any(multi):
        ids = ", ".join(str(x) for x in book.ids[multi][:5])
        raise SolvencyInputError(
            f"{int(multi.sum())} liquidatable position(s) hold several collateral assets (e.g. {ids}); "
            "the planner handles single-collateral positions",
            hint="split multi-collateral positions by asset, or stress the book with `solvency stress`",
        )
    return live & (book.n_collateral == 1)


def _depth_budgets(curves: Sequence[LiquidityCurve], asset: np.ndarray, lb: np.ndarray) -> np.ndarray:
    """Seized value per step whose sale moves the price by ``LB/(1+LB)``, for each position."""
    out = np.empty(asset.size)
    pairs, inverse = np.unique(np.column_stack([asset, lb]), axis=0, return_inverse=True)
    values = np.array([curves[int(a)].size_at_impact(float(b) / (1.0 + float(b))) for a, b in pairs])
    out[:] = values[np.asarray(inverse).ravel()] if values.size else 0.0
    return out
