"""Generate ``quantlib_black_reference.json``: Black-Scholes and Black-76 prices and Greeks from QuantLib.

Run from the repository root with the test extras installed::

    .venv/bin/python tests/results/quantlib_black_reference.py

Source and conventions
----------------------
* QuantLib-Python (version recorded in the JSON, generated with 1.44).
* ``QuantLib.BlackCalculator(payoff, forward, stdDev, discount)`` is the closed form behind
  ``AnalyticEuropeanEngine``; it takes the total volatility ``σ√T`` and the discount factor directly, so expiries
  of one hour are exact (this QuantLib build has no intraday dates). Its conventions:
  ``vega(T)`` per 1.00 of σ, ``theta(spot, T)`` per year (``thetaPerDay`` = theta / 365), ``rho(T)`` per 1.00 of r
  with the spot fixed, ``dividendRho(T)`` per 1.00 of q.
* Black-Scholes: forward ``S·e^{(r−q)T}``, discount ``e^{−rT}``, Greeks at ``spot = S``.
* Black-76 (forward fixed): delta and gamma are ``deltaForward()`` and ``gammaForward()``; theta is
  ``theta(F, T)`` with spot = forward (so the carry term vanishes); rho with the forward fixed is
  ``rho(T) + dividendRho(T)`` (raising r and q together leaves the forward unchanged) and equals ``−T·V``.
* The ``engine`` block prices whole-day expiries with ``AnalyticEuropeanEngine`` on flat curves (Actual/365 Fixed)
  to confirm that the engine's ``vega()``, ``theta()`` and ``rho()`` use the same units as ``BlackCalculator``.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import QuantLib as ql

OUT = Path(__file__).with_suffix(".json")
HOUR = 1.0 / (365.0 * 24.0)

STRIKES = [20.0, 50.0, 80.0, 95.0, 100.0, 105.0, 120.0, 200.0, 500.0]
TIMES = [HOUR, 6 * HOUR, 1.0 / 365.0, 7.0 / 365.0, 30.0 / 365.0, 0.5, 1.0, 5.0]
VOLS = [0.05, 0.2, 0.8, 2.0]
RATES = [0.0, 0.05]
DIVS = [0.0, 0.03]
SPOT = 100.0


def _type(kind: str) -> int:
    return ql.Option.Call if kind == "call" else ql.Option.Put


def black_scholes_rows() -> list[dict]:
    rows = []
    for kind, k, t, vol, r, q in itertools.product(("call", "put"), STRIKES, TIMES, VOLS, RATES, DIVS):
        disc = math.exp(-r * t)
        fwd = SPOT * math.exp((r - q) * t)
        calc = ql.BlackCalculator(ql.PlainVanillaPayoff(_type(kind), k), fwd, vol * math.sqrt(t), disc)
        rows.append(
            {
                "kind": kind,
                "spot": SPOT,
                "strike": k,
                "t": t,
                "vol": vol,
                "rate": r,
                "div": q,
                "price": calc.value(),
                "delta": calc.delta(SPOT),
                "gamma": calc.gamma(SPOT),
                "vega": calc.vega(t),
                "theta": calc.theta(SPOT, t),
                "rho": calc.rho(t),
            }
        )
    return rows


def black76_rows() -> list[dict]:
    rows = []
    for kind, k, t, vol, r in itertools.product(("call", "put"), STRIKES, TIMES, VOLS, RATES):
        fwd = SPOT
        disc = math.exp(-r * t)
        calc = ql.BlackCalculator(ql.PlainVanillaPayoff(_type(kind), k), fwd, vol * math.sqrt(t), disc)
        rows.append(
            {
                "kind": kind,
                "forward": fwd,
                "strike": k,
                "t": t,
                "vol": vol,
                "rate": r,
                "price": calc.value(),
                "delta": calc.deltaForward(),
                "gamma": calc.gammaForward(),
                "vega": calc.vega(t),
                "theta": calc.theta(fwd, t),
                "rho": calc.rho(t) + calc.dividendRho(t),
            }
        )
    return rows


def engine_rows() -> list[dict]:
    """Whole-day expiries through ``AnalyticEuropeanEngine`` (the engine users call)."""
    today = ql.Date(15, 1, 2025)
    ql.Settings.instance().evaluationDate = today
    dc = ql.Actual365Fixed()
    rows = []
    for kind, k, days, vol, r, q in itertools.product(
        ("call", "put"), [50.0, 95.0, 100.0, 120.0, 200.0], [1, 7, 30, 365], [0.2, 0.8], [0.0, 0.05], [0.0, 0.03]
    ):
        spot = ql.QuoteHandle(ql.SimpleQuote(SPOT))
        rts = ql.YieldTermStructureHandle(ql.FlatForward(today, r, dc))
        qts = ql.YieldTermStructureHandle(ql.FlatForward(today, q, dc))
        vts = ql.BlackVolTermStructureHandle(ql.BlackConstantVol(today, ql.NullCalendar(), vol, dc))
        process = ql.BlackScholesMertonProcess(spot, qts, rts, vts)
        option = ql.VanillaOption(ql.PlainVanillaPayoff(_type(kind), k), ql.EuropeanExercise(today + days))
        option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
        rows.append(
            {
                "kind": kind,
                "spot": SPOT,
                "strike": k,
                "t": days / 365.0,
                "vol": vol,
                "rate": r,
                "div": q,
                "price": option.NPV(),
                "delta": option.delta(),
                "gamma": option.gamma(),
                "vega": option.vega(),
                "theta": option.theta(),
                "theta_per_day": option.thetaPerDay(),
                "rho": option.rho(),
            }
        )
    return rows


def main() -> None:
    payload = {
        "source": "QuantLib-Python BlackCalculator / AnalyticEuropeanEngine; see quantlib_black_reference.py",
        "quantlib_version": ql.__version__,
        "conventions": {
            "vega": "per 1.00 of sigma",
            "theta": "per year (-dV/dT); engine thetaPerDay = theta / 365",
            "rho": "per 1.00 of rate; Black-76 rho with the forward fixed = rho + dividendRho = -T V",
            "time": "years of 365 days",
        },
        "black_scholes": black_scholes_rows(),
        "black76": black76_rows(),
        "engine": engine_rows(),
    }
    OUT.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {OUT} ({len(payload['black_scholes'])} + {len(payload['black76'])} + {len(payload['engine'])} rows)")


if __name__ == "__main__":
    main()
