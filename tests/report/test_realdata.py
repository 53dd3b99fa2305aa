"""The demo on the real shared data: every section runs on the documented files, params validate, the report says
which files it used."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from solvency.report.files import write_run
from solvency.report.inputs import REAL_FILES
from solvency.report.params import params_schema
from solvency.report.pipeline import DemoSettings, run_demo

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_demo_on_real_data(real_data: Path, tmp_path: Path) -> None:
    results = run_demo(
        data=real_data,
        settings=DemoSettings(seed=5, stress_paths=30, backtest_bars=400, calibration_paths=300, policy_paths=20),
    )
    files = write_run(results, tmp_path)
    doc = json.loads(files["results"].read_text(encoding="utf-8"))
    assert doc["data"]["mode"] == "real" and doc["data"]["files"] == REAL_FILES
    s = doc["sections"]
    assert s["market"]["source"] == Path(REAL_FILES["daily"]).name
    assert s["perp"]["source"] == Path(REAL_FILES["hourly"]).name
    assert set(s["stress"]["replays"]) == {"replay-black-thursday-2020", "replay-oct-2025"}
    assert s["stress"]["replays"]["replay-black-thursday-2020"]["gas"] == Path(REAL_FILES["gas_2020"]).name
    assert s["oracle"]["source"] == Path(REAL_FILES["oracle_crash"]).name
    # Black Thursday on Coinbase hourly: the oracle reaches a crisis regime and tightens LTV.
    assert s["oracle"]["summary"]["max_regime"] == "crisis"
    assert s["oracle"]["summary"]["ltv_min"] < s["oracle"]["summary"]["ltv_start"]
    # The policy comparison adds the real replays to the crunch market's scenarios.
    assert any(k.startswith("replay") for k in s["liquidation"]["comparison"]["scenarios"])
    assert s["lending"]["markets"]["aave-v3-weth"]["source"] == Path(REAL_FILES["daily"]).name
    params = json.loads(files["params"].read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(params_schema()).validate(params)
    assert params["data"]["mode"] == "real"
    html = files["report"].read_text(encoding="utf-8")
    for rel in REAL_FILES.values():
        assert rel in html  # the report names every file it read
