"""Portfolio margin of a book of options and perps on one underlying.

IM = max(worst weighted scenario loss, short-option minimum); MM = ``maintenance_ratio`` × IM. The scenario loss
is the revaluation loss over the grid of :mod:`solvency.margin.grid` (options with Black-76 on the forward, r = 0
by default as on crypto venues; perps linearly). ``R`` comes from the volatility model: the FHS tail move at
``risk.coverage`` over ``options.margin_horizon`` (:mod:`solvency.market.fhs`), unless the spec fixes
``options.price_range``. The worst scenario's P&L is attributed to delta, gamma and vega (Taylor terms with the
book's Greeks) and a residual (higher orders: vanna, volga, the rest of the smile of the payoff).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from solvency.config import MarketSpec
from solvency.errors import SolvencyInputError
from solvency.margin.grid import VOL_STATES, Grid, build_grid, vol_multipliers
from solvency.margin.kernel import scenario_pnl
from solvency.margin.positions import Book, positions_from_frame, read_positions
from solvency.pricing.black import black76
from solvency.units import SECONDS_PER_YEAR, parse_duration


@dataclass(frozen=True)
class PortfolioMargin:
    """Initial / maintenance margin of one portfolio, its worst scenario, Greeks and their attribution."""

    initial_margin: float
    maintenance_margin: float
    worst_scenario: dict[str, float]
    greeks: dict[str, float]
    attribution: dict[str, float]
    scenarios: list[dict[str, float]]
    short_option_minimum: float
    price_range: float
    spot: float
    valuation_time: pd.Timestamp
    positions: int
    details: dict[str, Any] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``solvency margin`` (quote units; moves and shocks as fractions)."""
        return {
            "initial_margin": self.initial_margin,
            "maintenance_margin": self.maintenance_margin,
            "worst_scenario": self.worst_scenario,
            "greeks": self.greeks,
            "scenarios": self.scenarios,
            "attribution": self.attribution,
            "short_option_minimum": self.short_option_minimum,
            "price_range": self.price_range,
            "spot": self.spot,
            "valuation_time": self.valuation_time,
            "positions": self.positions,
        }


def _market_state(market: MarketSpec, prices: pd.DataFrame | None) -> tuple[float, pd.Timestamp, float, float]:
    """Spot, valuation time, R and the fallback implied vol from the spec and the price history."""
    from solvency.data.resolve import prices_or_sample
    from solvency.market.fhs import current_tail_move

    opts = market.options
    need_history = opts.spot is None or opts.price_range is None or opts.implied_vol is None
    if prices is None and need_history:
        prices = prices_or_sample(market.prices.file, column=market.prices.column, freq=market.prices.freq)
    spot = opts.spot if opts.spot is not None else float(prices["close"].iloc[-1])
    if opts.valuation_time is not None:
        now = pd.Timestamp(opts.valuation_time)
        now = now.tz_localize("UTC") if now.tzinfo is None else now.tz_convert("UTC")
    elif prices is not None:
        now = pd.Timestamp(prices.index[-1])
    else:
        now = pd.Timestamp.now(tz="UTC")
    price_range, fallback_vol = opts.price_range, opts.implied_vol
    if price_range is None or fallback_vol is None:
        tail = current_tail_move(prices, coverage=market.risk.coverage, horizon=parse_duration(opts.margin_horizon))
        price_range = price_range if price_range is not None else min(tail["current"], 0.9)
        fallback_vol = fallback_vol if fallback_vol is not None else tail["sigma_annual"]
    return float(spot), now, float(price_range), float(fallback_vol)


def portfolio_margin(
    positions: Book | pd.DataFrame | str | Path,
    market: MarketSpec | None = None,
    *,
    prices: pd.DataFrame | None = None,
    engine: str = "auto",
) -> PortfolioMargin:
    """Portfolio margin of a book of options and perps (all accounts together as one portfolio).

    Parameters
    ----------
    positions
        A :class:`~solvency.margin.positions.Book`, a frame with the positions-file columns, or a CSV path.
    market
        Market spec: ``[options]`` holds the grid and margin settings, ``risk.coverage`` the coverage of R.
    prices
        Price history of the underlying (default: the spec's); sets spot, valuation time, R and the IV fallback.
    engine
        Scenario kernel: ``"auto"``, ``"numba"`` or ``"numpy"``.

    Returns
    -------
    PortfolioMargin
        ``to_dict()`` holds ``initial_margin, maintenance_margin, worst_scenario {price_move, vol_shock, pnl},
        greeks {delta, gamma, vega, theta}, scenarios, attribution`` and the inputs used.
    """
    market = market or MarketSpec()
    book = _as_book(positions)
    spot, now, price_range, fallback_vol = _market_state(market, prices)
    opts = market.options
    grid = build_grid(price_range, opts)
    is_opt = book.sign != 0
    t = np.zeros(len(book))
    if is_opt.any():
        seconds = (book.expiry[is_opt] - now).total_seconds().to_numpy()
        if (seconds <= 0).any():
            row = int(np.flatnonzero(is_opt)[np.flatnonzero(seconds <= 0)[0]]) + 1
            raise SolvencyInputError(
                f"option {book.instrument[row - 1]} expired at {book.expiry[row - 1]} (valuation time {now})",
                row=row,
                hint="remove expired positions or set options.valuation_time",
            )
        t[is_opt] = seconds / SECONDS_PER_YEAR
    vol = np.where(np.isnan(book.vol), fallback_vol, book.vol)
    opt = np.flatnonzero(is_opt)
    disc = np.exp(-opts.rate * t[opt])
    mult = vol_multipliers(t[opt] * 365.0, opts)
    pnl = scenario_pnl(
        book.sign[opt],
        spot,
        book.strike[opt],
        t[opt],
        vol[opt],
        book.quantity[opt],
        np.zeros(opt.size, dtype=np.int64),
        1,
        grid.move,
        grid.vol_state,
        mult,
        disc,
        engine=engine,
    )[0]
    perp_size = float(book.quantity[~is_opt].sum())
    pnl = pnl + perp_size * spot * grid.move
    weighted_loss = np.maximum(-pnl, 0.0) * grid.weight
    worst = int(np.argmax(weighted_loss))
    shorts = book.quantity[opt] < 0
    short_min = float(opts.short_option_minimum * spot * np.abs(book.quantity[opt][shorts]).sum())
    initial = float(max(weighted_loss[worst], short_min))

    g = black76(book.sign[opt], spot, book.strike[opt], t[opt], vol[opt], opts.rate)
    q = book.quantity[opt]
    greeks = {
        "delta": float(np.sum(q * g.delta) + perp_size),
        "gamma": float(np.sum(q * g.gamma)),
        "vega": float(np.sum(q * g.vega)),
        "theta": float(np.sum(q * g.theta)),
    }
    move = float(grid.move[worst])
    ds = spot * move
    dvol = vol[opt] * (mult[:, grid.vol_state[worst]] - 1.0)
    attribution = {
        "delta": greeks["delta"] * ds,
        "gamma": 0.5 * greeks["gamma"] * ds * ds,
        "vega": float(np.sum(q * g.vega * dvol)),
    }
    attribution["residual"] = float(pnl[worst] - sum(attribution.values()))
    shock = {"flat": 0.0, "up": opts.vol_up, "down": -opts.vol_down}
    scenarios = [
        {
            "price_move": float(m),
            "vol_shock": shock[VOL_STATES[s]],
            "weight": float(w),
            "pnl": float(p),
        }
        for m, s, w, p in zip(grid.move, grid.vol_state, grid.weight, pnl, strict=True)
    ]
    return PortfolioMargin(
        initial_margin=initial,
        maintenance_margin=opts.maintenance_ratio * initial,
        worst_scenario={
            "price_move": move,
            "vol_shock": shock[VOL_STATES[grid.vol_state[worst]]],
            "pnl": float(pnl[worst]),
        },
        greeks=greeks,
        attribution=attribution,
        scenarios=scenarios,
        short_option_minimum=short_min,
        price_range=price_range,
        spot=spot,
        valuation_time=now,
        positions=len(book),
        details={"grid": grid, "fallback_vol": fallback_vol},
    )


def _as_book(positions: Book | pd.DataFrame | str | Path) -> Book:
    if isinstance(positions, Book):
        return positions
    if isinstance(positions, pd.DataFrame):
        return positions_from_frame(positions)
    return read_positions(positions)


__all__ = ["Grid", "PortfolioMargin", "portfolio_margin"]
