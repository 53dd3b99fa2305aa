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
from solvency.sim.book import LoanBook, load_book, synthetic_book
from solvency.sim.policy import LiquidationPolicy, register_policy
from solvency.sim.results import StressResult
from solvency.sim.scenarios import Scenario, get_scenario, scenario_names
from solvency.sim.stress import simulate_lending

__all__ = [
    "LiquidationPolicy",
    "LoanBook",
    "MarketSpec",
    "Scenario",
    "SolvencyError",
    "SolvencyInputError",
    "StressResult",
    "get_scenario",
    "load_book",
    "load_market",
    "load_prices",
    "register_policy",
    "sample_crash",
    "sample_prices",
    "scenario_names",
    "simulate_lending",
    "synthetic_book",
]
