"""The lending calibrator: LTV, liquidation threshold, bonus and caps for one collateral, with the evidence.

:func:`calibrate_lending` runs, in order:

1. **Market model.** Price history (file, frame or the scaled embedded sample, :mod:`~solvency.calibrate.history`);
   σ from :func:`solvency.market.volatility.volatility` over ``[risk] horizon`` with ``[calibration] vol_model``,
   annualised; the start price is the last close.
2. **Liquidation bonus** from the stress scenarios (:mod:`~solvency.calibrate.bonus`).
3. **Liquidation threshold**: the LT surface ``LT*(σ, D)`` on an absolute σ grid and an absolute depth ladder,
   searched on common-random-number stress paths with the simulator's engine (:mod:`~solvency.calibrate.frontier`,
   :mod:`~solvency.calibrate.ladder`), read at the market's σ and depth — ES99 of bad debt over the horizon
   within ``budget × debt``. By construction LT never rises with σ and never falls with depth.
4. **LTV** = LT − buffer (:mod:`~solvency.calibrate.buffer`).
5. **Caps** by the Chaos Labs method (:mod:`~solvency.calibrate.caps`).
6. **Invariants** enforced and reported (:mod:`~solvency.calibrate.invariants`).
7. **Evidence**: the recommendation and the parameters in force re-simulated on *all* paths (ES99, VaR95, LaR95,
   probability of bad debt); baselines (SmartLTV, Morpho Blue's LIF, the current parameters); sensitivity of LT
   and caps to σ (×0.75/×1.25/×1.5) and to depth (×0.5/×2), read off the same surface; optionally bad debt
   against LT at the market's σ (the frontier the demo plots).
8. **Transition plan** from the current parameters (:mod:`~solvency.calibrate.transition`).
9. **E-mode** when the spec has ``[calibration.emode]`` (:mod:`~solvency.calibrate.emode`).

Stress model of the LT search (stated once, used everywhere): ``[risk] paths`` paths over ``[risk] horizon`` in
``[calibration] step`` (default ``[sim] step``) steps (:mod:`~solvency.calibrate.stress_paths`): a diffusion with
a per-path volatility level (``[calibration] vol_mixture``: by default the law *measured* on ETH — the 3-day
continuous realized volatility over the EWMA forecast at its start, 2017–2025,
:data:`~solvency.market.vol_mixture.ETH_VOL_MIXTURE`, forecast bias kept, sampled by stratification so every seed
represents its tail alike; ``"student-t"`` gives the first calibrator's ν = ``tail_df`` mixture, whose infinite
fourth moment made LT move ~20 pp with the seed) plus compensated compound-Poisson *downward jumps*
(``[calibration] jumps``: by default the law estimated with the Lee-Mykland test on ETH hourly returns 2017–2025,
:data:`~solvency.market.jumps.ETH_HOURLY_JUMPS` — jumps of 5.3 + Exp(2.65) diffusive sds of an hourly return, at a
rate falling with the path's volatility level, ``13.72·s^−1.112`` a year (``[calibration] jump_rate = "level"``,
thinned; ``"pooled"``: 26.4 a year at every level); ``"none"`` gives the diffusion alone), jump sizes scaling with
σ and σ the total volatility (split from the jumps' variance path by path); prices are martingales. Depth ×
``[liquidity] stress_multiplier`` (the ladder's rows: the market's curve shape at each node's depth); the market's
oracle, liquidators (capacity per ``[sim] step``, rescaled), close factor and impact recovery; the loan book with every
borrower keeping its health factor as LT changes. The JSON states the jump law under ``sensitivity.sigma.jumps`` and
``sensitivity.model.jumps``, the mixture under ``….vol_mixture``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from solvency.calibrate.baselines import MORPHO_SOURCE, SMART_LTV_SOURCE, morpho_lif, smart_ltv
from solvency.calibrate.bonus import BonusResult
from solvency.calibrate.buffer import Buffer, ltv_buffer
from solvency.calibrate.caps import CapResult, supply_caps
from solvency.calibrate.emode import EModeResult, calibrate_emode
from solvency.calibrate.frontier import Evaluation, Frontier, evaluate, severity_order
from solvency.calibrate.history import market_history
from solvency.calibrate.invariants import Clamp, Params, check, enforce
from solvency.calibrate.ladder import DEPTH_SLIPPAGE, DepthLadder
from solvency.calibrate.setup import annual_sigma, jump_info, market_spec, mixture_info, prepare
from solvency.calibrate.stress import StressCondition
from solvency.calibrate.transition import TransitionStep, transition_plan
from solvency.config import MarketSpec
from solvency.errors import SolvencyInputError
from solvency.market.liquidity import curve_from_spec
from solvency.sim.book import LoanBook
from solvency.units import format_duration, parse_duration

SIGMA_MULTIPLIERS = (0.75, 1.25, 1.5)
DEPTH_MULTIPLIERS = (0.5, 2.0)
SMART_LTV_C = 0.2
"""SmartLTV confidence factor c = 1/r with r = 5, the value Risk DAO's examples use."""

Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------------------------------------ result


@dataclass
class LendingCalibration:
    """What :func:`calibrate_lending` returns; :meth:`to_dict` is the ``solvency calibrate lending --json`` object.

    Attributes
    ----------
    params
        The recommendation (fractions; supply cap in units of the asset, borrow cap in the quote asset).
    current
        The parameters in force (caps: the spec's, else the book's supply and debt).
    sigma
        Annualised volatility the LT was read at; ``sigma_info`` says how it was measured.
    frontier
        The market's ``LT*(σ)`` on the σ grid: the LT surface read at its depth (interpolated between the two
        ladder rows around it, capped by ``LT·(1+LB) ≤ max_lt_bonus`` for the recommended bonus).
    ladder
        The LT surface: one staircase over σ per depth node, from the ladder's top down to the market's row
        (to the row below ×0.5 depth with depth sensitivity).
    risk, risk_current
        The recommendation and the current parameters simulated on all paths at σ.
    bonus, caps, buffer
        How LB, the caps and the LTV buffer were obtained.
    clamps
        Invariant clamps applied.
    lt_binding
        What stopped LT from rising: ``"budget"``, ``"lt_max"`` or ``"lt_times_one_plus_lb"``.
    search_exact
        Whether the search's shortcut (only the deepest falls simulated) gives the same ES99 as all paths at the
        recommendation.
    lt_curve
        Optional: bad debt against LT at σ (all paths), the frontier of bad debt vs capital efficiency.
    """

    market: str
    asset: str
    quote: str
    params: Params
    current: Params
    close_factor: float
    sigma: float
    sigma_info: dict[str, Any]
    budget: float
    debt_total: float
    frontier: Frontier
    ladder: DepthLadder
    risk: Evaluation
    risk_current: Evaluation
    bonus: BonusResult
    caps: CapResult
    buffer: Buffer
    clamps: list[Clamp]
    lt_binding: str
    search_exact: bool
    baselines: dict[str, Any]
    sensitivity: dict[str, Any]
    transition: list[TransitionStep]
    conditions: list[StressCondition]
    lt_curve: list[Evaluation] = field(default_factory=list)
    emode: EModeResult | None = None
    runtime_s: float = 0.0

    @property
    def budget_met(self) -> bool:
        """Whether the recommendation's ES99 (all paths, at σ) is within the budget."""
        return self.risk.es99 <= self.budget * self.debt_total * (1 + 1e-12)

    def invariants(self) -> dict[str, Any]:
        return {
            **check(self.params, max_lt_bonus=1.0),
            "clamps": [c.to_dict() for c in self.clamps],
            "lt_binding": self.lt_binding,
            "budget_met": self.budget_met,
            "search_exact": self.search_exact,
        }

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: exactly the keys of the issue's contract at the top level."""
        p = self.params
        return {
            "market": self.market,
            "asset": self.asset,
            "ltv": p.ltv,
            "liquidation_threshold": p.liquidation_threshold,
            "liquidation_bonus": p.liquidation_bonus,
            "close_factor": self.close_factor,
            "supply_cap": p.supply_cap,
            "borrow_cap": p.borrow_cap,
            "invariants": self.invariants(),
            "risk": {
                "bad_debt_es99": self.risk.es99,
                "bad_debt_var95": self.risk.var95,
                "lar95": self.risk.lar95,
                "prob_bad_debt": self.risk.prob,
            },
            "baselines": self.baselines,
            "sensitivity": self.sensitivity,
            "transition": [s.to_dict() for s in self.transition],
        }

    def _jumps_line(self) -> str:
        j = self.sigma_info.get("jumps")
        if not j:
            return "diffusion only (no jumps)"
        r = j.get("rate")
        rate = (
            f"{j['intensity_per_year']:.1f}/year"
            if not isinstance(r, dict)
            else f"{r['coef_per_year']:.2f}·σ_c^{r['exponent']:.2f}/year (pooled {j['intensity_per_year']:.1f})"
        )
        return (
            f"downward jumps {rate} of {j['threshold_sd']:.2f} + "
            f"Exp({j['mean_excess_sd']:.2f}) diffusive sds of {j['frequency']} ({j['source']})"
        )

    def _mixture_line(self) -> str:
        m = self.sigma_info.get("vol_mixture") or {}
        if m.get("kind") == "student-t":
            return f"Student-t volatility mixture, ν = {m['tail_df']:g}"
        return f"measured volatility mixture (median {m['median']:.2f}, 99 % {m['q99']:.2f}, max {m['max']:.2f} × σ)"

    def summary(self) -> str:
        """A few lines for humans."""
        p, c = self.params, self.current
        d = self.sensitivity["depth"]
        where = (
            f"above the ladder's top {d['node_below']:,.0f}: calibrated as the top node"
            if d["above_top"]
            else f"between ladder nodes {d['node_below']:,.0f} and {d['node_above']:,.0f} (weight {d['weight']:.2f})"
        )
        lines = [
            f"{self.market} ({self.asset}/{self.quote}): σ = {self.sigma:.1%} ({self.sigma_info['model']}, "
            f"{self.sigma_info['horizon']}), budget ES99 ≤ {self.budget:.2%} of debt {self.debt_total:,.0f}",
            f"  stress paths: {self._jumps_line()}; {self._mixture_line()}",
            f"  depth: {d['depth']:,.0f} {self.quote} sells within {DEPTH_SLIPPAGE:.0%} average slippage, {where}",
            f"  recommended LTV {p.ltv:.2%}  LT {p.liquidation_threshold:.2%}  LB {p.liquidation_bonus:.2%}  "
            f"supply cap {p.supply_cap:,.0f}  borrow cap {p.borrow_cap:,.0f}",
            f"  current     LTV {c.ltv:.2%}  LT {c.liquidation_threshold:.2%}  LB {c.liquidation_bonus:.2%}",
            f"  ES99 bad debt: recommended {self.risk.es99:,.0f}, current {self.risk_current.es99:,.0f}",
            f"  {self.baselines['current']['comparison']}",
            f"  transition: {len(self.transition)} steps over "
            f"{self.transition[-1].after_days if self.transition else 0:g} days",
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- pieces


def _comparison(lt: float, cur: float, risk: Evaluation, risk_cur: Evaluation, allowed: float, binding: str) -> str:
    diff = lt - cur
    verdict = "above" if diff > 1e-9 else ("below" if diff < -1e-9 else "equal to")
    why = {
        "budget": "where ES99 of bad debt reaches the budget",
        "lt_max": "capped by [calibration] lt_max, below where the budget binds",
        "lt_times_one_plus_lb": "capped by LT·(1+LB) ≤ max_lt_bonus, below where the budget binds",
    }[binding]
    return (
        f"LT {lt:.2%} is {abs(diff) * 100:.2f} pp {verdict} the current {cur:.2%}: the frontier stops at {lt:.2%} "
        f"({why}); at the current LT the stress ES99 is {risk_cur.es99:,.0f} = {risk_cur.es99 / allowed:.0%} of the "
        f"budget, at the recommendation {risk.es99:,.0f} = {risk.es99 / allowed:.0%}"
    )


# ------------------------------------------------------------------------------------------------- main


def calibrate_lending(
    market: MarketSpec | str | Path | None = None,
    *,
    book: LoanBook | str | Path | None = None,
    budget: float | None = None,
    prices: str | Path | pd.DataFrame | None = None,
    paths: int | None = None,
    seed: int | None = None,
    lt_curve: Sequence[float] | None = None,
    depth_sensitivity: bool = True,
    emode: bool = True,
    progress: Progress | None = None,
) -> LendingCalibration:
    """Recommend LTV, LT, LB and caps for a lending market (method in the module docstring).

    Parameters
    ----------
    market
        Market spec, TOML path, or None for ``MarketSpec()`` (WETH/USDC on the embedded sample).
    book
        Loan book (object or CSV path); default the spec's (file or synthetic).
    budget
        ES99 of bad debt allowed over the horizon, fraction of debt (default ``[risk] budget``).
    prices
        Price history (file or frame) replacing the spec's.
    paths, seed
        Stress paths (default ``[risk] paths``) and seed (default ``[calibration] seed``).
    lt_curve
        LT values at which to report bad debt at the market's σ on all paths (the demo's frontier plot).
    depth_sensitivity
        Report LT, LB and caps at depth ×0.5 and ×2, read off the LT surface (one more ladder row, below the
        market's).
    emode
        Calibrate the spec's ``[calibration.emode]`` category too, when there is one.
    progress
        ``progress(stage, done, total)`` as the stages advance.

    Returns
    -------
    LendingCalibration

    Examples
    --------
    >>> from solvency.calibrate.lending import calibrate_lending
    >>> r = calibrate_lending(paths=256, depth_sensitivity=False)
    >>> 0 < r.params.ltv < r.params.liquidation_threshold < 1
    True
    """
    started = time.perf_counter()
    spec = market_spec(market)
    cal = spec.calibration
    tick = progress or (lambda stage, done, total: None)

    tick("market model", 0, 1)
    history = market_history(spec, prices)
    horizon = parse_duration(spec.calibration.horizon or spec.risk.horizon)
    sigma, sigma_info = annual_sigma(history, cal.vol_model, horizon)
    sigma_info["jumps"] = jump_info(spec)
    sigma_info["vol_mixture"] = mixture_info(spec)
    if sigma > cal.sigma_max:
        raise SolvencyInputError(
            f"σ = {sigma:.2f} is above the frontier's grid (sigma_max {cal.sigma_max})", hint="raise sigma_max"
        )
    s0 = float(spec.sim.start_price or history["close"].iloc[-1])
    setup = prepare(spec, book=book, budget=budget, s0=s0, paths=paths, seed=seed)
    budget, shape, loan_book, grid = setup.budget, setup.shape, setup.book, setup.grid
    tick("market model", 1, 1)

    bonus = setup.bonus()
    lb = setup.lb()
    model = setup.model()
    start = setup.lt_start(lb)
    market_depth = setup.market_depth
    ladder = setup.ladder(
        setup.sigmas(up_to=sigma),
        lowest=market_depth * (min(DEPTH_MULTIPLIERS) if depth_sensitivity else 1.0),
        progress=lambda d, t: tick("LT surface", d, t),
    )
    # σ sensitivity reads above the market's σ: only the two rows around the market go that far
    setup.extend(ladder, setup.sigmas(up_to=sigma * max(SIGMA_MULTIPLIERS)), progress=lambda d, t: tick("σ", d, t))
    frontier = setup.read(ladder)
    lt_raw = frontier.lt_at(sigma)
    # What stopped LT: the budget, unless LT sits where the rows around the market would stand without it (each
    # row's highest grid LT under its own LT·(1+LB_k) bound, read like the frontier) — then lt_max or that bound.
    (j, w), top = setup.nodes.bracket(market_depth), setup.nodes.top
    low, high = (float(grid[grid <= setup.lt_start(ladder.rows[k].lb) + 1e-12][-1]) for k in (j, min(j + 1, top)))
    if lt_raw < min(low + w * (high - low), start) - 1e-9:
        binding = "budget"
    else:
        binding = "lt_max" if lt_raw >= cal.lt_max - 1e-9 else "lt_times_one_plus_lb"
    depth, conditions, step, stress = setup.depth, setup.conditions, setup.step, setup.stress

    ltv_h = parse_duration(cal.ltv_horizon)
    buffer = ltv_buffer(lt_raw, sigma, horizon=ltv_h, coverage=cal.ltv_coverage, tail_df=cal.tail_df)
    caps = supply_caps(
        shape,
        depth,
        conditions,
        bonus=lb,
        lt=lt_raw,
        liquidated_at_once=cal.liquidated_at_once,
        extreme_drop=cal.extreme_drop,
        depth_multiplier=market_depth,
    )
    lb_raw = bonus.needed if cal.liquidation_bonus is None else cal.liquidation_bonus
    raw = Params(buffer.ltv, lt_raw, lb_raw, caps.supply_cap, caps.borrow_cap)
    params, clamps = enforce(raw, ltv_gap=cal.ltv_gap, max_lt_bonus=cal.max_lt_bonus, lb_max=cal.lb_max)
    params = Params(
        math.floor(params.ltv * 1e6) / 1e6,
        math.floor(params.liquidation_threshold * 1e6) / 1e6,
        params.liquidation_bonus,
        params.supply_cap,
        params.borrow_cap,
    )

    tick("evidence", 0, 3)
    prices_now = setup.paths.prices(sigma, s0)
    order = severity_order(prices_now)
    lt, lb = params.liquidation_threshold, params.liquidation_bonus
    final = evaluate(model, prices_now, lt, lb, sigma=sigma, order=order, early_stop=False, skip_clean=False)
    shortcut = evaluate(model, prices_now, lt, lb, sigma=sigma, order=order, early_stop=False, share=cal.search_share)
    search_exact = abs(shortcut.es99 - final.es99) <= 1e-9 * max(1.0, shape.debt_total)
    tick("evidence", 1, 3)
    cur = spec.current
    current = Params(
        cur.ltv,
        cur.liquidation_threshold,
        cur.liquidation_bonus,
        cur.supply_cap if cur.supply_cap is not None else float(loan_book.collateral.sum()),
        cur.borrow_cap if cur.borrow_cap is not None else loan_book.debt_total,
    )
    risk_current = evaluate(
        model,
        prices_now,
        cur.liquidation_threshold,
        cur.liquidation_bonus,
        sigma=sigma,
        order=order,
        early_stop=False,
        skip_clean=False,
    )
    tick("evidence", 2, 3)

    curve_evs = [
        evaluate(model, prices_now, float(x), lb, sigma=sigma, order=order, early_stop=False) for x in (lt_curve or ())
    ]

    sens_sigma = []
    for m in SIGMA_MULTIPLIERS:
        s = sigma * m
        if s > frontier.sigmas[-1] * (1 + 1e-12):  # beyond the grid (sigma_max): not computed
            sens_sigma.append({"multiplier": m, "sigma": s, "liquidation_threshold": None, "ltv": None})
            continue
        lt_m = frontier.lt_at(s)
        buf_m = ltv_buffer(lt_m, s, horizon=ltv_h, coverage=cal.ltv_coverage, tail_df=cal.tail_df)
        cap_m = supply_caps(
            shape, depth, conditions, bonus=lb, lt=lt_m, liquidated_at_once=cal.liquidated_at_once,
            extreme_drop=cal.extreme_drop, depth_multiplier=market_depth,
        )  # fmt: skip
        sens_sigma.append(
            {
                "multiplier": m,
                "sigma": s,
                "liquidation_threshold": lt_m,
                "ltv": min(buf_m.ltv, lt_m - cal.ltv_gap),
                "supply_cap": cap_m.supply_cap,
                "borrow_cap": cap_m.borrow_cap,
            }
        )
    sens_depth = []
    if depth_sensitivity:
        for m in DEPTH_MULTIPLIERS:
            fr_m = setup.read(ladder, m)
            lt_m = fr_m.lt_at(sigma)
            cap_m = supply_caps(
                shape, depth, conditions, bonus=fr_m.lb, lt=lt_m, liquidated_at_once=cal.liquidated_at_once,
                extreme_drop=cal.extreme_drop, depth_multiplier=market_depth * m,
            )  # fmt: skip
            sens_depth.append(
                {
                    "multiplier": m,
                    "depth": market_depth * m,
                    "liquidation_threshold": lt_m,
                    "liquidation_bonus": fr_m.lb,
                    "budget_met": fr_m.found_at(sigma),
                    "supply_cap": cap_m.supply_cap,
                    "borrow_cap": cap_m.borrow_cap,
                }
            )
    tick("evidence", 3, 3)

    stressed_curve = curve_from_spec(spec.liquidity).stressed(stress)
    liquidity_at_bonus = stressed_curve.size_at_slippage(params.liquidation_bonus)
    smart = smart_ltv(sigma, liquidity_at_bonus, params.borrow_cap, params.liquidation_bonus, SMART_LTV_C)
    lif = morpho_lif(params.liquidation_threshold)
    allowed = budget * shape.debt_total
    baselines = {
        "smart_ltv": {
            "ltv": smart,
            "sigma": sigma,
            "liquidity": liquidity_at_bonus,
            "debt_cap": params.borrow_cap,
            "bonus": params.liquidation_bonus,
            "c": SMART_LTV_C,
            "source": SMART_LTV_SOURCE,
        },
        "morpho_lif": {
            "lltv": params.liquidation_threshold,
            "lif": lif,
            "bonus": lif - 1.0,
            "source": MORPHO_SOURCE,
        },
        "current": {
            **current.to_dict(),
            "caps_from": "spec" if cur.supply_cap is not None else "book (supply and debt in force)",
            "risk": {
                "bad_debt_es99": risk_current.es99,
                "bad_debt_var95": risk_current.var95,
                "lar95": risk_current.lar95,
                "prob_bad_debt": risk_current.prob,
            },
            "comparison": _comparison(
                params.liquidation_threshold, cur.liquidation_threshold, final, risk_current, allowed, binding
            ),
        },
    }
    sensitivity = {
        "sigma": {"base": sigma, **sigma_info, "points": sens_sigma},
        "depth": {
            "stress_multiplier": stress,
            "depth": market_depth,
            "depth_slippage": DEPTH_SLIPPAGE,
            "node_below": setup.nodes.value(j),
            "node_above": None if j >= setup.nodes.top else setup.nodes.value(j + 1),
            "weight": w,
            "above_top": j >= setup.nodes.top,
            "points": sens_depth,
        },
        "frontier": frontier.to_dict(),
        "ladder": ladder.to_dict(),
        "lt_curve": [
            {
                "liquidation_threshold": ev.lt,
                "ltv": ltv_buffer(ev.lt, sigma, horizon=ltv_h, coverage=cal.ltv_coverage, tail_df=cal.tail_df).ltv,
                "bad_debt_es99": ev.es99,
                "bad_debt_var95": ev.var95,
                "prob_bad_debt": ev.prob,
            }
            for ev in curve_evs
        ],
        "model": {
            "budget": budget,
            "debt_total": shape.debt_total,
            "paths": setup.paths.n_paths,
            "horizon": format_duration(horizon),
            "step": format_duration(step),
            "tail_df": cal.tail_df,
            "jumps": sigma_info["jumps"],
            "vol_mixture": sigma_info["vol_mixture"],
            "depth_multiplier": stress,
            "search_share": cal.search_share,
            "start_price": s0,
            "bonus": bonus.to_dict(),
            "caps": caps.to_dict(),
            "ltv_buffer": buffer.to_dict(),
            "conditions": [c.to_dict() for c in conditions],
        },
    }

    plan = transition_plan(
        current,
        params,
        collateral=loan_book.collateral[:, 0],
        debt=loan_book.debt,
        price=s0,
        steward=cal.steward,
        ltv_gap=cal.ltv_gap,
        max_lt_bonus=cal.max_lt_bonus,
    )
    em = None
    if emode and cal.emode is not None:
        em = calibrate_emode(spec, paths=setup.paths.n_paths, seed=seed, budget=budget)
    return LendingCalibration(
        market=spec.name,
        asset=spec.asset,
        quote=spec.quote,
        params=params,
        current=current,
        close_factor=spec.current.close_factor,
        sigma=sigma,
        sigma_info=sigma_info,
        budget=budget,
        debt_total=shape.debt_total,
        frontier=frontier,
        ladder=ladder,
        risk=final,
        risk_current=risk_current,
        bonus=bonus,
        caps=caps,
        buffer=buffer,
        clamps=clamps,
        lt_binding=binding,
        search_exact=search_exact,
        baselines=baselines,
        sensitivity=sensitivity,
        transition=plan,
        conditions=conditions,
        lt_curve=curve_evs,
        emode=em,
        runtime_s=time.perf_counter() - started,
    )
