"""Re-derive the default jump law and volatility mixture of the LT search's stress paths from the shared hourly data.

    SOLVENCY_DATA=/path/to/shared/data python benchmarks/estimate_jumps.py --json

Runs :func:`solvency.market.jumps.estimate_jump_law` (Lee-Mykland test, bipower local volatility, α = 1 %) on the
Binance ETH/USDT and BTC/USDT hourly files (each file one segment) and prints the estimates, the embedded default
(:data:`solvency.market.jumps.ETH_HOURLY_JUMPS`) beside the ETH estimate, the largest downward jumps, and the rate
and mean excess by thirds of local volatility (the evidence for scaling jump sizes with σ), and under
``rate_by_volatility`` the power law of the rate in the local volatility level
(:func:`solvency.market.jumps.estimate_jump_rate`: fit, standard errors, fitted vs observed rate by decile, χ²)
beside the embedded :data:`~solvency.market.jumps.ETH_HOURLY_RATE`. Under ``vol_mixture``:
:func:`solvency.market.vol_mixture.estimate_vol_mixture` on the same files (3-day realized continuous volatility
over the EWMA forecast at each window's start), its quantile knots beside the embedded
:data:`~solvency.market.vol_mixture.ETH_VOL_MIXTURE`, the lognormal fit against the empirical tail, and the
hourly-to-daily variance ratio (evidence that the forecast bias is not a sampling-frequency artefact).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np

from _common import parser, report
from solvency.data.loading import load_prices
from solvency.market.jumps import ETH_HOURLY_JUMPS, ETH_HOURLY_RATE, JumpEstimate, estimate_jump_law, estimate_jump_rate
from solvency.market.returns import log_returns
from solvency.market.vol_mixture import ETH_VOL_MIXTURE, estimate_vol_mixture
from solvency.units import SECONDS_PER_YEAR

FILES = ("2017-2021", "2021-2025")


def estimate(data: Path, asset: str) -> JumpEstimate:
    segments = [log_returns(load_prices(data / "hourly" / f"binance_{asset}USDT_1h_{p}.csv")) for p in FILES]
    return estimate_jump_law(segments, step=3600)


def by_volatility(est: JumpEstimate) -> list[dict[str, Any]]:
    """Downward-jump rate and mean excess in each third of the local (bipower) volatility."""
    t = est.test
    ok = np.isfinite(t.size) & (t.size != 0)
    local = np.full(t.size.size, np.nan)
    local[ok] = np.abs(t.returns[ok] / t.size[ok])
    edges = np.nanquantile(local[ok], [0.0, 1 / 3, 2 / 3, 1.0])
    out = []
    for lo, hi in itertools.pairwise(edges):
        m = ok & (local >= lo) & (local <= hi)
        d = m & t.down
        years = m.sum() * 3600 / SECONDS_PER_YEAR
        per_year = np.sqrt(SECONDS_PER_YEAR / 3600)
        out.append(
            {
                "local_sigma_from": float(lo * per_year),
                "local_sigma_to": float(hi * per_year),
                "n_down": int(d.sum()),
                "intensity_per_year": float(d.sum() / years),
                "mean_excess_sd": float(np.mean(np.abs(t.size[d]) - t.threshold)),
            }
        )
    return out


def vol_mixture(data: Path, asset: str) -> dict[str, Any]:
    """The vol-of-vol estimate of ``asset`` with the hourly-to-daily variance ratio of each file."""
    frames = [load_prices(data / "hourly" / f"binance_{asset}USDT_1h_{p}.csv") for p in FILES]
    est = estimate_vol_mixture(frames)
    ratios = []
    for f in frames:
        daily = f["close"].resample("1D").last().dropna()
        ratios.append(float((log_returns(f) ** 2).sum() / (log_returns(daily) ** 2).sum()))
    worst = est.windows.sort_values("ratio").tail(3)
    return {
        **est.to_dict(),
        "hourly_to_daily_variance": ratios,
        "largest": [
            {"start": str(t), "ratio": float(row.ratio), "sigma_forecast": float(row.sigma_forecast)}
            for t, row in worst.iterrows()
        ],
    }


def main() -> None:
    args = parser("Estimate the jump law of the LT search's stress paths from the shared hourly data.").parse_args()
    data = Path(os.environ.get("SOLVENCY_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    payload: dict[str, Any] = {
        "data": str(data),
        "default": ETH_HOURLY_JUMPS.to_dict(),
        "default_rate_by_volatility": ETH_HOURLY_RATE.to_dict(),
        "default_vol_mixture": {
            **ETH_VOL_MIXTURE.to_dict(),
            "knots": {"probs": list(ETH_VOL_MIXTURE.probs), "quantiles": list(ETH_VOL_MIXTURE.quantiles)},
        },
    }
    for asset in ("ETH", "BTC"):
        est = estimate(data, asset)
        jumps = est.test.jumps()
        down = jumps[jumps["down"]].sort_values("size_sd")
        payload[asset] = {
            **est.to_dict(),
            "largest_down": [
                {"time": str(t), "log_return": float(r), "size_sd": float(z)}
                for t, r, z in zip(down.index[:5], down["log_return"][:5], down["size_sd"][:5], strict=True)
            ],
            "by_local_volatility": by_volatility(est),
            "rate_by_volatility": estimate_jump_rate(est.test, 3600).to_dict(),
            "vol_mixture": vol_mixture(data, asset),
        }
    report(payload, args.json)


if __name__ == "__main__":
    main()
