"""Market model: realized and forecast volatility, regimes, tails, liquidity and correlation."""
