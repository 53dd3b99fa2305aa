"""Helpers of the sweep tests: small lending markets on disk, and result comparison without timings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# (LTV, LT, LB) of a few real Aave v3 Ethereum collaterals (DESIGN §4.4), so the markets differ in risk
PARAMS = [(0.805, 0.83, 0.05), (0.73, 0.78, 0.05), (0.785, 0.81, 0.06), (0.53, 0.68, 0.07)]

TIMING_KEYS = {"runtime_s", "compute_s", "executor"}


def write_markets(folder: Path, n: int = 3, *, positions: int = 150, paths: int = 512) -> Path:
    """``n`` small lending market specs (m0.toml …) with their own parameters and book seeds."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        ltv, lt, lb = PARAMS[i % len(PARAMS)]
        (folder / f"m{i}.toml").write_text(
            f'name = "market-{i}"\n'
            'protocol = "lending"\n'
            f"[current]\nltv = {ltv}\nliquidation_threshold = {lt}\nliquidation_bonus = {lb}\n"
            f"[book]\npositions = {positions}\ndebt_total = 2.0e8\nseed = {i + 1}\nhf_median = 1.25\n"
            # a tenth of the default depth, so that the scenarios leave bad debt on some paths
            "[liquidity]\nsizes = [1e5, 1e6, 5e6, 1e7, 2.5e7]\nslippages = [0.001, 0.005, 0.02, 0.04, 0.10]\n"
            f'[risk]\npaths = {paths}\nscenarios = ["oct-2025", "black-thursday-2020"]\n'
        )
    return folder


def without_timings(obj: Any) -> Any:
    """A result dict with wall/compute times and the executor's description removed, at every level."""
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj
