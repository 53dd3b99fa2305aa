"""The curated public Python API of solvency (stable names; see DESIGN §5).

Examples
--------
>>> from solvency import api
>>> prices = api.sample_prices("1d")
>>> float(prices["open"].iloc[0])
750.0
"""

from solvency.config import MarketSpec, load_market
from solvency.data.loading import load_prices
from solvency.data.sample import sample_crash, sample_prices
from solvency.errors import SolvencyError, SolvencyInputError
from solvency.oracle.config import OracleConfig, load_oracle_config
from solvency.oracle.engine import OracleEngine
from solvency.oracle.ledger import verify_ledger
from solvency.oracle.replay import replay as replay_oracle
from solvency.oracle.state import MarketState
from solvency.oracle.targets import InterimTargets, TableTargets, TargetModel

__all__ = [
    "InterimTargets",
    "MarketSpec",
    "MarketState",
    "OracleConfig",
    "OracleEngine",
    "SolvencyError",
    "SolvencyInputError",
    "TableTargets",
    "TargetModel",
    "load_market",
    "load_oracle_config",
    "load_prices",
    "replay_oracle",
    "sample_crash",
    "sample_prices",
    "verify_ledger",
]
