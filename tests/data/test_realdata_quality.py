"""``data check`` on every real price file, and on a corrupted copy of one.

Independent references, written beside each assertion:

* the 16 missing hours of Binance ETH hourly 2017-2021 (README: "16 missing hours") with their times were
  listed by reading the raw CSV with the ``csv`` module and ``datetime.fromisoformat`` and printing every
  step that is not one hour (not with solvency's loader);
* the DAI highs of 3.668398 and 1.500809 on 2021-11-16/17 are in the raw file and the README;
* USTC's 33 ``null`` rows (2022-10-10 → 2022-11-11, file lines 686-718) were found with ``grep -n null``.

``EXPECTED`` is what ``data check`` says of each file, reviewed by hand (the per-issue reasons are in the
report for the lead and in ``benchmarks/RESULTS.md``); a change of rule that changes it must be reviewed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.data.loading import load_prices
from solvency.data.resolve import prices_or_sample
from solvency.data.validation import check_file, validate_prices
from solvency.errors import DataQualityError

pytestmark = pytest.mark.realdata

EXPECTED: dict[str, dict[str, int]] = {
    "daily/binance_BTCUSDT_1d.csv": {"gap": 4},
    "daily/binance_ETHUSDT_1d.csv": {"gap": 4, "spike": 1},
    "daily/binance_SOLUSDT_1d.csv": {"gap": 4},
    "daily/coingecko_ETH-USD_1d.csv": {"gap": 1, "off_grid": 2},
    "daily/yahoo_BTC-USD_1d.csv": {},
    "daily/yahoo_DAI-USD_1d.csv": {"spike": 3},
    "daily/yahoo_ETH-USD_1d.csv": {},
    "daily/yahoo_STETH-USD_1d.csv": {},
    "daily/yahoo_USDC-USD_1d.csv": {"spike": 3},
    "daily/yahoo_USDT-USD_1d.csv": {"spike": 3},
    "daily/yahoo_USTC-USD_1d.csv": {"non_finite": 33, "spike": 6},
    "daily/yahoo_WBTC-USD_1d.csv": {"spike": 1},
    "daily/yahoo_WSTETH-USD_1d.csv": {"spike": 1},
    "hourly/binance_BTCUSDT_1h_2017-2021.csv": {"gap": 8, "spike": 3, "stale": 12},
    "hourly/binance_BTCUSDT_1h_2021-2025.csv": {"gap": 2, "spike": 2},
    "hourly/binance_ETHUSDT_1h_2017-2021.csv": {"gap": 8, "spike": 4, "stale": 10},
    "hourly/binance_ETHUSDT_1h_2021-2025.csv": {"gap": 2},
    "intraday/binance_BTCUSDT_4h_2025-10-05_2025-10-15.csv": {},
    "intraday/binance_ETHUSDT_4h_2025-10-05_2025-10-15.csv": {},
    "intraday/coinapi_ETHUSD_10m_2020-03-12.csv": {},
    "intraday/coinapi_ETHUSD_10m_2021-05-19.csv": {},
    "intraday/coinbase_ETHUSD_1h_2020-03-09_2020-03-16.csv": {},
    "intraday/ethereum_gasprice_10m_2020-03-12.csv": {"stale": 2},
    "intraday/ethereum_gasprice_10m_2021-05-19.csv": {},
}

runner = CliRunner()


def test_every_real_price_file_is_listed(real_data: Path) -> None:
    files = {str(p.relative_to(real_data)) for d in ("daily", "hourly", "intraday") for p in (real_data / d).glob("*")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_data_check_describes_each_file(real_data: Path, name: str) -> None:
    report, _ = check_file(real_data / name)
    assert report.counts() == EXPECTED[name]
    assert report.ok == (name != "daily/yahoo_USTC-USD_1d.csv")
    assert all(i.time is not None and i.detail for i in report.issues)


def test_eth_hourly_sixteen_missing_hours(real_data: Path) -> None:
    report = validate_prices(load_prices(real_data / "hourly/binance_ETHUSDT_1h_2017-2021.csv"))
    gaps = [(i.time, i.bars, i.row) for i in report.of_kind("gap")]
    expected = [  # first missing hour, hours missing, data row after the gap (csv module, see docstring)
        ("2017-09-22 20:00", 4, 881),
        ("2020-11-30 06:00", 1, 28823),
        ("2020-12-21 15:00", 3, 29335),
        ("2020-12-25 02:00", 1, 29415),
        ("2021-02-11 04:00", 1, 30568),
        ("2021-03-06 02:00", 1, 31117),
        ("2021-04-20 02:00", 2, 32196),
        ("2021-04-25 05:00", 3, 32317),
    ]
    assert gaps == [(pd.Timestamp(t, tz="UTC"), n, r) for t, n, r in expected]
    assert sum(n for _, n, _ in gaps) == 16
    assert report.frequency == "1h" and report.ok


def test_dai_bad_highs_are_spikes(real_data: Path) -> None:
    report = validate_prices(load_prices(real_data / "daily/yahoo_DAI-USD_1d.csv"))
    spikes = {(str(i.time.date()), i.field) for i in report.of_kind("spike")}
    assert {("2021-11-16", "high"), ("2021-11-17", "high")} <= spikes
    nov16 = next(i for i in report.of_kind("spike") if str(i.time.date()) == "2021-11-16")
    assert "3.6684" in nov16.detail and nov16.row == 726


def test_ustc_null_rows_are_non_finite_and_refused(real_data: Path) -> None:
    path = real_data / "daily/yahoo_USTC-USD_1d.csv"
    report = validate_prices(load_prices(path))
    bad = report.of_kind("non_finite")
    assert len(bad) == 33
    assert bad[0].time == pd.Timestamp("2022-10-10", tz="UTC") and bad[0].row == 685
    assert bad[-1].time == pd.Timestamp("2022-11-11", tz="UTC") and bad[-1].row == 717
    with pytest.raises(DataQualityError, match=r"33 fatal data problems.*2022-10-10.*and 28 more"):
        prices_or_sample(path)


def test_every_usable_file_loads_through_prices_or_sample(real_data: Path) -> None:
    for name in EXPECTED:
        if "USTC" in name:
            continue
        column = "avgGasDay" if "gasprice" in name else None
        frame = prices_or_sample(real_data / name, column=column)
        assert len(frame) > 50 and "quality" in frame.attrs


# ------------------------------------------------------------------------------------- corrupted copy


def corrupt_copy(real_data: Path, tmp_path: Path) -> Path:
    """Binance ETH daily with a NaN row, a negative price, a repeated day, five rows reversed and a bar ×50.

    Edited as text, line by line, so nothing of solvency's writer is involved.
    """
    lines = (real_data / "daily/binance_ETHUSDT_1d.csv").read_text().splitlines()
    header, body = lines[0], lines[1:]
    cols = header.split(",")
    idx = {d.split(",", 1)[0]: k for k, d in enumerate(body)}

    def edit(day: str, fn) -> None:
        cells = body[idx[day]].split(",")
        fn(cells)
        body[idx[day]] = ",".join(cells)

    edit("2021-03-01", lambda c: c.__setitem__(cols.index("close"), ""))  # NaN close
    edit("2021-06-01", lambda c: c.__setitem__(cols.index("low"), "-" + c[cols.index("low")]))  # negative

    def times_fifty(cells: list[str]) -> None:
        for f in ("open", "high", "low", "close"):
            cells[cols.index(f)] = repr(float(cells[cols.index(f)]) * 50)

    edit("2024-03-15", times_fifty)  # one whole bar ×50
    k = idx["2023-05-01"]
    body[k : k + 5] = body[k : k + 5][::-1]  # 2023-05-05 … 2023-05-01
    k = idx["2022-01-10"]
    body.insert(k + 1, body[k])  # the same day twice
    path = tmp_path / "eth_corrupt.csv"
    path.write_text("\n".join([header, *body]) + "\n")
    return path


def test_corrupted_copy_reports_each_problem_with_its_time(real_data: Path, tmp_path: Path) -> None:
    path = corrupt_copy(real_data, tmp_path)
    report = validate_prices(load_prices(path))
    assert not report.ok
    found = {(i.kind, str(i.time.date())) for i in report.issues}
    for kind, day in [
        ("non_finite", "2021-03-01"),
        ("non_positive", "2021-06-01"),
        ("duplicate", "2022-01-10"),
        ("unsorted", "2023-05-04"),
        ("unsorted", "2023-05-03"),
        ("unsorted", "2023-05-02"),
        ("unsorted", "2023-05-01"),
        ("spike", "2024-03-15"),
    ]:
        assert (kind, day) in found, (kind, day)
    # The rest is what the original file already had.
    assert report.counts() == {"non_finite": 1, "non_positive": 1, "duplicate": 1, "unsorted": 4, "gap": 4, "spike": 2}

    result = runner.invoke(app, ["data", "check", str(path), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    times = {(i["kind"], i["time"]) for i in doc["issues"]}
    assert ("non_finite", "2021-03-01T00:00:00Z") in times and ("spike", "2024-03-15T00:00:00Z") in times


def test_corrupted_copy_cleans_to_a_usable_file(real_data: Path, tmp_path: Path) -> None:
    path = corrupt_copy(real_data, tmp_path)
    result = runner.invoke(app, ["data", "check", str(path), "--clean", "--json"])
    assert result.exit_code == 0, result.stdout
    doc = json.loads(result.stdout)
    assert doc["ok"] is False  # the input's report
    clean = doc["clean"]
    assert clean["out"] == str(tmp_path / "eth_corrupt.clean.csv")
    assert clean["changes_file"] == str(tmp_path / "eth_corrupt.changes.json")
    after = validate_prices(load_prices(clean["out"]))
    assert after.ok and {i.kind for i in after.issues} == {"gap"}
    # Dropped rows leave gaps; nothing is invented.
    assert {str(i.time.date()) for i in after.of_kind("gap")} >= {"2021-03-01", "2021-06-01"}
    changes = json.loads(Path(clean["changes_file"]).read_text())["changes"]
    touched = {(c["action"], c["time"][:10]) for c in changes}
    assert {
        ("dropped", "2021-03-01"),
        ("dropped", "2021-06-01"),
        ("dropped", "2022-01-10"),
        ("repaired", "2024-03-15"),
        ("repaired", "2017-08-22"),
    } <= touched
    assert sum(c["action"] == "moved" for c in changes) == 4
    # Every row of the input is either in the cleaned file or listed as dropped.
    n_in = len(load_prices(path))
    n_out = len(load_prices(clean["out"]))
    assert n_in - n_out == sum(c["action"] == "dropped" for c in changes) == 3


def test_installed_console_script_checks_a_real_file(real_data: Path) -> None:
    exe = Path(sys.executable).with_name("solvency")
    done = subprocess.run(
        [str(exe), "data", "check", str(real_data / "daily/yahoo_DAI-USD_1d.csv"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [i["time"][:10] for i in doc["issues"]] == ["2020-09-18", "2021-11-16", "2021-11-17"]
    bad = subprocess.run(
        [str(exe), "data", "check", str(real_data / "daily/yahoo_USTC-USD_1d.csv"), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1 and json.loads(bad.stdout)["ok"] is False
