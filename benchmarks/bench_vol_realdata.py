"""Real-data validation of the volatility forecasts: Binance ETH, BTC, SOL daily, walk-forward from 2019-01-01.

Main table: one-step variance forecasts of EWMA (RiskMetrics 0.94), GARCH(1,1)-t, GJR-GARCH(1,1)-t (re-estimated
every 20 bars) and log-HAR-RV on Garman-Klass variance (re-fitted daily), scored by QLIKE and MSE against the
Garman-Klass proxy; Diebold-Mariano (Newey-West) of the best model vs EWMA. Target: the best model beats EWMA
by ≥ 5 % QLIKE with DM p < 0.05 on at least two of the three.

Robustness (same forecasts where possible):
* ``parkinson`` — the whole backtest again with the Parkinson proxy (HAR then models Parkinson variance);
* ``squared_return`` — scored against the squared return (noisy, but free of any range-estimator bias);
* ``level_matched_ewma`` — EWMA multiplied by the expanding ratio mean(GK)/mean(r²) of past bars, so that
  EWMA is not penalised merely for forecasting the close-to-close level while the proxy is range-based.

Tails: EVT (GPD over the 95th percentile) ES99 of daily losses (negative log returns) vs the normal ES99.

    SOLVENCY_DATA=../shared/data python benchmarks/bench_vol_realdata.py --json
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from _common import parser, report
from solvency.data.loading import load_prices
from solvency.market.backtest import diebold_mariano, qlike_loss, vol_backtest
from solvency.market.realized import realized_variance
from solvency.market.returns import log_returns
from solvency.market.tails import tail_risk

ASSETS = ("ETH", "BTC", "SOL")
START = "2019-01-01"


def scores(bt) -> dict:
    return {
        "n": bt.n,
        "start": str(bt.start.date()),
        "end": str(bt.end.date()),
        "models": {k: {"qlike": round(v.qlike, 5), "mse": float(f"{v.mse:.4e}")} for k, v in bt.models.items()},
        "best": bt.best,
        "improvement_vs_ewma": round(bt.improvement_vs_ewma, 4),
        "dm_stat": None if bt.dm is None else round(bt.dm.stat, 3),
        "dm_pvalue": bt.dm_pvalue,
        "excluded": bt.excluded,
    }


def robustness(prices, bt) -> dict:
    f = bt.forecasts
    r = log_returns(prices)
    r2 = (r**2).reindex(f.index).to_numpy()
    out = {}
    keep = r2 > 0
    q = {m: float(np.mean(qlike_loss(r2[keep], f[m].to_numpy()[keep]))) for m in ("ewma", "garch", "gjr", "har")}
    dm = diebold_mariano(qlike_loss(r2[keep], f["ewma"].to_numpy()[keep]), qlike_loss(r2[keep], f["har"][keep]))
    out["squared_return_proxy"] = {
        "qlike": {k: round(v, 5) for k, v in q.items()},
        "har_improvement_vs_ewma": round(1 - q["har"] / q["ewma"], 4),
        "har_dm_pvalue": dm.pvalue,
        "excluded_zero_returns": int((~keep).sum()),
    }
    gk = realized_variance(prices, "garman_klass").iloc[1:]
    ratio = (gk.cumsum() / (r**2).cumsum()).shift(1).reindex(f.index).to_numpy()
    matched = f["ewma"].to_numpy() * ratio
    proxy = f["proxy"].to_numpy()
    q_m = float(np.mean(qlike_loss(proxy, matched)))
    q_h = float(np.mean(qlike_loss(proxy, f["har"].to_numpy())))
    dm = diebold_mariano(qlike_loss(proxy, matched), qlike_loss(proxy, f["har"].to_numpy()))
    out["level_matched_ewma"] = {
        "ratio_first_last": [round(float(ratio[0]), 3), round(float(ratio[-1]), 3)],
        "qlike": round(q_m, 5),
        "har_improvement": round(1 - q_h / q_m, 4),
        "har_dm_pvalue": dm.pvalue,
    }
    return out


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    data = Path(os.environ.get("SOLVENCY_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
    if not (data / "daily").is_dir():
        sys.exit(f"real data not found at {data}; set SOLVENCY_DATA")
    assets = {}
    passed = 0
    for sym in ASSETS:
        prices = load_prices(data / "daily" / f"binance_{sym}USDT_1d.csv")
        t0 = time.perf_counter()
        bt = vol_backtest(prices, start=START)
        seconds = time.perf_counter() - t0
        main_table = scores(bt)
        ok = bt.improvement_vs_ewma >= 0.05 and bt.dm_pvalue is not None and bt.dm_pvalue < 0.05
        passed += ok
        losses = -log_returns(prices).to_numpy()
        tails = tail_risk(losses)
        assets[sym] = {
            "bars": len(prices),
            "seconds": round(seconds, 2),
            "garman_klass": main_table,
            "meets_target": bool(ok),
            "parkinson": scores(vol_backtest(prices, start=START, proxy="parkinson")),
            **robustness(prices, bt),
            "daily_loss_tails": {
                "xi": round(tails.xi, 4),
                "threshold": round(tails.gpd.threshold, 5),
                "n_exceed": tails.gpd.n_exceed,
                "evt": {k: round(v, 5) for k, v in tails.to_dict().items() if k != "xi"},
                "historical": {k: round(v, 5) for k, v in tails.historical.items()},
                "normal": {k: round(v, 5) for k, v in tails.normal.items()},
                "evt_es99_exceeds_normal": bool(tails.es99 > tails.normal["es99"]),
            },
        }
    report(
        {"benchmark": "vol_realdata", "start": START, "assets": assets, "target_met_on": passed, "target": 2},
        args.json,
    )


if __name__ == "__main__":
    main()
