"""``solvency data check``: exit codes, one JSON object, cleaning paths, files with several series."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.data.loading import load_prices
from solvency.data.writing import write_prices
from tests.data.test_validation import at, walk

runner = CliRunner()


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_prices(walk(200).drop(index=[at(50)]), tmp_path / "good.csv")


@pytest.fixture
def bad(tmp_path: Path) -> Path:
    df = walk(200)
    df.iloc[10, df.columns.get_loc("close")] = np.nan
    df.iloc[120] = df.iloc[120] * 50
    return write_prices(df, tmp_path / "bad.csv")


def check(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["data", "check", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_ok_file_exits_zero_with_the_report(good: Path) -> None:
    code, doc = check(str(good))
    assert code == 0 and doc["ok"] is True
    assert set(doc) == {"rows", "start", "end", "frequency", "issues", "ok"}
    assert [(i["kind"], i["time"], i["bars"]) for i in doc["issues"]] == [("gap", "2024-01-03T02:00:00Z", 1)]
    human = runner.invoke(app, ["data", "check", str(good)])
    assert human.exit_code == 0 and "gap" in human.stdout and "ok" in human.stdout


def test_fatal_file_exits_one(bad: Path) -> None:
    code, doc = check(str(bad))
    assert code == 1 and doc["ok"] is False
    assert [(i["kind"], i["time"], i["row"]) for i in doc["issues"]] == [
        ("non_finite", "2024-01-01T10:00:00Z", 11),
        ("spike", "2024-01-06T00:00:00Z", 121),
    ]
    human = runner.invoke(app, ["data", "check", str(bad)])
    assert human.exit_code == 1 and "fatal problems" in human.stdout and "non_finite" in human.stdout


def test_clean_writes_beside_the_input_and_lists_changes(bad: Path) -> None:
    code, doc = check(str(bad), "--clean")
    assert code == 0
    clean = doc["clean"]
    assert clean["out"] == str(bad.with_name("bad.clean.csv"))
    assert clean["changes_file"] == str(bad.with_name("bad.changes.json"))
    assert clean["report"]["ok"] is True and clean["by_action"]["dropped"] == 1
    changes = json.loads(Path(clean["changes_file"]).read_text())
    assert changes["source"] == str(bad)
    assert {(c["action"], c["time"]) for c in changes["changes"]} >= {
        ("dropped", "2024-01-01T10:00:00Z"),
        ("repaired", "2024-01-06T00:00:00Z"),
    }
    assert len(load_prices(clean["out"])) == 199
    assert len(load_prices(bad)) == 200  # the input is untouched


def test_clean_out_path_format_and_keep_spikes(bad: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub.json"
    code, doc = check(str(bad), "--clean", "--out", str(out), "--keep-spikes")
    assert code == 0 and doc["clean"]["changes_file"] == str(tmp_path / "sub.changes.json")
    kept = load_prices(out)
    assert kept["close"].iloc[119] == pytest.approx(walk(200)["close"].iloc[120] * 50)
    assert [i["kind"] for i in doc["clean"]["report"]["issues"]] == ["gap", "spike"]


def test_clean_never_overwrites_the_input(bad: Path) -> None:
    result = runner.invoke(app, ["data", "check", str(bad), "--clean", "--out", str(bad)])
    assert result.exit_code == 2 and "overwrite" in result.output
    assert len(load_prices(bad)) == 200


def test_clean_into_a_missing_folder_is_a_clear_error(bad: Path, tmp_path: Path) -> None:
    code, doc = check(str(bad), "--clean", "--out", str(tmp_path / "nope" / "x.csv"))
    assert code == 1 and "cannot write" in doc["error"]["message"]


@pytest.fixture
def gas(tmp_path: Path) -> Path:
    """A file with several series and no close, shaped like the Ethereum gas files."""
    lines = ["datetime,timestamp,doc_count,avgGasDay,30.0 Perc,90.0 Perc"]
    for k in range(144):
        t = f"2020-03-12T{k // 6:02d}:{(k % 6) * 10:02d}:00.000Z"
        p90 = 35e9 if 20 <= k < 34 else 30e9 + 1e8 * np.sin(k)
        avg = 1e10 * (1 + 0.1 * np.sin(k / 5)) * (-1 if k == 77 else 1)
        lines.append(f"12:00,{t},4000,{avg},{5e9 + 1e7 * np.cos(k)},{p90}")
    path = tmp_path / "gas.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_several_series_are_checked_one_by_one(gas: Path) -> None:
    code, doc = check(str(gas))
    assert code == 1 and doc["columns"] == ["avgGasDay", "30.0 Perc", "90.0 Perc"]
    assert [(i["kind"], i["column"], i["time"]) for i in doc["issues"]] == [
        ("non_positive", "avgGasDay", "2020-03-12T12:50:00Z"),
        ("stale", "90.0 Perc", "2020-03-12T03:20:00Z"),
    ]
    code, doc = check(str(gas), "--column", "90.0 perc")
    assert code == 0 and "columns" not in doc and [i["kind"] for i in doc["issues"]] == ["stale"]
    result = runner.invoke(app, ["data", "check", str(gas), "--clean"])
    assert result.exit_code == 2 and "--column" in result.output
    human = runner.invoke(app, ["data", "check", str(gas)])
    assert "series checked" in human.stdout and "avgGasDay" in human.stdout


def test_unreadable_file_is_one_json_error(tmp_path: Path) -> None:
    code, doc = check(str(tmp_path / "missing.csv"))
    assert code == 1 and doc["error"]["kind"] == "DataFormatError" and "not found" in doc["error"]["message"]


def test_installed_console_script(bad: Path) -> None:
    exe = Path(sys.executable).with_name("solvency")
    done = subprocess.run(
        [str(exe), "data", "check", str(bad), "--json"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 1
    doc = json.loads(done.stdout)  # exactly one JSON object on stdout
    assert doc["issues"][0]["kind"] == "non_finite"
