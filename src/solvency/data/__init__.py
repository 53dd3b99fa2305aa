"""Data layer: loading price files in their real shapes, validation and cleaning, fetchers, the embedded sample."""

from solvency.data.cleaning import clean_prices
from solvency.data.loading import load_prices
from solvency.data.sample import sample_crash, sample_prices
from solvency.data.validation import validate_prices

__all__ = ["clean_prices", "load_prices", "sample_crash", "sample_prices", "validate_prices"]
