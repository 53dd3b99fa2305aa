"""The curated public Python API of solvency (stable names; see DESIGN §5).

Examples
--------
>>> from solvency import api
>>> prices = api.sample_prices("1d")
>>> float(prices["open"].iloc[0])
750.0
"""

from solvency.calibrate.backtest_lending import backtest_lending
from solvency.calibrate.baselines import morpho_lif, smart_ltv
from solvency.calibrate.coverage import christoffersen, kupiec
from solvency.calibrate.emode import calibrate_emode
from solvency.calibrate.lending import LendingCalibration, calibrate_lending
from solvency.calibrate.margin_backtest import margin_backtest
from solvency.calibrate.perp import calibrate_perp
from solvency.config import MarketSpec, load_market
from solvency.data.cleaning import Change, clean_prices
from solvency.data.fetch import fetch_prices
from solvency.data.loading import load_prices
from solvency.data.sample import sample_crash, sample_prices
from solvency.data.validation import Issue, ValidationReport, validate_prices
from solvency.data.writing import write_prices
from solvency.errors import SolvencyError, SolvencyInputError
from solvency.liquidation.compare import compare_policies
from solvency.liquidation.plan import LiquidationPlan, plan_liquidations
from solvency.margin.portfolio import portfolio_margin
from solvency.market.jumps import (
    ETH_HOURLY_JUMPS,
    ETH_HOURLY_RATE,
    JumpLaw,
    JumpRateCurve,
    estimate_jump_law,
    estimate_jump_rate,
)
from solvency.market.vol_mixture import ETH_VOL_MIXTURE, VolMixture, estimate_vol_mixture
from solvency.market.volatility import VolatilityResult, volatility
from solvency.oracle.config import OracleConfig, load_oracle_config
from solvency.oracle.engine import OracleEngine
from solvency.oracle.ledger import verify_ledger
from solvency.oracle.replay import replay as replay_oracle
from solvency.oracle.state import MarketState
from solvency.oracle.stress import OracleStress, oracle_schedule, stress_replay
from solvency.oracle.targets import InterimTargets, TableTargets, TargetModel
from solvency.pricing.black import black76, black_scholes
from solvency.pricing.implied import implied_vol
from solvency.report.files import read_results, write_run
from solvency.report.params import build_params, params_schema
from solvency.report.pipeline import DemoSettings, run_demo
from solvency.report.render import render_report
from solvency.sim.book import LoanBook, load_book, synthetic_book
from solvency.sim.policy import LiquidationPolicy, register_policy
from solvency.sim.results import StressResult
from solvency.sim.scenarios import Scenario, get_scenario, scenario_names
from solvency.sim.schedule import ParamSchedule
from solvency.sim.stress import simulate_lending
from solvency.sweep.executors import DaskExecutor, Executor, LocalExecutor, get_executor
from solvency.sweep.margin import MarginSweep, sweep_margin_backtest
from solvency.sweep.seeds import cell_seed
from solvency.sweep.stress import StressSweep, sweep_stress

__all__ = [
    "ETH_HOURLY_JUMPS",
    "ETH_HOURLY_RATE",
    "ETH_VOL_MIXTURE",
    "Change",
    "DaskExecutor",
    "DemoSettings",
    "Executor",
    "InterimTargets",
    "Issue",
    "JumpLaw",
    "JumpRateCurve",
    "LendingCalibration",
    "LiquidationPlan",
    "LiquidationPolicy",
    "LoanBook",
    "LocalExecutor",
    "MarginSweep",
    "MarketSpec",
    "MarketState",
    "OracleConfig",
    "OracleEngine",
    "OracleStress",
    "ParamSchedule",
    "Scenario",
    "SolvencyError",
    "SolvencyInputError",
    "StressResult",
    "StressSweep",
    "TableTargets",
    "TargetModel",
    "ValidationReport",
    "VolMixture",
    "VolatilityResult",
    "backtest_lending",
    "black76",
    "black_scholes",
    "build_params",
    "calibrate_emode",
    "calibrate_lending",
    "calibrate_perp",
    "cell_seed",
    "christoffersen",
    "clean_prices",
    "compare_policies",
    "estimate_jump_law",
    "estimate_jump_rate",
    "estimate_vol_mixture",
    "fetch_prices",
    "get_executor",
    "get_scenario",
    "implied_vol",
    "kupiec",
    "load_book",
    "load_market",
    "load_oracle_config",
    "load_prices",
    "margin_backtest",
    "morpho_lif",
    "oracle_schedule",
    "params_schema",
    "plan_liquidations",
    "portfolio_margin",
    "read_results",
    "register_policy",
    "render_report",
    "replay_oracle",
    "run_demo",
    "sample_crash",
    "sample_prices",
    "scenario_names",
    "simulate_lending",
    "smart_ltv",
    "stress_replay",
    "sweep_margin_backtest",
    "sweep_stress",
    "synthetic_book",
    "validate_prices",
    "verify_ledger",
    "volatility",
    "write_prices",
    "write_run",
]
