"""Ledger: rows are hash-chained and signed; verify finds edits, deletions, swaps and cut tails by seq."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from solvency.errors import ConfigError, SolvencyInputError
from solvency.oracle.keys import generate_keys, load_private_key, load_public_key
from solvency.oracle.ledger import GENESIS, Entry, Ledger, verify_ledger

T0 = 1_700_000_000.0


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    return generate_keys(tmp_path / "keys")


def fill(path: Path, key: Ed25519PrivateKey, n: int = 6) -> Ledger:
    ledger = Ledger(path, key)
    value = 0.80
    for i in range(n):
        new = round(value - 0.01, 4)
        ledger.append([Entry(T0 + 3600 * i, "weth", "ltv", value, new, {"sigma": 0.8 + i / 10, "regime": "normal"})])
        value = new
    return ledger


def test_hash_is_sha256_of_canonical_json(tmp_path: Path, keys) -> None:
    ledger = Ledger(tmp_path / "l.sqlite", load_private_key(keys["private_key"]))
    (rec,) = ledger.append([Entry(T0, "weth", "ltv", 0.805, 0.795, {"b": 1, "a": [0.5, None]})])
    # written out by hand: keys sorted, no spaces, floats in shortest form
    text = (
        '{"market":"weth","new":0.795,"old":0.805,"parameter":"ltv","prev_hash":"' + GENESIS + '",'
        '"reason":{"a":[0.5,null],"b":1},"seq":1,"time":"2023-11-14T22:13:20.000000Z"}'
    )
    assert rec.hash == hashlib.sha256(text.encode()).hexdigest()
    load_public_key(keys["public_key"]).verify(bytes.fromhex(rec.signature), text.encode())
    (rec2,) = ledger.append([Entry(T0 + 1, "weth", "ltv", 0.795, 0.79, {})])
    assert rec2.seq == 2 and rec2.prev_hash == rec.hash


def test_clean_ledger_verifies_with_public_key_only(tmp_path: Path, keys) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, load_private_key(keys["private_key"])).close()
    Path(keys["private_key"]).unlink()  # the verifier has no access to the private key
    result = verify_ledger(path, load_public_key(keys["public_key"]))
    assert result.ok and result.rows == 6 and result.last_seq == 6 and result.key_source == "file"


def tamper(path: Path, *sql: str) -> None:
    conn = sqlite3.connect(path)
    for statement in sql:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("sql", "bad_seq", "words"),
    [
        (["UPDATE updates SET new = 0.9 WHERE seq = 3"], 3, "does not match its hash"),
        (['UPDATE updates SET reason = \'{"regime":"calm"}\' WHERE seq = 4'], 4, "does not match its hash"),
        (["DELETE FROM updates WHERE seq = 2"], 2, "missing"),
        (["DELETE FROM updates WHERE seq = 6"], 6, "signed head"),
        # two rows swapped: every column but seq exchanged between rows 2 and 5
        (
            [
                "CREATE TEMP TABLE t AS SELECT * FROM updates WHERE seq IN (2, 5)",
                "UPDATE updates SET (time, market, parameter, old, new, reason, prev_hash, hash, signature) = "
                "(SELECT time, market, parameter, old, new, reason, prev_hash, hash, signature FROM t "
                "WHERE t.seq = 7 - updates.seq) WHERE seq IN (2, 5)",
            ],
            2,
            "prev_hash",
        ),
        # renumbering after a deletion: rows 4..6 become 3..5
        (["DELETE FROM updates WHERE seq = 3", "UPDATE updates SET seq = seq - 1 WHERE seq > 3"], 3, "prev_hash"),
    ],
)
def test_tampering_is_found_at_the_first_bad_seq(tmp_path: Path, keys, sql, bad_seq, words) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, load_private_key(keys["private_key"])).close()
    tamper(path, *sql)
    result = verify_ledger(path, load_public_key(keys["public_key"]))
    assert not result.ok
    assert result.first_bad_seq == bad_seq, result.problem
    assert words in result.problem


def test_rewritten_chain_fails_the_signature(tmp_path: Path, keys) -> None:
    """An attacker who re-hashes an edited chain still cannot sign it with the oracle's key."""
    path = tmp_path / "l.sqlite"
    fill(path, load_private_key(keys["private_key"])).close()
    forged = tmp_path / "forged.sqlite"
    fill(forged, Ed25519PrivateKey.generate()).close()
    result = verify_ledger(forged, load_public_key(keys["public_key"]))
    assert not result.ok and result.first_bad_seq == 1 and "signature" in result.problem
    assert verify_ledger(forged).ok  # against its own recorded key it is consistent: hence --pubkey


def test_restart_restores_values_times_and_head(tmp_path: Path, keys) -> None:
    path = tmp_path / "l.sqlite"
    key = load_private_key(keys["private_key"])
    fill(path, key, n=3).close()
    again = Ledger(path, key)
    assert again.last_seq == 3
    assert again.latest() == {("weth", "ltv"): (0.77, T0 + 7200)}
    (rec,) = again.append([Entry(T0 + 9000, "weth", "ltv", 0.77, 0.76, {})])
    assert rec.seq == 4
    again.close()
    assert verify_ledger(path, key.public_key()).ok


def test_ledger_of_another_key_is_refused(tmp_path: Path, keys) -> None:
    path = tmp_path / "l.sqlite"
    fill(path, load_private_key(keys["private_key"]), n=1).close()
    with pytest.raises(ConfigError, match="signed by key"):
        Ledger(path, Ed25519PrivateKey.generate())


def test_one_writer_per_ledger(tmp_path: Path, keys) -> None:
    key = load_private_key(keys["private_key"])
    first = Ledger(tmp_path / "l.sqlite", key)
    with pytest.raises(ConfigError, match="in use by another"):
        Ledger(tmp_path / "l.sqlite", key)
    first.close()
    Ledger(tmp_path / "l.sqlite", key).close()


def test_pause_survives_reopen(tmp_path: Path, keys) -> None:
    path = tmp_path / "l.sqlite"
    key = load_private_key(keys["private_key"])
    ledger = Ledger(path, key)
    assert not ledger.paused()
    ledger.control(T0, "pause", "incident 42")
    ledger.close()
    assert Ledger(path, key).paused()


def test_wal_and_full_sync(tmp_path: Path, keys) -> None:
    ledger = Ledger(tmp_path / "l.sqlite", load_private_key(keys["private_key"]))
    assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_verify_input_errors(tmp_path: Path) -> None:
    with pytest.raises(SolvencyInputError, match="not found"):
        verify_ledger(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(SolvencyInputError, match="not a solvency ledger"):
        verify_ledger(junk)


def test_keys_files_and_modes(tmp_path: Path, keys) -> None:
    import stat

    for name in ("private_key", "writer_token", "admin_token"):
        assert stat.S_IMODE(Path(keys[name]).stat().st_mode) == 0o600
    hashes = Path(keys["tokens"]).read_text()
    token = Path(keys["writer_token"]).read_text().strip()
    assert hashlib.sha256(token.encode()).hexdigest() in hashes and token not in hashes
    with pytest.raises(SolvencyInputError, match="would overwrite"):
        generate_keys(tmp_path / "keys")
    assert generate_keys(tmp_path / "keys", force=True)["key_id"] != keys["key_id"]
    json.dumps(keys)
    with pytest.raises(ConfigError, match="keys new"):
        load_private_key(tmp_path / "nope.pem")
    bad = tmp_path / "bad.pub"
    bad.write_text("hello")
    with pytest.raises(SolvencyInputError, match="not a public key"):
        load_public_key(bad)
