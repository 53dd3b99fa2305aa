"""Speed of ``solvency vol-backtest``: walk-forward one-step forecasts of all models over 3,000 daily bars.

GARCH and GJR are re-estimated every 20 bars and filtered every bar with fixed parameters; HAR is re-fitted by
OLS every bar. Measured on the embedded sample (3,000 daily bars, offline) and, when the real data folder is
present, on Binance ETH daily (3,142 bars). Side by side: re-estimating GARCH at every bar instead, on the last
300 bars (extrapolated linearly to the full run).

    python benchmarks/bench_vol_backtest.py --json
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from _common import parser, report, timed
from solvency.data.loading import load_prices
from solvency.data.sample import sample_prices
from solvency.market.backtest import MODELS, vol_backtest


def per_model(prices, start, refit_every: int) -> dict[str, float]:
    out = {}
    for model in MODELS:
        t0 = time.perf_counter()
        vol_backtest(prices, start=start, models=(model,), refit_every=refit_every, min_train=250)
        out[model] = time.perf_counter() - t0
    return out


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    datasets = {"sample_daily": sample_prices("1d")}
    data_dir = Path(os.environ.get("SOLVENCY_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    eth = data_dir / "daily" / "binance_ETHUSDT_1d.csv"
    if eth.exists():
        datasets["binance_eth_daily"] = load_prices(eth)
    results = {}
    for name, prices in datasets.items():
        median, times, res = timed(lambda p=prices: vol_backtest(p, refit_every=20), repeat=args.repeat, warmup=1)
        # Refit every bar vs every 20 bars, on the last 300 bars, GARCH only.
        tail_start = prices.index[-300]
        every_bar, _, _ = timed(
            lambda p=prices, s=tail_start: vol_backtest(p, start=s, models=("ewma", "garch"), refit_every=1),
            repeat=1,
            warmup=0,
        )
        every_20, _, _ = timed(
            lambda p=prices, s=tail_start: vol_backtest(p, start=s, models=("ewma", "garch"), refit_every=20),
            repeat=3,
            warmup=0,
        )
        results[name] = {
            "bars": len(prices),
            "scored": res.n,
            "seconds_median": round(median, 3),
            "seconds_all": [round(t, 3) for t in times],
            "within_30s": median <= 30.0,
            "seconds_per_model": {k: round(v, 3) for k, v in per_model(prices, None, 20).items()},
            "garch_fits": res.fit_info,
            "garch_300_bars_refit_every_bar_s": round(every_bar, 3),
            "garch_300_bars_refit_every_20_s": round(every_20, 3),
            "refit_speedup": round(every_bar / every_20, 1),
        }
    report({"benchmark": "vol_backtest", "refit_every": 20, "results": results}, args.json)


if __name__ == "__main__":
    main()
