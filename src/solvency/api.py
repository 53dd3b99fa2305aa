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
from solvency.market.volatility import VolatilityResult, volatility

__all__ = [
    "MarketSpec",
    "SolvencyError",
    "SolvencyInputError",
    "VolatilityResult",
    "load_market",
    "load_prices",
    "sample_crash",
    "sample_prices",
    "volatility",
]
