"""Calibration of protocol parameters: lending, perps, options scan ranges, coverage tests."""
