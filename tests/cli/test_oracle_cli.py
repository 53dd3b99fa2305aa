"""``solvency keys / replay / ledger verify / serve`` through typer's runner and the installed script."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from solvency.cli import app
from solvency.data.sample import sample_crash
from solvency.oracle.keys import generate_keys, load_private_key
from solvency.oracle.ledger import Entry, Ledger
from tests.conftest import ROOT

runner = CliRunner()
EXAMPLE = ROOT / "examples" / "oracle.toml"


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


def one_json(text: str) -> dict:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return json.loads(lines[0])


def test_keys_new_and_refuse_overwrite(tmp_path: Path) -> None:
    r = run("keys", "new", "--out", str(tmp_path / "k"), "--json")
    assert r.exit_code == 0, r.output
    out = one_json(r.stdout)
    assert Path(out["private_key"]).is_file() and len(out["key_id"]) == 16
    r = run("keys", "new", "--out", str(tmp_path / "k"), "--json")
    assert r.exit_code == 1 and "would overwrite" in one_json(r.stdout)["error"]["message"]


def test_hash_token() -> None:
    r = run("keys", "hash-token", "--json", stdin="s3cret\n")
    assert r.exit_code == 0
    assert one_json(r.stdout)["hash"] == "sha256:" + __import__("hashlib").sha256(b"s3cret").hexdigest()
    assert run("keys", "hash-token", stdin="\n").exit_code == 1


def test_replay_json_and_human(tmp_path: Path) -> None:
    csv = tmp_path / "eth.csv"
    sample_crash("1h", days_before=2).reset_index().to_csv(csv, index=False)
    r = run("replay", str(csv), "--config", str(EXAMPLE), "--asset", "ETH", "--json")
    assert r.exit_code == 0, r.output
    out = one_json(r.stdout)
    assert {"updates", "rejected_ticks", "guardrail_clamps", "timeline", "summary"} <= set(out)
    first = out["updates"][0]
    assert set(first) >= {"time", "market", "parameter", "old", "new", "reason"}
    assert len(out["timeline"]["aave-v3-weth"]["time"]) == 72
    human = run("replay", str(csv), "--config", str(EXAMPLE), "--asset", "ETH")
    assert human.exit_code == 0 and "updates" in human.stdout


def test_replay_input_errors(tmp_path: Path) -> None:
    r = run("replay", str(tmp_path / "none.csv"), "--config", str(EXAMPLE), "--asset", "ETH", "--json")
    assert r.exit_code == 1 and one_json(r.stdout)["error"]["kind"] == "DataFormatError"
    csv = tmp_path / "eth.csv"
    sample_crash("1h").reset_index().to_csv(csv, index=False)
    r = run("replay", str(csv), "--config", str(EXAMPLE), "--json")
    assert r.exit_code == 1 and "--asset" in one_json(r.stdout)["error"]["hint"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[assets.ETH]\nsources = []\n")
    r = run("replay", str(csv), "--config", str(bad), "--json")
    assert r.exit_code == 1 and one_json(r.stdout)["error"]["kind"] == "ConfigError"
    assert run("replay", str(csv)).exit_code == 2  # --config is required


@pytest.mark.realdata
def test_replay_real_black_thursday(real_data: Path) -> None:
    path = real_data / "intraday" / "coinapi_ETHUSD_10m_2020-03-12.csv"
    r = run("replay", str(path), "--config", str(EXAMPLE), "--asset", "ETH", "--json")
    assert r.exit_code == 0
    out = one_json(r.stdout)
    assert out["summary"]["aave-v3-weth"]["max_regime"] == "crisis"
    assert out["summary"]["aave-v3-weth"]["params"]["ltv"]["end"] < 0.70


def make_ledger(folder: Path) -> tuple[Path, Path]:
    keys = generate_keys(folder / "keys")
    path = folder / "ledger.sqlite"
    ledger = Ledger(path, load_private_key(keys["private_key"]))
    for i in range(4):
        ledger.append([Entry(1.7e9 + i, "weth", "ltv", 0.80 - i / 100, 0.79 - i / 100, {"i": i})])
    ledger.close()
    return path, Path(keys["public_key"])


def test_ledger_verify_ok_and_tampered(tmp_path: Path) -> None:
    path, pub = make_ledger(tmp_path)
    r = run("ledger", "verify", str(path), "--pubkey", str(pub), "--json")
    assert r.exit_code == 0 and one_json(r.stdout)["ok"] is True
    assert run("ledger", "verify", str(path)).exit_code == 0
    conn = sqlite3.connect(path)
    conn.execute("UPDATE updates SET new = 0.5 WHERE seq = 3")
    conn.commit()
    conn.close()
    r = run("ledger", "verify", str(path), "--pubkey", str(pub), "--json")
    assert r.exit_code == 1
    out = one_json(r.stdout)
    assert out["ok"] is False and out["first_bad_seq"] == 3
    human = run("ledger", "verify", str(path), "--pubkey", str(pub))
    assert human.exit_code == 1 and "seq 3" in human.stdout


def test_serve_without_keys_explains(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "oracle.toml")
    r = run("serve", "--config", str(tmp_path / "oracle.toml"), "--json")
    assert r.exit_code == 1
    assert "keys new" in one_json(r.stdout)["error"]["hint"]


def test_installed_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "solvency"
    assert exe.exists()
    path, pub = make_ledger(tmp_path)
    done = subprocess.run(
        [str(exe), "ledger", "verify", str(path), "--pubkey", str(pub), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert one_json(done.stdout)["rows"] == 4
