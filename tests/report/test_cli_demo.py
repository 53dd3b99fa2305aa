"""``solvency demo`` and ``solvency report --from``: JSON contract, files written, exit codes, the console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.report import pipeline

pytestmark = pytest.mark.xdist_group("demo")
runner = CliRunner()


def one_json(text: str) -> dict[str, Any]:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one JSON line on stdout, got {len(lines)}"
    return json.loads(lines[0])


@pytest.fixture
def canned(demo_run: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """``run_demo`` returns the shared run's results (the CLI plumbing is under test here, not the pipeline)."""
    seen: dict[str, Any] = {}

    def fake(*, data: Any = None, settings: Any = None, progress: Any = None, only: Any = None) -> dict[str, Any]:
        seen.update(data=data, settings=settings)
        progress("stress: may-2021", 1, 2)
        return demo_run["results"]

    monkeypatch.setattr(pipeline, "run_demo", fake)
    monkeypatch.delenv("SOLVENCY_DATA", raising=False)
    return seen


def test_demo_json_writes_the_three_files(canned: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, ["demo", "--out", str(out), "--seed", "5", "--paths", "33", "--json"])
    assert res.exit_code == 0, res.output
    d = one_json(res.stdout)
    assert set(d) == {"out", "files", "report_bytes", "data", "runtime_s", "timings", "summary", "params"}
    for name in ("results.json", "params.json", "report.html"):
        assert (out / name).is_file()
    assert d["report_bytes"] == (out / "report.html").stat().st_size
    assert d["params"] == json.loads((out / "params.json").read_text(encoding="utf-8"))
    assert canned["settings"].seed == 5 and canned["settings"].stress_paths == 33 and canned["data"] is None


def test_demo_human_output_is_a_summary_table(canned: dict[str, Any], tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for word in ("volatility", "stress", "perp margins", "portfolio margin", "risk oracle", "report.html"):
        assert word in res.stdout


def test_data_folder_from_the_environment_and_sample_override(
    canned: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOLVENCY_DATA", str(tmp_path))
    assert runner.invoke(app, ["demo", "--out", str(tmp_path / "a"), "--json"]).exit_code == 0
    assert canned["data"] == tmp_path
    assert runner.invoke(app, ["demo", "--out", str(tmp_path / "b"), "--sample", "--json"]).exit_code == 0
    assert canned["data"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "/no/such/folder"], "is not a folder"),
        (["--data", ".", "--sample"], "not both"),
    ],
)
def test_demo_input_errors_exit_1_with_a_json_error(args: list[str], message: str, tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--out", str(tmp_path), "--json", *args])
    assert res.exit_code == 1
    assert message in one_json(res.stdout)["error"]["message"]


def test_demo_refuses_a_data_folder_without_the_files(tmp_path: Path) -> None:
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "o"), "--data", str(tmp_path), "--json"])
    assert res.exit_code == 1
    assert "daily/binance_ETHUSDT_1d.csv" in one_json(res.stdout)["error"]["message"]


def test_usage_error_exits_2() -> None:
    assert runner.invoke(app, ["demo", "--paths", "0"]).exit_code == 2
    assert runner.invoke(app, ["report"]).exit_code == 2


def test_report_from_a_folder(demo_run: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(demo_run["out"], folder)
    (folder / "report.html").unlink()
    res = runner.invoke(app, ["report", "--from", str(folder), "--json"])
    assert res.exit_code == 0, res.output
    d = one_json(res.stdout)
    assert Path(d["report"]) == folder / "report.html"
    assert (folder / "report.html").read_bytes() == Path(demo_run["files"]["report"]).read_bytes()
    res = runner.invoke(app, ["report", "--from", str(tmp_path / "empty"), "--json"])
    assert res.exit_code == 1 and "no demo results" in one_json(res.stdout)["error"]["message"]


@pytest.mark.slow
def test_installed_console_script_runs_the_demo_end_to_end(tmp_path: Path) -> None:
    exe = shutil.which("solvency", path=str(Path(sys.executable).parent))
    assert exe, "the solvency console script is not installed in this environment"
    out = tmp_path / "demo-out"
    env = {k: v for k, v in __import__("os").environ.items() if k != "SOLVENCY_DATA"}
    run = subprocess.run(
        [exe, "demo", "--out", str(out), "--paths", "10", "--json"], capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stderr
    d = one_json(run.stdout)
    assert d["data"] == "sample" and list(d["summary"]) == [s.key for s in pipeline.sections()]
    again = subprocess.run(
        [exe, "report", "--from", str(out), "--out", str(tmp_path / "r.html"), "--json"], capture_output=True, text=True
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "r.html").read_bytes() == (out / "report.html").read_bytes()
