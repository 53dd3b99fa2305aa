"""``solvency stress --markets DIR``: one JSON object, exit codes, option clashes, and the real console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app

from ._support import without_timings, write_markets

runner = CliRunner()
FAST = ["--paths", "300", "--horizon", "12h", "--seed", "9", "--chunk-paths", "256"]


def console(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run the installed ``solvency`` console script."""
    exe = Path(sys.executable).with_name("solvency")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=timeout, env=os.environ | {"NO_COLOR": "1"}
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_markets(tmp_path_factory.mktemp("markets"), 2)


def _one_json(stdout: str) -> dict:
    lines = [ln for ln in stdout.splitlines() if ln.strip()]
    assert len(lines) == 1, stdout
    return json.loads(lines[0])


def test_stress_markets_json(folder: Path) -> None:
    res = runner.invoke(app, ["stress", "--markets", str(folder), "--scenario", "spec", *FAST, "--json"])
    assert res.exit_code == 0, res.output
    out = _one_json(res.stdout)
    assert set(out) == {
        "markets",
        "totals",
        "skipped",
        "seed",
        "chunk_paths",
        "tasks",
        "executor",
        "runtime_s",
        "compute_s",
    }
    assert list(out["markets"]) == ["market-0", "market-1"]
    cell = out["markets"]["market-0"]["scenarios"]["black-thursday-2020"]
    # each cell is exactly the one-market `solvency stress --json` object
    single = runner.invoke(app, ["stress", "--market", str(folder / "m0.toml"), "--scenario", "oct-2025", "--json",
                                 "--paths", "300", "--horizon", "12h"])  # fmt: skip
    assert set(cell) == set(_one_json(single.stdout))
    assert out["markets"]["market-0"]["file"] == str(folder / "m0.toml")
    assert list(out["totals"]) == ["oct-2025", "black-thursday-2020"]
    assert (out["seed"], out["tasks"], out["executor"]["kind"]) == (9, 2 * 2 * 2, "local")


def test_stress_markets_human_output(folder: Path) -> None:
    res = runner.invoke(app, ["stress", "--markets", str(folder), "--scenario", "oct-2025", *FAST])
    assert res.exit_code == 0, res.output
    assert "market-0" in res.stdout and "totals by scenario" in res.stdout and "seed 9" in res.stdout


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--workers", "2"], "--markets DIR"),  # a cluster without a sweep
        (["--markets", "DIR", "--market", "x.toml"], "without --market"),
        (["--markets", "DIR", "--book", "b.csv"], "without --market or --book"),
        (["--markets", "DIR", "--scenario", "nope"], "unknown scenario"),
        (["--markets", "DIR", "--chunk-paths", "300"], "multiple of 256"),
        (["--markets", "DIR", "--prices", "PRICES", "--scenario", "oct-2025"], "not both"),
        (["--markets", "DIR", "--workers", "1", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
    ],
)
def test_stress_markets_refusals_exit_1_with_a_json_error(folder: Path, extra: list[str], match: str) -> None:
    prices = folder.parent / "p.csv"
    prices.write_text("time,close\n2024-01-01,1\n2024-01-02,2\n")
    args = [str(folder) if a == "DIR" else str(prices) if a == "PRICES" else a for a in extra]
    res = runner.invoke(app, ["stress", *args, "--paths", "256", "--json"])
    assert res.exit_code == 1, res.output
    assert match in _one_json(res.stdout)["error"]["message"] + (_one_json(res.stdout)["error"]["hint"] or "")


def test_stress_markets_bad_spec_names_the_file(tmp_path: Path) -> None:
    write_markets(tmp_path, 1)
    (tmp_path / "broken.toml").write_text("[current]\nltv = 0.9\nliquidation_threshold = 0.8\n")
    res = runner.invoke(app, ["stress", "--markets", str(tmp_path), "--scenario", "oct-2025", "--json"])
    assert res.exit_code == 1
    err = _one_json(res.stdout)["error"]
    assert err["kind"] == "ConfigError" and err["path"].endswith("broken.toml")


@pytest.mark.slow
def test_console_script_on_two_local_workers_matches_the_local_run(folder: Path) -> None:
    """The installed script starts a real 2-process LocalCluster; the numbers equal the in-process loop's."""
    args = ["stress", "--markets", str(folder), "--scenario", "oct-2025", *FAST, "--json"]
    dask = console(*args, "--workers", "2")
    assert dask.returncode == 0, dask.stderr
    out = _one_json(dask.stdout)
    assert out["executor"]["kind"] == "dask" and out["executor"]["workers"] == 2
    local = runner.invoke(app, args)
    assert without_timings(out) == without_timings(_one_json(local.stdout))


@pytest.fixture
def external_cluster(tmp_path: Path):
    """A scheduler and 2 single-thread workers started as `dask scheduler` / `dask worker` processes, as on hosts."""
    pytest.importorskip("distributed")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = Path(sys.executable).with_name("dask")
    log = (tmp_path / "cluster.log").open("w")
    scheduler = subprocess.Popen(
        [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], stdout=log, stderr=log
    )
    workers = subprocess.Popen(
        [str(dask), "worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
        stdout=log,
        stderr=log,
        cwd=tmp_path,  # workers run elsewhere: every path they read must be absolute
    )
    try:
        yield address
    finally:
        for proc in (workers, scheduler):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


@pytest.mark.slow
def test_console_script_on_an_existing_cluster(folder: Path, external_cluster: str) -> None:
    args = ["stress", "--markets", str(folder), "--scenario", "oct-2025", *FAST, "--json"]
    res = console(*args, "--scheduler", external_cluster)
    assert res.returncode == 0, res.stderr
    out = _one_json(res.stdout)
    assert out["executor"]["scheduler"] == external_cluster and not out["executor"]["local_cluster"]
    assert out["executor"]["workers"] == 2
    assert without_timings(out) == without_timings(_one_json(runner.invoke(app, args).stdout))


def test_cli_chunk_default_is_the_librarys() -> None:
    from solvency.cli._sweep import CHUNK_OPTION
    from solvency.sweep.seeds import CHUNK_PATHS

    assert CHUNK_OPTION.default == CHUNK_PATHS  # the CLI spells it out to keep numba out of its import
