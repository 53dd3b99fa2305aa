"""Portfolio margin over options and perps with Greeks attribution."""
