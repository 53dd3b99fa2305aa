"""Option pricing: Black-Scholes / Black-76 prices and Greeks, implied volatility."""
