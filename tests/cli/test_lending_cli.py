"""CLI: calibrate lending / emode and backtest lending (exit codes, one JSON object, files, the console script)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.oracle.targets import TableTargets

runner = CliRunner()

TINY = """
name = "tiny-weth"
asset = "WETH"
quote = "USDC"
[prices]
sample_vol_multiplier = 2.5
[book]
positions = 300
debt_total = 1.0e8
[risk]
paths = 300
budget = 0.0005
[calibration]
step = "1h"
sigma_ratio = 1.5
lt_step = 0.005
[calibration.emode]
positions = 300
"""


@pytest.fixture
def market(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def _json(result) -> dict:
    lines = [ln for ln in result.stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stdout
    return json.loads(lines[0])


def test_calibrate_lending_json_and_table(market: Path, tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    res = runner.invoke(
        app, ["calibrate", "lending", "--market", str(market), "--no-depth", "--table", str(table), "--json"]
    )
    assert res.exit_code == 0, res.output
    out = _json(res)
    assert out["market"] == "tiny-weth" and 0 < out["ltv"] < out["liquidation_threshold"] < 1
    assert out["invariants"]["ltv_below_lt"] and out["transition"]
    assert TableTargets.from_file(table).params == ["ltv", "liquidation_threshold", "liquidation_bonus"]


def test_jumps_option_selects_the_stress_model_and_the_json_states_it(market: Path) -> None:
    outs = {}
    for jumps in ("default", "none"):
        res = runner.invoke(
            app, ["calibrate", "lending", "--market", str(market), "--no-depth", "--jumps", jumps, "--json"]
        )
        assert res.exit_code == 0, res.output
        outs[jumps] = _json(res)
    law = outs["default"]["sensitivity"]["sigma"]["jumps"]
    assert law["source"] == "default" and law["intensity_per_year"] > 0 and law["frequency"] == "1h"
    assert outs["default"]["sensitivity"]["model"]["jumps"] == law
    assert outs["none"]["sensitivity"]["sigma"]["jumps"] is None
    # not an ordering: σ is the total volatility, so the jump model's diffusion is calmer (σ/sqrt(1 + ψ)), and on
    # this 1-day, 400-path market that outweighs the few paths with a jump
    assert outs["default"]["liquidation_threshold"] != outs["none"]["liquidation_threshold"]
    res = runner.invoke(app, ["calibrate", "lending", "--market", str(market), "--jumps", "some", "--json"])
    assert res.exit_code == 2


def test_jump_law_from_the_spec(market: Path, tmp_path: Path) -> None:
    text = market.read_text(encoding="utf-8")
    custom = tmp_path / "custom.toml"
    custom.write_text(text + "\n[calibration.jumps]\nintensity = 52.0\n", encoding="utf-8")
    res = runner.invoke(app, ["calibrate", "lending", "--market", str(custom), "--no-depth", "--json"])
    assert res.exit_code == 0, res.output
    law = _json(res)["sensitivity"]["sigma"]["jumps"]
    assert law["source"] == "spec" and law["intensity_per_year"] == 52.0 and law["threshold_sd"] == 5.317
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n[calibration.jumps]\nintensity = -1.0\n", encoding="utf-8")
    res = runner.invoke(app, ["calibrate", "lending", "--market", str(bad), "--json"])
    assert res.exit_code == 1 and "jumps" in _json(res)["error"]["message"]


def test_calibrate_lending_human(market: Path) -> None:
    res = runner.invoke(app, ["calibrate", "lending", "--market", str(market), "--no-depth", "--budget", "0.001"])
    assert res.exit_code == 0, res.output
    assert "transition plan" in res.stdout and "recommended" in res.stdout and "e-mode" in res.stdout


def test_calibrate_emode_json(market: Path) -> None:
    res = runner.invoke(app, ["calibrate", "emode", "--market", str(market), "--paths", "200", "--json"])
    assert res.exit_code == 0, res.output
    out = _json(res)
    assert out["collateral"] == "wstETH" and out["aave_reference"]["liquidation_threshold"] == 0.95


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["calibrate", "lending", "--budget", "2", "--json"], "budget"),
        (["calibrate", "lending", "--market", "/nonexistent.toml", "--json"], "not found"),
        (["calibrate", "lending", "--prices", "/nonexistent.csv", "--json"], "not found"),
        (["calibrate", "emode", "--json"], "emode"),
        (["backtest", "lending", "--policy", "yolo", "--json"], "policy"),
        (["backtest", "lending", "--rebalance", "soon", "--json"], "time span"),
        (["backtest", "lending", "--rebalance", "1d", "--json"], "steward"),
    ],
)
def test_bad_input_exits_1_with_a_json_error(args: list[str], match: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    assert match in _json(res)["error"]["message"]


def test_bad_book_names_the_file(market: Path, tmp_path: Path) -> None:
    book = tmp_path / "book.csv"
    book.write_text("id,collateral_asset,collateral_amount,debt_asset,debt_amount\n1,WETH,-3,USDC,100\n")
    res = runner.invoke(app, ["calibrate", "lending", "--market", str(market), "--book", str(book), "--json"])
    assert res.exit_code == 1
    err = _json(res)["error"]
    assert err["path"] == str(book)


def test_backtest_lending_json_offline(market: Path) -> None:
    res = runner.invoke(
        app, ["backtest", "lending", "--market", str(market), "--books", "1", "--data-root", "/nonexistent", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = _json(res)
    assert {"windows", "dynamic_mean_lt", "static_mean_lt", "updates"} <= set(out)
    assert all({"name", "dynamic_bad_debt", "static_bad_debt"} <= set(w) for w in out["windows"])
    assert out["jumps"]["source"] == "default"


def test_installed_console_script(market: Path) -> None:
    exe = Path(sys.executable).parent / "solvency"
    done = subprocess.run(
        [str(exe), "calibrate", "lending", "--market", str(market), "--no-depth", "--paths", "200", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["asset"] == "WETH" and out["risk"]["bad_debt_es99"] >= 0
