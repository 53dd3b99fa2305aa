"""LT with and without jump risk in the stress paths, side by side in one run (RESULTS.md, "Jump risk in the LT
search").

    SOLVENCY_DATA=/path/to/shared/data python benchmarks/jump_risk.py --json

The four example markets on the embedded sample, and WETH / WBTC on real daily closes (Binance ETH/USDT and
BTC/USDT, when ``SOLVENCY_DATA`` is there), each calibrated with ``[calibration] jumps = "none"`` (the diffusion
of issue 4's first calibrator) and ``"default"`` (the law estimated on ETH hourly data), 10,000 paths, the
markets' own seeds. Aave v3's Oct-2023 liquidation thresholds beside them. With ``--sensitivity``, also WETH and
WBTC on real data with the law's parameters one standard error either way and with the rate of the calmest third
of local volatility (44.4 a year on ETH hourly, ``benchmarks/estimate_jumps.py``); with ``--seeds 5,6,7`` each
market and model again at those seeds (the LT of one seed is noisy: RESULTS.md); with ``--noise``, where that noise
comes from: the WETH market's own frontier (no depth ladder) at real ETH σ over seeds 4–7, with and without jumps,
with the per-path Student-t volatility mixture (ν = 4), without it (ν = ∞) and with the estimated law. With
``--mixtures 4,5,6,7`` only the comparison of the volatility mixtures: LT with jumps per seed under the
Student-t ν = 4 mixture (before) and the law measured on ETH (after, the default; ``market/vol_mixture.py``).
With ``--rates 4,5,6,7`` only the comparison of the jump rates: LT per seed with the pooled rate (26.4 a year at
every level, before) and the rate falling with the path's volatility level (after, the default; RESULTS.md, "Jump
rate by volatility level").
"""

from __future__ import annotations

import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

from _common import parser, report
from solvency.calibrate.history import market_history
from solvency.calibrate.lending import calibrate_lending
from solvency.calibrate.setup import annual_sigma, market_spec, prepare
from solvency.config import JumpSpec, load_market
from solvency.market.jumps import ETH_HOURLY_JUMPS
from solvency.units import parse_duration

ROOT = Path(__file__).resolve().parents[1]
AAVE_LT = {"weth": 0.83, "wbtc": 0.78, "wsteth": 0.81, "link": 0.68}
REAL = {"weth": "daily/binance_ETHUSDT_1d.csv", "wbtc": "daily/binance_BTCUSDT_1d.csv"}
# standard errors of the ETH hourly estimate (ETH_HOURLY_JUMPS' docstring) and the calm-third rate
LAW_VARIANTS: dict[str, dict[str, float]] = {
    "intensity -1 se": {"intensity": ETH_HOURLY_JUMPS.intensity - 1.84},
    "intensity +1 se": {"intensity": ETH_HOURLY_JUMPS.intensity + 1.84},
    "mean_excess -1 se": {"mean_excess": ETH_HOURLY_JUMPS.mean_excess - 0.185},
    "mean_excess +1 se": {"mean_excess": ETH_HOURLY_JUMPS.mean_excess + 0.185},
    "calm-third intensity": {"intensity": 44.4},
}


def run(
    name: str,
    jumps: str | JumpSpec,
    prices: Path | None,
    seed: int | None = None,
    mixture: str = "estimated",
    rate: str = "level",
) -> dict[str, Any]:
    spec = load_market(ROOT / "examples" / "markets" / f"aave-v3-{name}.toml")
    spec.calibration.jumps = jumps
    spec.calibration.vol_mixture = mixture  # type: ignore[assignment]
    spec.calibration.jump_rate = rate  # type: ignore[assignment]
    start = time.perf_counter()
    r = calibrate_lending(spec, prices=prices, seed=seed, depth_sensitivity=False, emode=False)
    return {
        "liquidation_threshold": r.params.liquidation_threshold,
        "ltv": r.params.ltv,
        "liquidation_bonus": r.params.liquidation_bonus,
        "lt_binding": r.lt_binding,
        "budget_met": r.budget_met,
        "search_exact": r.search_exact,
        "bad_debt_es99": r.risk.es99,
        "prob_bad_debt": r.risk.prob,
        "current_es99": r.risk_current.es99,
        "allowed": r.budget * r.debt_total,
        "sigma": r.sigma,
        "wall_s": time.perf_counter() - start,
    }


def noise(prices: Path) -> list[dict[str, Any]]:
    """LT of the WETH market's own frontier at today's σ, seeds 4–7, for the mixtures (Student-t ν = 4, none,
    the estimated law) × jumps ∈ {none, default}."""
    spec = load_market(ROOT / "examples" / "markets" / "aave-v3-weth.toml")
    horizon = parse_duration(spec.calibration.horizon or spec.risk.horizon)
    sigma, _ = annual_sigma(market_history(spec, prices), spec.calibration.vol_model, horizon)
    out = []
    for tail_df in (4.0, math.inf, "estimated"):
        for jumps in ("none", "default"):
            lts, w_max = [], []
            for seed in (4, 5, 6, 7):
                s = market_spec(spec, jumps=jumps)
                if tail_df == "estimated":
                    s.calibration.vol_mixture = "estimated"
                else:
                    s.calibration.vol_mixture = "student-t"
                    s.calibration.tail_df = tail_df
                setup = prepare(s, s0=2000.0, seed=seed)
                lts.append(setup.frontier(setup.sigmas(up_to=sigma)).lt_at(sigma))
                w_max.append(float(setup.paths._w.max()))
            out.append(
                {
                    "mixture": tail_df if isinstance(tail_df, str) else "inf" if math.isinf(tail_df) else tail_df,
                    "jumps": jumps,
                    "sigma": sigma,
                    "lt_by_seed": lts,
                    "max_w_by_seed": w_max,
                }
            )
    return out


def mixtures(
    cases: list[tuple[str, str, Path | None]], seeds: list[int], compare: str = "mixture"
) -> list[dict[str, Any]]:
    """LT over ``seeds`` with jumps, under the Student-t mixture (ν = 4, before) and the estimated law (after), or
    (``compare="rate"``) with the pooled (before) and the level-dependent jump rate (after)."""
    variants = (
        {"student-t": {"mixture": "student-t"}, "estimated": {"mixture": "estimated"}}
        if compare == "mixture"
        else {"pooled": {"rate": "pooled"}, "level": {"rate": "level"}}
    )
    out = []
    for name, source, prices in cases:
        row: dict[str, Any] = {"market": name, "prices": source, "aave_lt": AAVE_LT[name]}
        for key, kw in variants.items():
            runs = [run(name, "default", prices, seed, **kw) for seed in seeds]
            lts = [r["liquidation_threshold"] for r in runs]
            row[key] = {
                "seeds": seeds,
                "liquidation_threshold": lts,
                "median_lt": statistics.median(lts),
                "range_pp": 100 * (max(lts) - min(lts)),
                "ltv": [r["ltv"] for r in runs],
                "lt_binding": [r["lt_binding"] for r in runs],
                "search_exact": all(r["search_exact"] for r in runs),
                "current_es99_over_budget": [r["current_es99"] / r["allowed"] for r in runs],
                "wall_s": statistics.median(r["wall_s"] for r in runs),
            }
        out.append(row)
    return out


def main() -> None:
    p = parser("LT with and without jump risk in the stress paths.")
    p.add_argument("--sensitivity", action="store_true", help="also the law's parameters ± 1 se on real data")
    p.add_argument("--seeds", default="", help="comma-separated extra seeds: LT per seed and the median per model")
    p.add_argument("--noise", action="store_true", help="seed noise of the own frontier, ν = 4 vs ∞, jumps or not")
    p.add_argument(
        "--mixtures", default="", help="only LT with jumps at these seeds (e.g. 4,5,6,7): Student-t ν = 4 vs estimated"
    )
    p.add_argument("--rates", default="", help="only LT at these seeds (e.g. 4,5,6,7): pooled vs level jump rate")
    args = p.parse_args()
    data = os.environ.get("SOLVENCY_DATA")
    cases: list[tuple[str, str, Path | None]] = [(m, "sample", None) for m in AAVE_LT]
    if data:
        cases += [(m, f, Path(data) / f) for m, f in REAL.items() if (Path(data) / f).is_file()]
    if args.rates:
        report({"rates": mixtures(cases, [int(x) for x in args.rates.split(",")], "rate")}, args.json)
        return
    if args.mixtures:
        report({"mixtures": mixtures(cases, [int(x) for x in args.mixtures.split(",")])}, args.json)
        return
    rows = []
    for name, source, prices in cases:
        rows.append(
            {
                "market": name,
                "prices": source,
                "aave_lt": AAVE_LT[name],
                "no_jumps": run(name, "none", prices),
                "jumps": run(name, "default", prices),
            }
        )
    payload: dict[str, Any] = {"rows": rows}
    seeds = [int(x) for x in args.seeds.split(",") if x.strip()]
    if seeds:
        for row, (name, _, prices) in zip(rows, cases, strict=True):
            for model, jumps in (("no_jumps", "none"), ("jumps", "default")):
                lts = [row[model]["liquidation_threshold"]]
                lts += [run(name, jumps, prices, seed)["liquidation_threshold"] for seed in seeds]
                row[model]["seeds"] = {"seeds": ["spec", *seeds], "liquidation_threshold": lts}
                row[model]["median_lt"] = statistics.median(lts)
    if args.sensitivity and data:
        payload["sensitivity"] = [
            {"market": name, "variant": label, **run(name, JumpSpec(**law), Path(data) / REAL[name])}
            for name in REAL
            for label, law in LAW_VARIANTS.items()
        ]
    if args.noise and data:
        payload["noise"] = noise(Path(data) / REAL["weth"])
    report(payload, args.json)


if __name__ == "__main__":
    main()
