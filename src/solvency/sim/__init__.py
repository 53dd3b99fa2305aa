"""Protocol simulation: price paths, loan books, liquidation engines, named scenarios, risk metrics."""
