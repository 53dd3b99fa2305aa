"""Portfolio margin: scenario grid over options and perps, short-option minimum, Greeks attribution."""

from solvency.margin.portfolio import PortfolioMargin, portfolio_margin

__all__ = ["PortfolioMargin", "portfolio_margin"]
