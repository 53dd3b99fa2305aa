"""``solvency replay FILE --config oracle.toml --stress``: bad debt under the oracle's path and static parameters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.data.sample import sample_crash
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "oracle.toml"
MARKET = ROOT / "examples" / "markets" / "aave-v3-weth.toml"
KEYS = {"market", "conditions", "delay_s", "static_params", "oracle_path", "oracle", "static", "extra_bad_debt"}


def one_json(text: str) -> dict:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return json.loads(lines[0])


@pytest.fixture(scope="module")
def crash_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("stress") / "eth.csv"
    sample_crash("1h", days_before=2).reset_index().to_csv(path, index=False)
    return path


def test_replay_stress_json_and_human(crash_csv: Path) -> None:
    args = ["replay", str(crash_csv), "--config", str(EXAMPLE), "--asset", "ETH", "--stress", "--market", str(MARKET)]
    r = runner.invoke(app, [*args, "--conditions", "congested-2020", "--json"])
    assert r.exit_code == 0, r.output
    out = one_json(r.stdout)
    assert {"updates", "timeline", "summary", "stress"} <= set(out)  # the replay's keys stay
    s = out["stress"]
    assert set(s) >= KEYS and s["conditions"] == "congested-2020" and s["market"] == "aave-v3-weth"
    for side in ("oracle", "static"):
        assert {"bad_debt", "bad_debt_share", "insolvent_positions", "liquidations", "bonus_paid"} <= set(s[side])
        assert 0.0 <= s[side]["bad_debt_share"] < 1.0
    assert s["oracle_path"]["lt"]["min"] < s["static_params"]["liquidation_threshold"]
    assert s["no_more_bad_debt"] is (s["oracle"]["bad_debt"] <= s["static"]["bad_debt"])
    late = one_json(runner.invoke(app, [*args, "--delay", "2h", "--json"]).stdout)["stress"]
    assert late["delay_s"] == 7200
    human = runner.invoke(app, args)
    assert human.exit_code == 0 and "oracle path" in human.stdout and "bad debt" in human.stdout


def test_replay_stress_usage_errors(crash_csv: Path) -> None:
    base = ["replay", str(crash_csv), "--config", str(EXAMPLE), "--asset", "ETH", "--json"]
    r = runner.invoke(app, [*base, "--market", str(MARKET)])
    assert r.exit_code == 1 and "--stress" in one_json(r.stdout)["error"]["hint"]
    r = runner.invoke(app, [*base, "--stress", "--conditions", "calm"])
    assert r.exit_code == 1 and "current" in one_json(r.stdout)["error"]["hint"]
    r = runner.invoke(app, [*base, "--stress", "--delay", "soon"])
    assert r.exit_code == 1 and "error" in one_json(r.stdout)


def test_installed_script_replay_stress(crash_csv: Path) -> None:
    script = Path(sys.executable).with_name("solvency")
    done = subprocess.run(
        [str(script), "replay", str(crash_csv), "--config", str(EXAMPLE), "--asset", "ETH", "--stress", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert one_json(done.stdout)["stress"]["static"]["debt_total"] == pytest.approx(1e9)
