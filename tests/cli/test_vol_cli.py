"""``solvency vol`` and ``vol-backtest``: JSON contracts, exit codes, the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.data.sample import sample_prices

runner = CliRunner()


@pytest.fixture(scope="module")
def price_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prices") / "eth.csv"
    sample_prices("1d").iloc[:700].reset_index().to_csv(path, index=False)
    return path


def one_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return json.loads(lines[0])


@pytest.mark.parametrize("model", ["ewma", "garch", "gjr", "har"])
def test_vol_json(price_file: Path, model: str) -> None:
    res = runner.invoke(app, ["vol", str(price_file), "--model", model, "--horizon", "7d", "--json"])
    assert res.exit_code == 0, res.output
    d = one_json(res.stdout)
    assert list(d) == ["model", "sigma_annual", "sigma_horizon", "horizon", "regime", "tail"]
    assert d["model"] == model and d["horizon"] == "7d"
    assert set(d["tail"]) == {"var99", "es99", "var999", "es999", "xi"}
    assert 0 < d["sigma_horizon"] < d["sigma_annual"]


def test_vol_default_runs_on_the_sample_and_renders() -> None:
    res = runner.invoke(app, ["vol"])
    assert res.exit_code == 0, res.output
    assert "embedded sample" in res.stdout and "annualised" in res.stdout


def test_vol_errors(price_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["vol", str(price_file), "--model", "lstm"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["vol", str(price_file), "--horizon", "soon", "--json"])
    assert res.exit_code == 1 and "time span" in one_json(res.stdout)["error"]["message"]
    bad = tmp_path / "bad.csv"
    text = price_file.read_text().splitlines()
    row = text[300].split(",")
    row[4] = "-5"  # close of data row 300
    text[300] = ",".join(row)
    bad.write_text("\n".join(text) + "\n")
    res = runner.invoke(app, ["vol", str(bad), "--json"])
    assert res.exit_code == 1
    err = one_json(res.stdout)["error"]
    assert err["time"] is not None
    assert "non_positive" in err["message"]
    res = runner.invoke(app, ["vol", str(tmp_path / "missing.csv"), "--json"])
    assert res.exit_code == 1


def test_vol_backtest_json(price_file: Path) -> None:
    res = runner.invoke(app, ["vol-backtest", str(price_file), "--start", "2019-06-01", "--json"])
    assert res.exit_code == 0, res.output
    d = one_json(res.stdout)
    assert {"n", "models", "best", "improvement_vs_ewma", "dm_pvalue"} <= set(d)
    assert set(d["models"]) == {"ewma", "garch", "gjr", "har"}
    assert all(set(v) == {"qlike", "mse"} for v in d["models"].values())
    assert d["n"] == 700 - 516  # bars from 2019-06-01 (bar 516) to the end
    res = runner.invoke(app, ["vol-backtest", str(price_file), "--start", "2030-01-01", "--json"])
    assert res.exit_code == 1 and "too little data" in one_json(res.stdout)["error"]["message"]


def test_vol_backtest_renders_a_table(price_file: Path) -> None:
    res = runner.invoke(app, ["vol-backtest", str(price_file), "--start", "2019-06-01"])
    assert res.exit_code == 0, res.output
    assert "QLIKE" in res.stdout and "Diebold-Mariano" in res.stdout


def test_installed_console_script() -> None:
    exe = shutil.which("solvency", path=str(Path(sys.executable).parent))
    assert exe, "the solvency console script is not installed in this environment"
    out = subprocess.run([exe, "vol", "--model", "har", "--horizon", "30d", "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    d = one_json(out.stdout)
    assert d["model"] == "har" and d["horizon"] == "30d"
