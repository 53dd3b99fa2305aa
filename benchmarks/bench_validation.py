"""Cost of validating a price series: what every command pays before it runs on a file.

Times ``validate_prices`` on synthetic hourly OHLC random walks of 10k, 100k and 1M bars (with a few
defects planted), side by side with ``load_prices`` of the same series written as CSV, so the ratio says
how much validation adds to loading. Also times ``clean_prices`` on the 100k series.

    python benchmarks/bench_validation.py --json
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from _common import parser, report, timed
from solvency.data.cleaning import clean_prices
from solvency.data.loading import load_prices
from solvency.data.validation import validate_prices
from solvency.data.writing import write_prices


def series(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 2000.0 * np.exp(np.cumsum(rng.normal(0.0, 0.008, n)))
    opn = np.r_[2000.0, close[:-1]]
    wick = np.abs(rng.normal(0.0, 0.003, (2, n)))
    df = pd.DataFrame(
        {
            "open": opn,
            "high": np.maximum(opn, close) * np.exp(wick[0]),
            "low": np.minimum(opn, close) * np.exp(-wick[1]),
            "close": close,
            "volume": rng.exponential(100.0, n),
        },
        index=pd.date_range("2015-01-01", periods=n, freq="1h", tz="UTC", name="time"),
    )
    # planted defects: a gap, a spike, a stale run, a NaN
    df = df.drop(index=df.index[n // 3 : n // 3 + 5])
    k = n // 2
    df.iloc[k, :4] *= 50
    df.iloc[k + 100 : k + 120, :4] = df.iloc[k + 99, 3]  # an outage filled with the last close
    df.iloc[k + 500, 3] = np.nan
    return df


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10_000, 100_000, 1_000_000):
            df = series(n)
            path = write_prices(df, Path(tmp) / f"s{n}.csv")
            repeat = args.repeat if n < 1_000_000 else max(1, args.repeat // 2)
            t_val, _, rep = timed(lambda df=df: validate_prices(df), repeat=repeat)
            t_load, _, _ = timed(lambda path=path: load_prices(path), repeat=repeat)
            rows.append(
                {
                    "bars": len(df),
                    "validate_s": round(t_val, 4),
                    "load_csv_s": round(t_load, 4),
                    "validate_over_load": round(t_val / t_load, 3),
                    "issues": rep.counts(),
                }
            )
        df = series(100_000)
        t_clean, _, (_clean, changes) = timed(lambda: clean_prices(df), repeat=args.repeat)
    report({"validation": rows, "clean_100k_s": round(t_clean, 4), "clean_100k_changes": len(changes)}, args.json)


if __name__ == "__main__":
    main()
