"""Demo inputs: shipped example specs (one copy, linked from examples/), the sample, and the real-data layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from solvency.errors import SolvencyInputError
from solvency.report import inputs
from solvency.report.inputs import REAL_FILES, REQUIRED, data_folder, example, load_inputs
from tests.conftest import ROOT


def test_examples_folder_links_to_the_packaged_specs() -> None:
    # One source of truth: the repository's examples/ entries resolve into the package.
    for name in ("markets", "portfolios", "oracle.toml"):
        link = ROOT / "examples" / name
        assert link.is_symlink(), f"examples/{name} should link to src/solvency/examples/{name}"
        assert link.resolve() == (inputs.EXAMPLES / name).resolve()


def test_every_market_the_demo_names_is_shipped() -> None:
    for name in (inputs.STRESS_MARKET, inputs.PERP_MARKET):
        assert example(f"markets/{name}.toml").is_file()
    assert example(f"portfolios/{inputs.PORTFOLIO}.csv").is_file()
    assert example("oracle.toml").is_file()
    with pytest.raises(SolvencyInputError, match="missing from the installed package"):
        example("markets/no-such-market.toml")


def test_sample_inputs_are_offline_and_consistent() -> None:
    got = load_inputs(None)
    assert got.mode == "sample" and got.files == {} and got.replays == {}
    assert got.daily.index[-1] == got.hourly.index[-1].normalize()
    # The oracle replays the sample's crash day with days around it, at 10-minute bars.
    assert got.oracle_crash.index[0] < pd.Timestamp(inputs.SAMPLE_CRASH_DAY, tz="UTC")
    assert (got.oracle_crash.index[1] - got.oracle_crash.index[0]).total_seconds() == 600
    spec = got.market(inputs.STRESS_MARKET)
    assert spec.prices.file is None  # the sample


def test_data_folder_from_option_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(inputs.DATA_ENV, raising=False)
    assert data_folder(None) is None
    monkeypatch.setenv(inputs.DATA_ENV, str(tmp_path))
    assert data_folder(None) == tmp_path
    with pytest.raises(SolvencyInputError, match=r"--data .* is not a folder"):
        data_folder(tmp_path / "missing")
    monkeypatch.setenv(inputs.DATA_ENV, str(tmp_path / "gone"))
    with pytest.raises(SolvencyInputError, match=r"\$SOLVENCY_DATA .* is not a folder"):
        data_folder(None)


def test_a_folder_without_the_required_files_is_refused_naming_them(tmp_path: Path) -> None:
    with pytest.raises(SolvencyInputError) as err:
        load_inputs(tmp_path)
    for role in REQUIRED:
        assert REAL_FILES[role] in str(err.value)


@pytest.mark.realdata
def test_real_layout_uses_the_documented_files(real_data: Path, tmp_path: Path) -> None:
    got = load_inputs(real_data)
    assert got.mode == "real"
    assert set(got.files) == set(REAL_FILES)  # the shared data holds every file the demo documents
    assert got.daily.attrs["source"].endswith(REAL_FILES["daily"].split("/")[-1])
    assert set(got.replays) == {"replay-black-thursday-2020", "replay-oct-2025"}
    assert got.market("aave-v3-weth").prices.file == real_data / REAL_FILES["daily"]
    # Only the required files: optional parts are noted, not refused.
    for role in REQUIRED:
        (tmp_path / REAL_FILES[role]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(real_data / REAL_FILES[role], tmp_path / REAL_FILES[role])
    small = load_inputs(tmp_path)
    assert small.replays == {}
    assert any(REAL_FILES["replay_2020"] in n for n in small.notes)
    # Without the crash-week file the oracle replays the week around the largest hourly fall.
    assert len(small.oracle_crash) == 7 * 24
