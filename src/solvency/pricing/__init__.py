"""Option pricing: Black-Scholes / Black-76 prices and Greeks, implied volatility, variance-swap vol index."""

from solvency.pricing.black import OptionValues, black76, black_scholes
from solvency.pricing.implied import implied_vol

__all__ = ["OptionValues", "black76", "black_scholes", "implied_vol"]
