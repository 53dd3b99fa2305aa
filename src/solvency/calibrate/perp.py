"""Perpetual-futures margin calibration: MMF / IMF by size tier, OI caps with the dYdX v4 ramp, liquidation fee,
insurance-fund target.

Method (DESIGN §4.4):

* **MMF(size) = tail move + impact(size) + liquidation fee.** The tail move is the two-sided FHS move over the
  liquidation horizon at the coverage level (:mod:`solvency.market.fhs`), taken as the larger of today's and the
  history's average (``perp.vol_basis = "max"``) so a calm week does not thin margins. Impact is the square-root law
  of the spec's depth (:func:`impact`), evaluated at each tier's upper notional so every size in a tier is covered.
* **IMF = MMF / maintenance fraction** (capped at 1), per tier; the base IMF/MMF are the first tier's.
* **Liquidation fee** = what it costs a liquidator to take over a typical liquidation (its impact plus the keeper's
  transaction cost over its size), clipped to ``[liquidation_fee_floor, liquidation_fee_cap]``.
* **OI caps.** The lower cap is the open interest whose tail-move liquidations (``oi_liquidation_share`` of it) can
  be closed within ``oi_impact_budget`` of impact; the upper cap is ``oi_cap_ratio`` times it. Between them IMF rises
  linearly to 100 % as in dYdX v4 (:func:`oi_ramp_imf`): new risk is blocked, old positions keep their MMF.
* **Insurance fund target.** Monte Carlo of bankruptcies (:func:`insurance_fund_target`): FHS paths of the price
  over ``insurance_horizon`` (bootstrap of standardised historical returns, re-scaled by the two-speed EWMA
  recursion), a book at the upper OI cap split long/short with leverage drawn between the tier maximum and a third
  of it, liquidation after the liquidation delay at the price then reached, minus the impact of closing; the target
  is the ``coverage`` quantile of the summed shortfalls per window.

The price impact model here is deliberately tiny and lives in the spec (``[perp]`` depth parameters); the shared
liquidity curves of :mod:`solvency.market` can replace it when they exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec, PerpSpec
from solvency.errors import SolvencyInputError
from solvency.market.fhs import FHSModel, current_tail_move, fhs_tail_moves
from solvency.units import parse_duration

ONE_MILLION = 1_000_000


def impact(size: Any, spec: PerpSpec) -> np.ndarray:
    """Price impact (fraction) of closing ``size`` quote units: ``c · (size / reference) ** exponent``."""
    size = np.asarray(size, dtype="float64")
    return spec.impact_coefficient * (np.maximum(size, 0.0) / spec.impact_reference) ** spec.impact_exponent


def oi_ramp_imf(base_imf: Any, lower_cap: Any, upper_cap: Any, open_interest: Any) -> np.ndarray:
    """dYdX v4 open-interest-scaled IMF: ``base + (1 − base)·(OI − lower)/(upper − lower)``, clamped to [base, 1].

    ``upper_cap == 0`` disables the ramp (dYdX's convention). MMF is not scaled.

    Examples
    --------
    >>> round(float(oi_ramp_imf(0.2, 1e6, 2e6, 1.5e6)), 12)
    0.6
    """
    base, lo, hi, oi = np.broadcast_arrays(
        *(np.asarray(a, dtype="float64") for a in (base_imf, lower_cap, upper_cap, open_interest))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        ramp = base + (1.0 - base) * (oi - lo) / (hi - lo)
    out = np.where(oi <= lo, base, np.where(oi >= hi, 1.0, ramp))
    return np.where(hi == 0, base, out)


def oi_ramp_imf_ppm(base_ppm: int, lower_cap: int, upper_cap: int, open_interest: int) -> int:
    """The same ramp in dYdX's integer arithmetic (parts per million, quote quantums), rounding down as
    ``GetAdjustedInitialMarginPpm`` in ``protocol/x/perpetuals/types/liquidity_tier.go`` does.

    Examples
    --------
    >>> oi_ramp_imf_ppm(200_000, 1_000_000, 2_000_000, 1_234_567)
    387653
    """
    if upper_cap == 0 or open_interest <= lower_cap:
        return int(base_ppm)
    if open_interest >= upper_cap:
        return ONE_MILLION
    return int(base_ppm) + (ONE_MILLION - int(base_ppm)) * (open_interest - lower_cap) // (upper_cap - lower_cap)


def initial_margin_quantums(notional: int, imf_ppm: int) -> int:
    """Initial margin in quote quantums, rounded up (dYdX ``BigMulPpm(…, roundUp=true)``)."""
    return -((-int(notional) * int(imf_ppm)) // ONE_MILLION)


def liquidation_fee(spec: PerpSpec) -> float:
    """Fee that pays a liquidator for a typical liquidation: its impact plus the keeper cost per unit, clipped."""
    raw = float(impact(spec.typical_liquidation_size, spec)) + spec.keeper_cost / spec.typical_liquidation_size
    return float(np.clip(raw, spec.liquidation_fee_floor, spec.liquidation_fee_cap))


def oi_caps(spec: PerpSpec) -> tuple[float, float]:
    """Lower and upper OI caps (quote units) from the depth: closing ``share × lower`` costs ``oi_impact_budget``."""
    closable = spec.impact_reference * (spec.oi_impact_budget / spec.impact_coefficient) ** (1.0 / spec.impact_exponent)
    lower = closable / spec.oi_liquidation_share
    return lower, lower * spec.oi_cap_ratio


def margin_tiers(tail_move: float, fee: float, spec: PerpSpec) -> list[dict[str, float]]:
    """MMF and IMF per notional tier (non-decreasing in size by construction)."""
    tiers = []
    for notional in spec.tier_notionals:
        mmf = min(tail_move + float(impact(notional, spec)) + fee, 1.0)
        tiers.append({"max_notional": float(notional), "imf": min(mmf / spec.maintenance_fraction, 1.0), "mmf": mmf})
    return tiers


def tier_margins(size: Any, tiers: list[dict[str, float]]) -> tuple[np.ndarray, np.ndarray]:
    """IMF and MMF that apply to positions of notional ``size`` (beyond the last tier: IMF = MMF = 1)."""
    size = np.asarray(size, dtype="float64")
    bounds = np.array([t["max_notional"] for t in tiers])
    idx = np.searchsorted(bounds, size, side="left")
    imf = np.append([t["imf"] for t in tiers], 1.0)[idx]
    mmf = np.append([t["mmf"] for t in tiers], 1.0)[idx]
    return imf, mmf


@dataclass(frozen=True)
class InsuranceResult:
    """Simulated bankruptcies per window: the target (quantile), mean, and probability of any shortfall."""

    target: float
    mean: float
    probability: float
    paths: int
    horizon: int


def insurance_fund_target(
    prices: pd.DataFrame,
    tiers: list[dict[str, float]],
    *,
    open_interest: float,
    coverage: float,
    spec: PerpSpec,
    seed: int | np.random.Generator | None = None,
) -> InsuranceResult:
    """Monte Carlo target of the insurance fund (quote units); see the module docstring for the model."""
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(spec.seed if seed is None else seed)
    model = FHSModel()
    frame = fhs_tail_moves(prices, coverage=coverage, horizon=1, model=model)
    step = frame.attrs["step"]
    bar = fhs_tail_moves(prices, coverage=coverage, horizon=step, model=model)
    z = (bar["move"] / bar["sigma"]).to_numpy()
    z = z[np.isfinite(z)]
    if z.size < 100:
        raise SolvencyInputError("too few bars to bootstrap standardised returns for the insurance fund")
    sigma0 = float(bar["sigma"].dropna().iloc[-1])
    n_steps = max(1, round(parse_duration(spec.insurance_horizon) / step))
    delay = max(1, int(np.ceil(parse_duration(spec.liquidation_horizon) / step)))
    paths = spec.insurance_paths
    # FHS paths: r = σ_t z, with σ_t from the same fast/slow EWMA recursion as the margin model.
    draws = rng.choice(z, size=(paths, n_steps + delay))
    fast = np.full(paths, sigma0**2)
    slow = np.full(paths, sigma0**2)
    rets = np.empty_like(draws)
    for t in range(draws.shape[1]):
        r = np.sqrt(np.maximum(fast, slow)) * draws[:, t]
        rets[:, t] = r
        fast = model.fast_decay * fast + (1 - model.fast_decay) * r * r
        slow = model.slow_decay * slow + (1 - model.slow_decay) * r * r
    rel = np.expm1(np.cumsum(rets, axis=1))  # P_t / P_0 − 1 after each bar
    # The book: each side holds open_interest / 2 in positions of lognormal size, leverage between max and max/3.
    m = spec.insurance_positions
    raw = rng.lognormal(0.0, 1.5, size=(2, m))
    size = raw / raw.sum(axis=1, keepdims=True) * open_interest / 2
    imf, mmf = tier_margins(size, tiers)
    margin = np.minimum(imf * rng.uniform(1.0, 3.0, size=(2, m)), 1.0)
    cost = impact(size, spec)
    # Liquidation thresholds on the relative price move: long when R < (MMF − m)/(1 − MMF); short when
    # R > (m − MMF)/(1 + MMF).
    long_thr = (mmf[0] - margin[0]) / np.maximum(1.0 - mmf[0], 1e-12)
    short_thr = (margin[1] - mmf[1]) / (1.0 + mmf[1])
    losses = np.zeros(paths)
    window = rel[:, :n_steps]
    run_min = np.minimum.accumulate(window, axis=1)
    run_max = np.maximum.accumulate(window, axis=1)
    for p in range(paths):
        # first bar at which each threshold is crossed (running extremes are monotone: binary search)
        t_long = np.searchsorted(-run_min[p], -long_thr, side="left")
        t_short = np.searchsorted(run_max[p], short_thr, side="left")
        hit_l = t_long < n_steps
        hit_s = t_short < n_steps
        loss = 0.0
        if hit_l.any():
            r_exec = rel[p, t_long[hit_l] + delay]
            equity = margin[0][hit_l] + r_exec - cost[0][hit_l] * (1 + r_exec)
            loss += float(np.sum(np.maximum(-equity, 0.0) * size[0][hit_l]))
        if hit_s.any():
            r_exec = rel[p, t_short[hit_s] + delay]
            equity = margin[1][hit_s] - r_exec - cost[1][hit_s] * (1 + r_exec)
            loss += float(np.sum(np.maximum(-equity, 0.0) * size[1][hit_s]))
        losses[p] = loss
    return InsuranceResult(
        target=float(np.quantile(losses, coverage)),
        mean=float(losses.mean()),
        probability=float((losses > 0).mean()),
        paths=paths,
        horizon=n_steps * step,
    )


@dataclass(frozen=True)
class PerpCalibration:
    """Calibrated perp parameters (fractions of notional; caps and fund in quote units)."""

    imf: float
    mmf: float
    maintenance_fraction: float
    tiers: list[dict[str, float]]
    oi_lower_cap: float
    oi_upper_cap: float
    liquidation_fee: float
    insurance_fund_target: float
    coverage: float
    tail_move: float
    tail_move_current: float
    tail_move_average: float
    liquidation_horizon: str
    insurance: InsuranceResult = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The issue's JSON shape."""
        return {
            "imf": self.imf,
            "mmf": self.mmf,
            "maintenance_fraction": self.maintenance_fraction,
            "tiers": self.tiers,
            "oi_lower_cap": self.oi_lower_cap,
            "oi_upper_cap": self.oi_upper_cap,
            "liquidation_fee": self.liquidation_fee,
            "insurance_fund_target": self.insurance_fund_target,
            "coverage": self.coverage,
        }


def calibrate_perp(
    market: MarketSpec | None = None,
    *,
    prices: pd.DataFrame | None = None,
    seed: int | np.random.Generator | None = None,
) -> PerpCalibration:
    """Calibrate a perp market's margins, tiers, OI caps, liquidation fee and insurance-fund target.

    Parameters
    ----------
    market
        Market spec; its ``[perp]`` section holds the mechanics and depth, ``risk.coverage`` the coverage level.
        Default: ``MarketSpec()`` (the embedded sample).
    prices
        Price history; default the market's ``prices`` (file, or the embedded sample at ``prices.freq``).
    seed
        Seed or generator of the insurance-fund simulation (default ``perp.seed``).

    Returns
    -------
    PerpCalibration
        ``to_dict()`` gives ``imf, mmf, maintenance_fraction, tiers, oi_lower_cap, oi_upper_cap, liquidation_fee,
        insurance_fund_target, coverage``.
    """
    from solvency.data.resolve import prices_or_sample

    market = market or MarketSpec()
    spec = market.perp
    coverage = market.risk.coverage
    if prices is None:
        prices = prices_or_sample(market.prices.file, column=market.prices.column, freq=market.prices.freq)
    horizon = parse_duration(spec.liquidation_horizon)
    moves = current_tail_move(prices, coverage=coverage, horizon=horizon)
    tail = {"max": max(moves["current"], moves["average"]), "current": moves["current"], "average": moves["average"]}[
        spec.vol_basis
    ]
    fee = liquidation_fee(spec)
    tiers = margin_tiers(tail, fee, spec)
    lower, upper = oi_caps(spec)
    fund = insurance_fund_target(prices, tiers, open_interest=upper, coverage=coverage, spec=spec, seed=seed)
    return PerpCalibration(
        imf=tiers[0]["imf"],
        mmf=tiers[0]["mmf"],
        maintenance_fraction=spec.maintenance_fraction,
        tiers=tiers,
        oi_lower_cap=lower,
        oi_upper_cap=upper,
        liquidation_fee=fee,
        insurance_fund_target=fund.target,
        coverage=coverage,
        tail_move=tail,
        tail_move_current=moves["current"],
        tail_move_average=moves["average"],
        liquidation_horizon=spec.liquidation_horizon,
        insurance=fund,
    )
