"""simulate_lending and `solvency stress`: the contract, determinism, inputs, errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from solvency import api
from solvency.cli import app
from solvency.config import MarketSpec, load_market
from solvency.errors import SolvencyInputError
from solvency.sim.stress import simulate_lending, with_conditions

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "scenario",
    "paths",
    "horizon",
    "debt_total",
    "bad_debt",
    "liquidations",
    "insolvent_positions_mean",
    "runtime_s",
}


def small_market() -> MarketSpec:
    spec = MarketSpec()
    spec.book.positions = 400
    spec.book.debt_total = 4e7
    return spec


def test_contract_keys_and_determinism() -> None:
    a = simulate_lending(small_market(), scenario="may-2021", paths=300, seed=4)
    payload = a.to_dict()
    assert set(payload) == KEYS
    assert set(payload["bad_debt"]) == {"mean", "var95", "es99", "prob", "max"}
    assert set(payload["liquidations"]) == {"count_mean", "volume_mean", "lar95"}
    assert payload["paths"] == 300 and payload["horizon"] == "1d" and payload["scenario"] == "may-2021"
    b = simulate_lending(small_market(), scenario="may-2021", paths=300, seed=4)
    assert np.array_equal(a.output.bad_debt, b.output.bad_debt)
    c = simulate_lending(small_market(), scenario="may-2021", paths=300, seed=5)
    assert not np.array_equal(a.output.liquidations, c.output.liquidations)
    assert "bad debt" in a.summary()


def test_api_exports() -> None:
    assert api.simulate_lending is simulate_lending
    assert "oct-2025" in api.scenario_names()
    r = api.simulate_lending(small_market(), scenario=api.get_scenario("oct-2025"), paths=64, seed=1, horizon="6h")
    assert r.horizon == 6 * 3600 and r.paths == 64


@pytest.mark.parametrize("model", ["gbm", "merton", "garch", "bootstrap"])
def test_model_paths(model: str) -> None:
    spec = small_market()
    spec.sim.model = model  # type: ignore[assignment]
    r = simulate_lending(spec, paths=64, seed=2, horizon="12h")
    assert r.scenario == model and r.paths == 64 and r.step == 300
    assert r.bad_debt.mean >= 0


def test_engines_agree_through_the_api() -> None:
    spec = small_market()
    spec.book.positions = 60
    fast = simulate_lending(spec, scenario="black-thursday-2020", paths=4, seed=9, horizon="12h")
    ref = simulate_lending(spec, scenario="black-thursday-2020", paths=4, seed=9, horizon="12h", engine="reference")
    assert fast.output.liquidations.tolist() == ref.output.liquidations.tolist()
    assert fast.output.bad_debt == pytest.approx(ref.output.bad_debt, rel=1e-9, abs=1e-6)


def test_multi_asset_market_and_multi_collateral_book() -> None:
    spec = small_market()
    spec.sim.assets = [
        {"symbol": "WBTC", "price": 60_000.0, "vol": 0.6, "liquidation_threshold": 0.78, "liquidation_bonus": 0.06}
    ]  # type: ignore[list-item]
    spec.sim.correlation = [[1.0, 0.8], [0.8, 1.0]]
    spec.sim.stressed_correlation = [[1.0, 0.95], [0.95, 1.0]]
    spec.book.multi_collateral_share = 0.5
    spec = MarketSpec.model_validate(spec.model_dump())
    r = simulate_lending(spec, scenario="ftx-2022", paths=32, seed=3, horizon="1d")
    assert r.details["book"]["single_collateral"] is False
    assert r.details["model"]["assets"] == ["WETH", "WBTC"]


def test_csv_book_and_replay_with_gas(tmp_path: Path) -> None:
    times = np.arange(0, 24 * 3600, 600)
    idx = [f"2020-03-12T{t // 3600:02d}:{(t % 3600) // 60:02d}:00Z" for t in times]
    price = 200.0 * np.exp(-0.5 * times / times[-1])
    (tmp_path / "eth.csv").write_text("time,close\n" + "".join(f"{t},{p}\n" for t, p in zip(idx, price, strict=True)))
    (tmp_path / "gas.csv").write_text("timestamp,avgGasDay\n" + "".join(f"{t},{1e11}\n" for t in idx))
    (tmp_path / "book.csv").write_text(
        "id,collateral_asset,collateral_amount,debt_asset,debt_amount\n"
        "a,WETH,100,USDC,15000\n"
        "b,WETH,10,USDC,1300\n"
        "c,WETH,0.5,USDC,62\n"
    )
    r = simulate_lending(prices=tmp_path / "eth.csv", gas=tmp_path / "gas.csv", book=tmp_path / "book.csv")
    assert r.paths == 1 and r.step == 600 and r.scenario == "replay:eth.csv"
    assert r.details["liquidators"]["gas_gwei_mean"] == pytest.approx(100.0)
    assert r.output.reached[0] == 3 and r.output.liquidations[0] >= 2  # c is too small to pay 100-gwei gas
    assert r.worst["id"].tolist()[:1] == ["c"]  # never liquidated, ends below water: 62 − 0.5·121.3
    # a gas file that stops after an hour does not cover the day: refused, naming both spans
    (tmp_path / "gas2.csv").write_text("timestamp,avgGasDay\n2020-03-12T00:00:00Z,1e11\n2020-03-12T01:00:00Z,1e11\n")
    with pytest.raises(SolvencyInputError, match="covers"):
        simulate_lending(prices=tmp_path / "eth.csv", gas=tmp_path / "gas2.csv", book=tmp_path / "book.csv")


def test_input_errors() -> None:
    with pytest.raises(SolvencyInputError, match="not both"):
        simulate_lending(scenario="oct-2025", prices="x.csv")
    with pytest.raises(SolvencyInputError, match="unknown scenario"):
        simulate_lending(scenario="nope")
    with pytest.raises(SolvencyInputError, match="needs a replay"):
        simulate_lending(gas="gas.csv")
    with pytest.raises(SolvencyInputError, match="unknown conditions"):
        with_conditions(None, "panic")
    with pytest.raises(SolvencyInputError, match="unknown liquidation policy"):
        simulate_lending(small_market(), paths=2, policy="random")


def test_conditions_preset() -> None:
    spec = with_conditions(None, "congested-2020")
    assert spec.oracle.delay == "1h" and spec.liquidators.latency == "30m"
    assert spec.liquidators.capacity_per_step == pytest.approx(0.2 * MarketSpec().liquidators.capacity_per_step)
    assert MarketSpec().oracle.delay == "0s"  # the default is untouched


def test_example_markets_load_and_run() -> None:
    for name in ("weth-usdc.toml", "aave-v3-weth.toml"):
        spec = load_market(ROOT / "examples/markets" / name)
        assert spec.current.liquidation_threshold == 0.83 and spec.current.liquidation_bonus == 0.05
    aave = load_market(ROOT / "examples/markets/aave-v3-weth.toml")
    assert aave.current.ltv == 0.805 and aave.sim.model == "garch"
    assert MarketSpec().model_dump(exclude={"source"}) == load_market(
        ROOT / "examples/markets/weth-usdc.toml"
    ).model_dump(exclude={"source"})


# ------------------------------------------------------------------------------------------------ CLI

runner = CliRunner()


def test_cli_json_is_one_object() -> None:
    result = runner.invoke(app, ["stress", "--scenario", "oct-2025", "--paths", "64", "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == KEYS and payload["paths"] == 64


def test_cli_human_and_list() -> None:
    result = runner.invoke(app, ["stress", "--scenario", "may-2021", "--paths", "32", "--horizon", "6h"])
    assert result.exit_code == 0 and "bad debt, VaR95" in result.stdout
    listed = runner.invoke(app, ["stress", "--list-scenarios", "--json"])
    assert listed.exit_code == 0
    assert {s["name"] for s in json.loads(listed.stdout)["scenarios"]} >= {"black-thursday-2020", "oct-2025"}


def test_cli_errors_exit_1_with_a_json_error(tmp_path: Path) -> None:
    bad = tmp_path / "book.csv"
    bad.write_text("id,collateral_asset,collateral_amount,debt_asset,debt_amount\nx,WETH,abc,USDC,1\n")
    result = runner.invoke(app, ["stress", "--book", str(bad), "--paths", "2", "--json"])
    assert result.exit_code == 1
    err = json.loads(result.stdout)["error"]
    assert err["row"] == 1 and "collateral_amount" in err["message"]
    result = runner.invoke(app, ["stress", "--scenario", "nope", "--json"])
    assert result.exit_code == 1 and "choose one of" in json.loads(result.stdout)["error"]["hint"]
    result = runner.invoke(app, ["stress", "--paths", "0"])
    assert result.exit_code == 2  # usage error


def test_installed_console_script() -> None:
    exe = Path(sys.executable).with_name("solvency")
    out = subprocess.run(
        [str(exe), "stress", "--scenario", "usdc-depeg-2023", "--paths", "16", "--horizon", "2h", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["scenario"] == "usdc-depeg-2023"


def test_runs_without_numba() -> None:
    """SOLVENCY_NUMBA=0: every kernel runs as plain Python (the arch-style fallback), same numbers."""
    code = (
        "import json; from solvency import _jit; from solvency.config import MarketSpec;"
        "from solvency.sim.stress import simulate_lending;"
        "m = MarketSpec(); m.book.positions = 30; m.book.debt_total = 3e6;"
        "r = simulate_lending(m, scenario='may-2021', paths=6, seed=2, horizon='2h');"
        "print(json.dumps({'numba': _jit.ENABLED, 'liq': r.output.liquidations.tolist(),"
        " 'bad': r.output.bad_debt.tolist()}))"
    )
    env = {**os.environ, "SOLVENCY_NUMBA": "0"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, check=True)
    interpreted = json.loads(out.stdout)
    assert interpreted["numba"] is False
    spec = MarketSpec()
    spec.book.positions, spec.book.debt_total = 30, 3e6
    compiled = simulate_lending(spec, scenario="may-2021", paths=6, seed=2, horizon="2h")
    assert interpreted["liq"] == compiled.output.liquidations.tolist()
    assert interpreted["bad"] == pytest.approx(compiled.output.bad_debt.tolist(), rel=1e-9, abs=1e-6)
