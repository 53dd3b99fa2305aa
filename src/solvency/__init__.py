"""solvency: calibrate, stress-test and publish the security parameters of DeFi protocols.

The curated public API lives in :mod:`solvency.api`; the command line in :mod:`solvency.cli`.
"""

__version__ = "0.1.0"
