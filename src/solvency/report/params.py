"""``params.json``: the parameters a demo run recommends, in a stable shape described by a JSON schema shipped in
the package (``params.schema.json``, draft 2020-12).

The document is built from the results document only (:func:`build_params`), so it always agrees with the
report. Ratios are fractions; caps, funds and margins are in quote units.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PARAMS_FORMAT = 1
"""Version of the ``params.json`` layout (the schema's ``format`` constant)."""

SCHEMA = Path(__file__).resolve().parent / "params.schema.json"

PERP_KEYS = (
    "coverage",
    "liquidation_horizon",
    "imf",
    "mmf",
    "maintenance_fraction",
    "oi_lower_cap",
    "oi_upper_cap",
    "liquidation_fee",
    "insurance_fund_target",
)
"""Perp calibration fields carried into ``params.json`` (beside the market name and the tiers)."""

PARAM_KEYS = ("ltv", "liquidation_threshold", "liquidation_bonus", "supply_cap", "borrow_cap")
"""Lending parameters (ratios as fractions; supply cap in asset units, borrow cap in the quote asset)."""

LENDING_KEYS = (*PARAM_KEYS, "close_factor")
"""Lending recommendation fields carried into ``params.json``."""

PM_KEYS = ("spot", "valuation_time", "price_range", "initial_margin", "maintenance_margin")
"""Portfolio-margin fields carried into ``params.json``."""


def params_schema() -> dict[str, Any]:
    """The JSON schema of ``params.json``."""
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


def build_params(results: dict[str, Any]) -> dict[str, Any]:
    """The ``params.json`` document of a results document (JSON form, as read from ``results.json``)."""
    s = results["sections"]
    data = results["data"]
    out: dict[str, Any] = {
        "format": PARAMS_FORMAT,
        "solvency_version": results["solvency_version"],
        "generated_at": results["generated_at"],
        "seed": results["settings"]["seed"],
        "data": {
            "mode": data["mode"],
            "folder": data["folder"],
            "daily": data["daily"]["source"],
            "hourly": data["hourly"]["source"],
        },
    }
    if "market" in s:
        m = s["market"]["summary"]
        out["market"] = {
            "source": s["market"]["source"],
            "as_of": m["as_of"],
            "regime": m["regime"],
            "volatility_model": m["best_model"],
            "sigma_annual": m["sigma_annual"],
            "es99_1d": m["es99_1d"],
        }
    if "lending" in s:
        out["lending"] = {
            name: {
                "asset": m["asset"],
                "quote": m["quote"],
                "source": m["source"],
                "sigma": m["sigma"],
                **_pick(m, LENDING_KEYS),
                "current": _pick(m["current"], PARAM_KEYS),
                "risk": m["risk"],
                "transition": m["transition"],
            }
            for name, m in s["lending"]["markets"].items()
        }
    if "perp" in s:
        c = s["perp"]["calibration"]
        out["perp"] = {
            "market": s["perp"]["market"],
            **_pick(c, PERP_KEYS),
            "tiers": [_pick(t, ("max_notional", "imf", "mmf")) for t in c["tiers"]],
        }
    if "portfolio" in s:
        p = s["portfolio"]
        out["portfolio_margin"] = {"portfolio": p["portfolio"], "market": p["market"], **_pick(p["margin"], PM_KEYS)}
    return out


def _pick(d: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: d[k] for k in keys}
