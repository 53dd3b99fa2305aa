"""CLI: margin, margin-backtest and calibrate perp (exit codes, one JSON object, the real console script)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app

from ..conftest import ROOT

runner = CliRunner()
EXAMPLES = ROOT / "examples"


def _json(result) -> dict:
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def test_margin_json() -> None:
    res = runner.invoke(
        app,
        [
            "margin",
            str(EXAMPLES / "portfolios" / "short-strangle.csv"),
            "--market",
            str(EXAMPLES / "markets" / "perp-eth.toml"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = _json(res)
    assert {"initial_margin", "maintenance_margin", "worst_scenario", "greeks", "scenarios"} <= set(out)
    assert set(out["worst_scenario"]) == {"price_move", "vol_shock", "pnl"}
    assert set(out["greeks"]) == {"delta", "gamma", "vega", "theta"}
    assert len(out["scenarios"]) == 33


def test_margin_bad_file_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "book.csv"
    bad.write_text("instrument,kind,strike,expiry,quantity\nx,call,abc,2026-06-01,1\n")
    res = runner.invoke(app, ["margin", str(bad), "--json"])
    assert res.exit_code == 1
    assert _json(res)["error"]["row"] == 1


def test_calibrate_perp_json(tmp_path: Path) -> None:
    spec = tmp_path / "m.toml"
    spec.write_text('[prices]\nfreq = "4h"\n[perp]\ninsurance_paths = 100\n')
    res = runner.invoke(app, ["calibrate", "perp", "--market", str(spec), "--json"])
    assert res.exit_code == 0, res.output
    out = _json(res)
    assert set(out) == {
        "imf",
        "mmf",
        "maintenance_fraction",
        "tiers",
        "oi_lower_cap",
        "oi_upper_cap",
        "liquidation_fee",
        "insurance_fund_target",
        "coverage",
    }
    assert set(out["tiers"][0]) == {"max_notional", "imf", "mmf"}


def test_margin_backtest_bad_horizon_is_usage_error_1(tmp_path: Path) -> None:
    res = runner.invoke(app, ["margin-backtest", "missing.csv", "--json"])
    assert res.exit_code == 1
    assert "error" in _json(res)


@pytest.mark.realdata
def test_margin_backtest_console_script(real_data: Path) -> None:
    exe = Path(sys.executable).with_name("solvency")
    proc = subprocess.run(
        [
            str(exe),
            "margin-backtest",
            str(real_data / "hourly" / "binance_ETHUSDT_1h_2021-2025.csv"),
            "--coverage",
            "0.99",
            "--horizon",
            "1h",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ | {"NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {
        "observations",
        "exceedances",
        "expected",
        "exceedance_rate",
        "kupiec_p",
        "christoffersen_p",
        "mean_margin",
        "static",
        "pass",
    }
    assert out["pass"] is True and out["static"]["exceedances"] > out["exceedances"]
