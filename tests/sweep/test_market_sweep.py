"""One calculation per market (the shape of a calibration sweep), shown with the perp calibrator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from solvency.calibrate.perp import calibrate_perp
from solvency.cli import app
from solvency.config import load_market
from solvency.errors import SolvencyInputError
from solvency.sweep.markets import sweep_markets
from solvency.sweep.seeds import cell_seed

from ._support import without_timings, write_markets

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("perps")
    for name, fee in (("eth-perp", 0.001), ("btc-perp", 0.002)):
        (d / f"{name}.toml").write_text(
            f'name = "{name}"\nprotocol = "perp"\n[prices]\nfreq = "4h"\n'
            f"[perp]\ninsurance_paths = 100\nliquidation_fee_floor = {fee}\n"
        )
    (d / "lending.toml").write_text('name = "weth"\nprotocol = "lending"\n')
    return d


def test_each_market_gets_its_own_keyed_seed_on_any_executor(folder: Path, threads_cluster) -> None:
    for executor in (None, threads_cluster):
        sweep = sweep_markets(
            calibrate_perp, folder, protocol="perp", seed=3, seed_label="calibrate-perp",
            seed_as=np.random.default_rng, executor=executor,
        )  # fmt: skip
        assert list(sweep.results) == ["btc-perp", "eth-perp"]  # file-name order
        out = sweep.to_dict()
        assert out["skipped"] == [
            {"name": "weth", "file": folder / "lending.toml", "reason": "protocol is 'lending', not 'perp'"}
        ]
        for name, result in out["markets"].items():
            spec = load_market(sweep.files[name])
            alone = calibrate_perp(spec, seed=np.random.default_rng(cell_seed(3, name, "calibrate-perp")))
            assert result == alone.to_dict()
    a, b = out["markets"]["btc-perp"], out["markets"]["eth-perp"]
    assert a["insurance_fund_target"] != b["insurance_fund_target"]


def test_without_a_seed_label_the_calls_get_only_the_kwargs(folder: Path) -> None:
    sweep = sweep_markets(calibrate_perp, folder, protocol="perp", kwargs={"seed": 5})
    assert sweep.seed is None
    spec = load_market(folder / "eth-perp.toml")
    assert sweep.results["eth-perp"].to_dict() == calibrate_perp(spec, seed=5).to_dict()


def test_no_market_of_the_protocol_is_refused(folder: Path) -> None:
    with pytest.raises(SolvencyInputError, match="no options market"):
        sweep_markets(calibrate_perp, folder, protocol="options")


def test_cli_calibrate_perp_markets(folder: Path) -> None:
    """`calibrate perp --markets DIR`: each market's object is exactly what `--market FILE` prints."""
    res = runner.invoke(app, ["calibrate", "perp", "--markets", str(folder), "--seed", "4", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out) == {"markets", "files", "skipped", "seed", "executor", "runtime_s"}
    one = runner.invoke(app, ["calibrate", "perp", "--market", str(folder / "eth-perp.toml"), "--seed", "4", "--json"])
    assert out["markets"]["eth-perp"] == json.loads(one.stdout)
    assert [s["name"] for s in out["skipped"]] == ["weth"]
    text = runner.invoke(app, ["calibrate", "perp", "--markets", str(folder), "--seed", "4"])
    assert "btc-perp" in text.stdout and "Tiers" in text.stdout and "skipped weth" in text.stdout


@pytest.mark.parametrize(
    ("args", "match"),
    [(["--workers", "2"], "--markets DIR"), (["--markets", "DIR", "--market", "x.toml"], "without --market")],
)
def test_cli_calibrate_perp_markets_refusals(folder: Path, args: list[str], match: str) -> None:
    args = [str(folder) if a == "DIR" else a for a in args]
    res = runner.invoke(app, ["calibrate", "perp", *args, "--json"])
    assert res.exit_code == 1
    err = json.loads(res.stdout)["error"]
    assert match in err["message"] + err["hint"]


def test_cli_calibrate_lending_markets(tmp_path: Path, threads_cluster) -> None:
    """`calibrate lending --markets DIR`: each market's object is what `--market FILE` prints, on any executor."""
    from solvency.calibrate.lending import calibrate_lending

    folder = write_markets(tmp_path, 2)
    (folder / "perp.toml").write_text('name = "eth-perp"\nprotocol = "perp"\n')
    args = ["--paths", "256", "--no-depth", "--seed", "5", "--json"]
    res = runner.invoke(app, ["calibrate", "lending", "--markets", str(folder), *args])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert list(out["markets"]) == ["market-0", "market-1"] and out["skipped"][0]["name"] == "eth-perp"
    for name, file in out["files"].items():
        one = runner.invoke(app, ["calibrate", "lending", "--market", file, *args])
        assert without_timings(out["markets"][name]) == without_timings(json.loads(one.stdout))
    kwargs = {"paths": 256, "seed": 5, "depth_sensitivity": False}
    dask = sweep_markets(calibrate_lending, folder, protocol="lending", kwargs=kwargs, executor=threads_cluster)
    assert without_timings(dask.to_dict()["markets"]) == without_timings(out["markets"])
    text = runner.invoke(app, ["calibrate", "lending", "--markets", str(folder), *args[:-1]])
    assert "market-1" in text.stdout and "skipped eth-perp" in text.stdout


@pytest.mark.parametrize(
    "option", [["--market", "x.toml"], ["--book", "b.csv"], ["--prices", "p.csv"], ["--table", "t.csv"]]
)
def test_cli_calibrate_lending_markets_refuses_one_market_options(tmp_path: Path, option: list[str]) -> None:
    folder = write_markets(tmp_path, 1)
    res = runner.invoke(app, ["calibrate", "lending", "--markets", str(folder), *option, "--json"])
    assert res.exit_code == 1
    assert f"without {option[0]}" in json.loads(res.stdout)["error"]["hint"]
