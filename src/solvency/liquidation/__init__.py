"""Liquidation queue: prioritisation and partial-liquidation scheduling."""
