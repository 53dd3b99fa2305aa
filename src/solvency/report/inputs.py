"""What the demo runs on: the example specs shipped in the package, and prices from the embedded sample or from a
folder of real files laid out like the project's shared data.

The example specs live in the package (``solvency/examples/``: ``markets/*.toml``, ``portfolios/*.csv``,
``oracle.toml``) so that an installed ``solvency demo`` finds them; the repository's ``examples/`` folder links to
them, so there is one copy.

Real data (``solvency demo --data DIR`` or ``$SOLVENCY_DATA``) — the files used, relative to ``DIR``
(:data:`REAL_FILES`; the layout of the project's ``shared/data``):

=====================================================  ==========================================================
``daily/binance_ETHUSDT_1d.csv`` (required)            volatility, regimes and forecast backtest; the WETH
                                                       market's price history (stress start price and vol)
``hourly/binance_ETHUSDT_1h_2021-2025.csv`` (required)  perp margin calibration, margin backtest, portfolio R
``daily/binance_BTCUSDT_1d.csv``                       the WBTC lending market
``daily/yahoo_WSTETH-USD_1d.csv``                      the wstETH lending market
``intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv``  the oracle replay (Black Thursday week, hourly)
``intraday/coinapi_ETHUSD_10m_2020-03-12.csv``          stress replay of Black Thursday at 10 minutes …
``intraday/ethereum_gasprice_10m_2020-03-12.csv``       … with that day's gas prices (``avgGasDay``, wei)
``intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv``  stress replay of 10 October 2025 (4-hour bars)
=====================================================  ==========================================================

Optional files that are absent are skipped and the report says so; a market without a real file (LINK has none)
keeps its spec's prices (the embedded sample) and is labelled that way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from solvency.config import MarketSpec, load_market
from solvency.data.resolve import prices_or_sample
from solvency.data.sample import sample_crash, sample_prices
from solvency.errors import SolvencyInputError
from solvency.oracle.config import OracleConfig, load_oracle_config

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
"""The example specs shipped with the package (``examples/`` in the repository links here)."""

DATA_ENV = "SOLVENCY_DATA"
"""Environment variable naming the real-data folder when ``--data`` is not given."""

REAL_FILES: dict[str, str] = {
    "daily": "daily/binance_ETHUSDT_1d.csv",
    "hourly": "hourly/binance_ETHUSDT_1h_2021-2025.csv",
    "daily_btc": "daily/binance_BTCUSDT_1d.csv",
    "daily_wsteth": "daily/yahoo_WSTETH-USD_1d.csv",
    "oracle_crash": "intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv",
    "replay_2020": "intraday/coinapi_ETHUSD_10m_2020-03-12.csv",
    "gas_2020": "intraday/ethereum_gasprice_10m_2020-03-12.csv",
    "replay_2025": "intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv",
}
"""Real files the demo reads, by role, relative to the data folder."""

REQUIRED = ("daily", "hourly")
"""Roles without which ``--data`` is refused."""

ASSET_FILES: dict[str, str] = {"WETH": "daily", "ETH": "daily", "WBTC": "daily_btc", "BTC": "daily_btc"}
ASSET_FILES["WSTETH"] = "daily_wsteth"
"""Daily price file role of each lending market's asset (upper case)."""

LENDING_MARKETS = ("aave-v3-weth", "aave-v3-wbtc", "aave-v3-wsteth", "aave-v3-link")
"""Example lending markets (``examples/markets/<name>.toml``) the demo calibrates, where present."""

LIQUIDATION_MARKET = "liquidation-crunch"
PERP_MARKET = "perp-eth"
PORTFOLIO = "hedged-book"
STRESS_MARKET = "aave-v3-weth"
ORACLE_ASSET = "ETH"
SAMPLE_CRASH_DAY = "2020-03-12"


def example(relative: str) -> Path:
    """Path of a shipped example file, e.g. ``example("markets/perp-eth.toml")``.

    Raises
    ------
    SolvencyInputError
        The file is not in this installation.
    """
    path = EXAMPLES / relative
    if not path.is_file():
        raise SolvencyInputError(f"example file {relative!r} is missing from the installed package", path=path)
    return path


def data_folder(explicit: str | Path | None) -> Path | None:
    """The real-data folder: ``explicit``, else ``$SOLVENCY_DATA``, else None (the embedded sample)."""
    value = explicit if explicit is not None else os.environ.get(DATA_ENV) or None
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        source = "--data" if explicit is not None else f"${DATA_ENV}"
        raise SolvencyInputError(f"{source} {path} is not a folder", hint="give the folder that holds daily/, hourly/")
    return path


@dataclass
class DemoInputs:
    """Prices and specs of one demo run.

    Attributes
    ----------
    folder
        Real-data folder, or None for the embedded sample.
    daily, hourly
        ETH price history (daily and hourly bars).
    oracle_crash
        Bars the oracle is replayed over (a crash with days around it).
    replays
        Real crash replays for the stress section: ``name -> (prices, gas file or None)``.
    files
        Real files used, by role (relative to ``folder``); empty for the sample.
    notes
        What was skipped or substituted, for the report.
    """

    folder: Path | None
    daily: pd.DataFrame
    hourly: pd.DataFrame
    oracle_crash: pd.DataFrame
    replays: dict[str, tuple[pd.DataFrame, Path | None]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return "sample" if self.folder is None else "real"

    def source(self, frame: pd.DataFrame) -> str:
        """Short label of where a frame came from (file name, or the sample)."""
        src = str(frame.attrs.get("source", ""))
        return Path(src).name if self.folder is not None and src and not src.startswith("embedded") else src

    def source_of(self, spec: MarketSpec) -> str:
        """Where a market spec's prices come from: its file's name, or the embedded sample."""
        return spec.prices.file.name if spec.prices.file is not None else "embedded sample"

    def market(self, name: str) -> MarketSpec:
        """An example market spec, its prices pointed at the real file of its asset when there is one."""
        spec = load_market(example(f"markets/{name}.toml"))
        if self.folder is None:
            return spec
        role = ASSET_FILES.get(spec.asset.upper())
        if role is not None and role in self.files:
            spec.prices.file = self.folder / self.files[role]
            spec.prices.column = None
        else:
            self.note(f"{name}: no real price file for {spec.asset} in {self.folder}; it runs on the embedded sample")
        return spec

    def oracle_config(self) -> OracleConfig:
        """The example oracle config (its keys and ledger are not used by a replay)."""
        return load_oracle_config(example("oracle.toml"))

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def describe(self) -> dict[str, object]:
        """JSON-ready description for the results and params files."""
        return {
            "mode": self.mode,
            "folder": None if self.folder is None else str(self.folder),
            "files": dict(self.files),
            "daily": {"source": self.source(self.daily), "bars": len(self.daily), **_span(self.daily)},
            "hourly": {"source": self.source(self.hourly), "bars": len(self.hourly), **_span(self.hourly)},
            "notes": list(self.notes),
        }


def _span(frame: pd.DataFrame) -> dict[str, pd.Timestamp]:
    return {"start": frame.index[0], "end": frame.index[-1]}


def load_inputs(folder: Path | None) -> DemoInputs:
    """Read the demo's price inputs from ``folder`` (:data:`REAL_FILES`) or build them from the embedded sample.

    Raises
    ------
    SolvencyInputError
        A required real file is missing, or a file is refused by validation (named with its problem).
    """
    if folder is None:
        crash = sample_crash("10m", day=SAMPLE_CRASH_DAY, days_before=2, days_after=4)
        return DemoInputs(None, sample_prices("1d"), sample_prices("1h"), crash)
    notes: list[str] = []
    present = {role: rel for role, rel in REAL_FILES.items() if (folder / rel).is_file()}
    missing = [REAL_FILES[r] for r in REQUIRED if r not in present]
    if missing:
        raise SolvencyInputError(
            f"the data folder lacks {', '.join(missing)}",
            path=folder,
            hint="--data takes a folder laid out like shared/data (see docs/cli.md, solvency demo)",
        )

    def read(role: str) -> pd.DataFrame:
        return prices_or_sample(folder / present[role])

    for role in REAL_FILES:
        if role not in present:
            notes.append(f"{REAL_FILES[role]} not found in {folder}: its part of the demo is skipped")
    hourly = read("hourly")
    crash = read("oracle_crash") if "oracle_crash" in present else _window(hourly, days=7)
    replays: dict[str, tuple[pd.DataFrame, Path | None]] = {}
    if "replay_2020" in present:
        gas = folder / present["gas_2020"] if "gas_2020" in present else None
        replays["replay-black-thursday-2020"] = (read("replay_2020"), gas)
    if "replay_2025" in present:
        replays["replay-oct-2025"] = (read("replay_2025"), None)
    return DemoInputs(folder, read("daily"), hourly, crash, replays=replays, files=present, notes=notes)


def _window(prices: pd.DataFrame, *, days: int) -> pd.DataFrame:
    """The ``days`` around the largest one-bar fall of a series (the crash the oracle is replayed over)."""
    close = prices["close"].to_numpy(dtype="float64")
    worst = int(np.argmin(np.diff(np.log(close)))) + 1
    t = prices.index[worst]
    half = pd.Timedelta(days=days) / 2
    out = prices.loc[(prices.index >= t - half) & (prices.index < t + half)].copy()
    out.attrs.update(prices.attrs)
    return out
