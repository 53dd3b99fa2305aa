"""Margin backtests over several files: each file's numbers are the one-file backtest's, on any executor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.calibrate.margin_backtest import margin_backtest
from solvency.cli import app
from solvency.data.loading import load_prices
from solvency.data.writing import write_prices
from solvency.errors import DataFormatError, SolvencyInputError
from solvency.sweep.margin import sweep_margin_backtest

from ..market.test_fhs import _hourly
from .test_cli_sweep import console

runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("prices")
    return [write_prices(_hourly(2500, seed=s), folder / f"asset{s}.csv") for s in (1, 2)]


def _alone(path: Path, horizon: int = 3600) -> dict:
    return margin_backtest(load_prices(path), coverage=0.99, horizon=horizon).to_dict()


def test_each_file_gets_its_one_file_backtest(files: list[Path], threads_cluster) -> None:
    for executor in (None, threads_cluster):
        sweep = sweep_margin_backtest(files[::-1], coverage=0.99, horizon=3600, executor=executor)
        assert list(sweep.results) == [str(f) for f in files[::-1]]  # the order given
        out = sweep.to_dict()
        for f in files:
            assert out["files"][str(f)] == _alone(f)
        assert out["passed"] + out["failed"] == 2
        assert out["pass"] == all(r["pass"] for r in out["files"].values())


def test_bad_file_lists_are_refused(files: list[Path], tmp_path: Path, threads_cluster) -> None:
    with pytest.raises(SolvencyInputError, match="more than once"):
        sweep_margin_backtest([files[0], files[1], files[0]])
    with pytest.raises(SolvencyInputError, match="no price files"):
        sweep_margin_backtest([])
    with pytest.raises(DataFormatError, match="file not found") as info:
        sweep_margin_backtest([files[0], tmp_path / "gone.csv"], executor=threads_cluster)
    assert info.value.path == str(tmp_path / "gone.csv")


def test_cli_one_file_keeps_its_output_and_several_get_a_files_map(files: list[Path]) -> None:
    one = runner.invoke(app, ["margin-backtest", str(files[0]), "--json"])
    assert one.exit_code in (0, 1), one.output
    assert json.loads(one.stdout) == _alone(files[0])
    both = runner.invoke(app, ["margin-backtest", str(files[0]), str(files[1]), "--json"])
    out = json.loads(both.stdout)
    assert set(out) == {"files", "passed", "failed", "pass", "executor", "runtime_s"}
    assert both.exit_code == (0 if out["pass"] else 1)
    text = runner.invoke(app, ["margin-backtest", str(files[0]), str(files[1])])
    assert "asset1.csv" in text.stdout and "passed" in text.stdout


def test_cli_missing_file_among_several_exits_1(files: list[Path], tmp_path: Path) -> None:
    res = runner.invoke(app, ["margin-backtest", str(files[0]), str(tmp_path / "gone.csv"), "--json"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["error"]["path"] == str(tmp_path / "gone.csv")


@pytest.mark.realdata
@pytest.mark.slow
def test_real_hourly_eth_and_btc_on_two_workers(real_data: Path) -> None:
    """The console script on a 2-process cluster gives the figures of benchmarks/RESULTS.md (issue 5)."""
    eth, btc = (real_data / "hourly" / f"binance_{a}USDT_1h_2021-2025.csv" for a in ("ETH", "BTC"))
    res = console("margin-backtest", str(eth), str(btc), "--workers", "2", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["executor"]["workers"] == 2 and out["pass"]
    assert (out["files"][str(eth)]["exceedances"], out["files"][str(btc)]["exceedances"]) == (340, 301)
    assert out["files"][str(eth)] == _alone(eth)


@pytest.mark.realdata
def test_real_four_hour_horizon_fails_for_eth_so_the_sweep_exits_1(real_data: Path) -> None:
    files = [str(real_data / "hourly" / f"binance_{a}USDT_1h_2021-2025.csv") for a in ("ETH", "BTC")]
    res = runner.invoke(app, ["margin-backtest", *files, "--horizon", "4h", "--json"])
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    assert (out["passed"], out["failed"], out["pass"]) == (1, 1, False)
    assert not out["files"][files[0]]["pass"] and out["files"][files[1]]["pass"]
    assert out["files"][files[0]] == _alone(Path(files[0]), 4 * 3600)
