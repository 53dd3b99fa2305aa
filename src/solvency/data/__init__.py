"""Data layer: loading price files in their real shapes, validation and cleaning, fetchers, the embedded sample."""

from solvency.data.loading import load_prices
from solvency.data.sample import sample_crash, sample_prices

__all__ = ["load_prices", "sample_crash", "sample_prices"]
