"""``solvency liquidate``: plan and policy comparison — JSON contracts, exit codes, the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.sim.book import synthetic_book

runner = CliRunner()


def one_json(output: str) -> dict:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def book_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("book") / "book.csv"
    book = synthetic_book(assets=["WETH"], prices=[2000.0], lt=0.83, lb=0.05, positions=400, debt_total=8e7, seed=2)
    book.to_frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def market_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("market") / "m.toml"
    path.write_text(
        "[liquidators]\ncapacity_per_step = 1.0e6\n[book]\npositions = 300\ndebt_total = 5.0e7\n[sim]\nvol = 0.9\n"
    )
    return path


@pytest.mark.parametrize("policy", ["health_first", "largest_first", "risk_weighted", "optimized"])
def test_plan_json(book_file: Path, policy: str) -> None:
    res = runner.invoke(
        app,
        ["liquidate", "--book", str(book_file), "--price", "1650", "--policy", policy, "--capacity", "2e6", "--json"],
    )
    assert res.exit_code == 0, res.output
    d = one_json(res.stdout)
    assert list(d) == ["policy", "plan", "expected_bad_debt", "total_slippage"]
    assert d["policy"] == policy and d["plan"]
    assert list(d["plan"][0]) == ["position", "order", "repay", "seize", "expected_slippage", "step"]
    assert sum(c["repay"] for c in d["plan"] if c["step"] == 0) <= 2e6 * (1 + 1e-9)


def test_plan_renders_and_uses_the_market(book_file: Path, market_file: Path) -> None:
    res = runner.invoke(app, ["liquidate", "--book", str(book_file), "--market", str(market_file), "--price", "1650"])
    assert res.exit_code == 0, res.output
    assert "liquidation plan — risk_weighted" in res.stdout and "first 20 liquidations" in res.stdout
    assert "1,000,000" in res.stdout  # the spec's capacity per step


def test_plan_errors(book_file: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["liquidate", "--price", "1650", "--json"])  # no book: usage error
    assert res.exit_code == 2
    res = runner.invoke(app, ["liquidate", "--book", str(book_file), "--price", "1650", "--prices", "x.csv"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["liquidate", "--book", str(book_file), "--price", "1650", "--policy", "fifo", "--json"])
    assert res.exit_code == 1 and "unknown liquidation policy" in one_json(res.stdout)["error"]["message"]
    bad = tmp_path / "bad.csv"
    lines = book_file.read_text().splitlines()
    cells = lines[5].split(",")
    cells[4] = "-12"  # debt_amount of data row 5
    lines[5] = ",".join(cells)
    bad.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["liquidate", "--book", str(bad), "--price", "1650", "--json"])
    assert res.exit_code == 1
    err = one_json(res.stdout)["error"]
    assert err["row"] == 5 and "negative" in err["message"]
    res = runner.invoke(app, ["liquidate", "--book", str(book_file), "--price", "nan", "--json"])
    assert res.exit_code == 1 and "positive" in one_json(res.stdout)["error"]["message"]


def test_compare_policies_json(market_file: Path) -> None:
    res = runner.invoke(
        app,
        [
            "liquidate",
            "--compare-policies",
            "--market",
            str(market_file),
            "--scenario",
            "may-2021",
            "--scenario",
            "oct-2025",
            "--paths",
            "12",
            "--horizon",
            "6h",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    d = one_json(res.stdout)
    assert set(d["policies"]) == {"health_first", "largest_first", "risk_weighted", "optimized"}
    for m in d["policies"].values():
        assert set(m) == {"bad_debt_mean", "bad_debt_es99", "slippage_mean"}
    assert list(d["scenarios"]) == ["may-2021", "oct-2025"]


def test_compare_renders_and_rejects_mixups(market_file: Path) -> None:
    args = ["liquidate", "--compare-policies", "--market", str(market_file), "--scenario", "oct-2025"]
    res = runner.invoke(app, [*args, "--paths", "8", "--horizon", "2h"])
    assert res.exit_code == 0, res.output
    assert "oct-2025 — 8 paths" in res.stdout and "optimized" in res.stdout
    assert runner.invoke(app, [*args, "--price", "3"]).exit_code == 2
    assert runner.invoke(app, ["liquidate", "--book", "b.csv", "--scenario", "oct-2025"]).exit_code == 2
    res = runner.invoke(app, [*args, "--gas", "g.csv", "--json"])  # a gas file without a replay
    assert res.exit_code == 2
    res = runner.invoke(app, [*args, "--scenario", "tulip-1637", "--json"])
    assert res.exit_code == 1 and "unknown scenario" in one_json(res.stdout)["error"]["message"]


def test_console_script_plan(book_file: Path) -> None:
    exe = Path(sys.executable).with_name("solvency")
    proc = subprocess.run(
        [str(exe), "liquidate", "--book", str(book_file), "--price", "1650", "--policy", "optimized", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ | {"NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d["policy"] == "optimized" and d["plan"] and d["expected_bad_debt"] >= 0
