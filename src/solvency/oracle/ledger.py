"""The signed, hash-chained, append-only ledger of parameter updates (SQLite).

Each row is one parameter change: ``seq, time, market, parameter, old, new, reason`` (the inputs that led to it,
a JSON object), ``prev_hash`` (the previous row's hash; 64 zeros for the first), ``hash`` = SHA-256 of the
row's canonical JSON (the fields before ``hash``, keys sorted, no spaces, UTF-8) and ``signature`` = Ed25519 over
the same bytes. The metadata table holds the signer's public key and a signed *head* (last seq and hash), so
that cutting rows off the end is caught too.

Durability: WAL journal with ``synchronous=FULL`` (each commit is fsynced); the rows of one evaluation are
written in one transaction; :meth:`Ledger.append` returns — and the service acknowledges — only after the
commit. Sequence numbers are contiguous from 1.

:func:`verify_ledger` needs only the public key. It walks the rows in seq order and reports the first bad seq:
a missing seq (a deleted row), a ``prev_hash`` that is not the previous row's hash (rows removed or reordered),
a hash that does not match the content (an edited row; two rows swapped), a bad signature (rows rewritten by
someone without the key), or a signed head that does not match the last row (rows cut off the end).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from solvency.errors import ConfigError, SolvencyInputError
from solvency.oracle.keys import key_id, public_hex

GENESIS = "0" * 64
"""``prev_hash`` of the first row."""

FORMAT = "solvency-ledger/1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS updates (
    seq INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    market TEXT NOT NULL,
    parameter TEXT NOT NULL,
    old REAL NOT NULL,
    new REAL NOT NULL,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS control (
    id INTEGER PRIMARY KEY, time TEXT NOT NULL, action TEXT NOT NULL, note TEXT NOT NULL
);
"""
_COLUMNS = "seq, time, market, parameter, old, new, reason, prev_hash, hash, signature"


def canonical(obj: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8, no NaN (floats in shortest round-trip form)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def iso(epoch: float) -> str:
    """Epoch seconds → ISO-8601 UTC with microseconds and ``Z``."""
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def epoch(text: str) -> float:
    """ISO-8601 (as written by :func:`iso`) → epoch seconds."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _clean(reason: Any) -> Any:
    """Non-finite floats in a reason become None (canonical JSON has no NaN)."""
    if isinstance(reason, float):
        return reason if math.isfinite(reason) else None
    if isinstance(reason, dict):
        return {str(k): _clean(v) for k, v in reason.items()}
    if isinstance(reason, list | tuple):
        return [_clean(v) for v in reason]
    return reason


@dataclass(frozen=True, slots=True)
class Entry:
    """A change to append (before it has a seq, hash and signature)."""

    time: float
    market: str
    parameter: str
    old: float
    new: float
    reason: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Record:
    """One committed ledger row."""

    seq: int
    time: str
    market: str
    parameter: str
    old: float
    new: float
    reason: dict[str, Any]
    prev_hash: str
    hash: str
    signature: str

    def body(self) -> dict[str, Any]:
        """The fields covered by ``hash`` and ``signature``."""
        return {
            "seq": self.seq,
            "time": self.time,
            "market": self.market,
            "parameter": self.parameter,
            "old": self.old,
            "new": self.new,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready row (what the API and the WebSocket send)."""
        return {**self.body(), "hash": self.hash, "signature": self.signature}


def _head_message(seq: int, hash_: str) -> bytes:
    return f"{FORMAT}:head:{seq}:{hash_}".encode()


def connect(path: str | Path) -> sqlite3.Connection:
    """An autocommit SQLite connection in WAL mode with ``synchronous=FULL``."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def _row(values: Sequence[Any]) -> Record:
    seq, time, market, parameter, old, new, reason, prev_hash, hash_, signature = values
    return Record(seq, time, market, parameter, old, new, json.loads(reason), prev_hash, hash_, signature)


class Ledger:
    """Append-only signed ledger in a SQLite file (``":memory:"`` for replays).

    Parameters
    ----------
    path
        The SQLite file (created with its tables when missing).
    signer
        The oracle's private key. A ledger already signed by another key is refused.

    Raises
    ------
    ConfigError
        The file was signed by another key, or is not a ledger.
    """

    def __init__(self, path: str | Path, signer: Ed25519PrivateKey) -> None:
        self.path = str(path)
        self.signer = signer
        self.public = signer.public_key()
        self._lock = threading.Lock()
        self._lockfile = _exclusive(self.path)
        try:
            self.conn = connect(self.path)
            self.conn.executescript(_SCHEMA)
            meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open the ledger: {exc}", path=self.path) from None
        mine = public_hex(self.public)
        if "public_key" not in meta:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("format", FORMAT), ("public_key", mine), ("key_id", key_id(self.public))],
            )
            self.conn.execute("COMMIT")
        elif meta["public_key"] != mine:
            raise ConfigError(
                f"the ledger is signed by key {meta.get('key_id', '?')}, not by the configured key "
                f"{key_id(self.public)}",
                path=self.path,
                hint="point service.private_key at the key that signed this ledger, or start a new ledger file",
            )
        last = self.conn.execute("SELECT seq, hash FROM updates ORDER BY seq DESC LIMIT 1").fetchone()
        self.last_seq, self.last_hash = (int(last[0]), str(last[1])) if last else (0, GENESIS)

    def append(self, entries: Iterable[Entry]) -> list[Record]:
        """Write entries in one transaction; returns the committed records (after the fsync)."""
        entries = list(entries)
        if not entries:
            return []
        with self._lock:
            seq, prev = self.last_seq, self.last_hash
            records = []
            for e in entries:
                seq += 1
                body = {
                    "seq": seq,
                    "time": iso(e.time),
                    "market": e.market,
                    "parameter": e.parameter,
                    "old": float(e.old),
                    "new": float(e.new),
                    "reason": _clean(e.reason),
                    "prev_hash": prev,
                }
                data = canonical(body)
                digest = hashlib.sha256(data).hexdigest()
                records.append(
                    Record(**body, hash=digest, signature=self.signer.sign(data).hex())  # type: ignore[arg-type]
                )
                prev = digest
            head = {"seq": seq, "hash": prev, "signature": self.signer.sign(_head_message(seq, prev)).hex()}
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    f"INSERT INTO updates ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            r.seq,
                            r.time,
                            r.market,
                            r.parameter,
                            r.old,
                            r.new,
                            canonical(r.reason).decode(),
                            r.prev_hash,
                            r.hash,
                            r.signature,
                        )
                        for r in records
                    ],
                )
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('head', ?)", (json.dumps(head),))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            self.last_seq, self.last_hash = seq, prev
            return records

    def since(self, seq: int, limit: int = 1000) -> list[Record]:
        """Rows with seq > ``seq`` in order, at most ``limit``."""
        return read_since(self.conn, seq, limit)

    def latest(self) -> dict[tuple[str, str], tuple[float, float]]:
        """``(market, parameter) → (value, epoch time)`` of the last update of each parameter."""
        rows = self.conn.execute(
            "SELECT market, parameter, new, time FROM updates WHERE seq IN "
            "(SELECT MAX(seq) FROM updates GROUP BY market, parameter)"
        ).fetchall()
        return {(m, p): (float(v), epoch(t)) for m, p, v, t in rows}

    def last_seq_by_market(self) -> dict[str, int]:
        """The seq of each market's latest row."""
        return dict(self.conn.execute("SELECT market, MAX(seq) FROM updates GROUP BY market").fetchall())

    def control(self, time: float, action: str, note: str) -> None:
        """Record a pause / resume (operational log, not part of the signed chain)."""
        with self._lock:
            self.conn.execute("INSERT INTO control (time, action, note) VALUES (?, ?, ?)", (iso(time), action, note))

    def paused(self) -> bool:
        """Whether the last control action was a pause (the kill switch survives restarts)."""
        row = self.conn.execute("SELECT action FROM control ORDER BY id DESC LIMIT 1").fetchone()
        return bool(row and row[0] == "pause")

    def close(self) -> None:
        self.conn.close()
        if self._lockfile is not None:
            self._lockfile.close()  # releases the flock
            self._lockfile = None


def _exclusive(path: str) -> Any:
    """Hold an exclusive lock on ``<path>.lock`` so that two oracles never append to one ledger."""
    if path == ":memory:":
        return None
    try:
        import fcntl
    except ImportError:  # not on POSIX: no guard
        return None
    handle = open(path + ".lock", "a")  # noqa: SIM115 - held for the ledger's lifetime
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ConfigError(
            "the ledger is in use by another oracle process", path=path, hint="stop it, or give this one its own ledger"
        ) from None
    return handle


def read_since(conn: sqlite3.Connection, seq: int, limit: int = 1000) -> list[Record]:
    """Rows with seq > ``seq`` from any connection to a ledger file."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM updates WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit))
    return [_row(r) for r in rows.fetchall()]


@dataclass(frozen=True, slots=True)
class Verification:
    """Result of :func:`verify_ledger`."""

    ok: bool
    rows: int
    last_seq: int
    head_hash: str
    first_bad_seq: int | None
    problem: str | None
    key_id: str
    key_source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "last_seq": self.last_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "key_id": self.key_id,
            "key_source": self.key_source,
        }


def verify_ledger(path: str | Path, public_key: Ed25519PublicKey | None = None) -> Verification:
    """Check the whole chain of a ledger file with only a public key.

    Parameters
    ----------
    path
        The ledger file.
    public_key
        The oracle's public key. Without it the key recorded in the ledger is used, which proves the chain is
        intact but not who wrote it (``key_source = "ledger"``).

    Raises
    ------
    SolvencyInputError
        The file is missing or is not a solvency ledger.
    """
    path = Path(path)
    if not path.is_file():
        raise SolvencyInputError("ledger file not found", path=path)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        rows = conn.execute(f"SELECT {_COLUMNS} FROM updates ORDER BY seq")
    except sqlite3.DatabaseError as exc:
        raise SolvencyInputError(f"not a solvency ledger: {exc}", path=path) from None
    source = "file"
    if public_key is None:
        if "public_key" not in meta:
            raise SolvencyInputError("the ledger records no public key", path=path, hint="pass --pubkey")
        public_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(meta["public_key"]))
        source = "ledger"
    kid = key_id(public_key)
    prev_seq, prev_hash, count = 0, GENESIS, 0

    def bad(seq: int, problem: str) -> Verification:
        conn.close()
        return Verification(False, count, prev_seq, prev_hash, seq, problem, kid, source)

    try:
        for values in rows:
            try:
                record = _row(values)
            except (ValueError, TypeError) as exc:
                return bad(int(values[0]), f"row {values[0]} cannot be read: {exc}")
            if record.seq != prev_seq + 1:
                if record.seq <= prev_seq:
                    return bad(record.seq, f"seq {record.seq} is out of order after {prev_seq}")
                return bad(prev_seq + 1, f"row {prev_seq + 1} is missing (seq {record.seq} follows {prev_seq})")
            if record.prev_hash != prev_hash:
                return bad(record.seq, f"row {record.seq}: prev_hash does not match row {prev_seq}'s hash")
            data = canonical(record.body())
            if hashlib.sha256(data).hexdigest() != record.hash:
                return bad(record.seq, f"row {record.seq}: content does not match its hash (edited or moved)")
            try:
                public_key.verify(bytes.fromhex(record.signature), data)
            except (InvalidSignature, ValueError):
                return bad(record.seq, f"row {record.seq}: signature does not verify with key {kid}")
            prev_seq, prev_hash, count = record.seq, record.hash, count + 1
    except sqlite3.DatabaseError as exc:
        return bad(prev_seq + 1, f"ledger unreadable after row {prev_seq}: {exc}")
    head = json.loads(meta["head"]) if "head" in meta else None
    if head is not None:
        try:
            public_key.verify(bytes.fromhex(head["signature"]), _head_message(int(head["seq"]), head["hash"]))
        except (InvalidSignature, ValueError, KeyError):
            return bad(prev_seq + 1, "the ledger's head signature does not verify")
        if int(head["seq"]) != prev_seq or head["hash"] != prev_hash:
            return bad(prev_seq + 1, f"ledger ends at seq {prev_seq} but its signed head is seq {head['seq']}")
    elif count:
        return bad(1, "the ledger has rows but no signed head")
    conn.close()
    return Verification(True, count, prev_seq, prev_hash, None, None, kid, source)
