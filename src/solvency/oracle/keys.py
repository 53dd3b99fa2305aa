"""Ed25519 signing keys and bearer tokens of the oracle (``solvency keys new``).

``solvency keys new --out DIR`` writes, refusing to overwrite unless forced:

* ``oracle_ed25519.pem`` — the private key (PKCS8 PEM, mode 0600), read by the server to sign ledger rows;
* ``oracle_ed25519.pub.pem`` — the public key, all a verifier needs (``solvency ledger verify --pubkey``);
* ``writer.token`` / ``admin.token`` — one random bearer token each (mode 0600), for the clients;
* ``tokens.toml`` — only the SHA-256 hashes of the tokens, which the server's config points at.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from solvency.errors import ConfigError, SolvencyInputError
from solvency.oracle.config import token_hash

PRIVATE_NAME = "oracle_ed25519.pem"
PUBLIC_NAME = "oracle_ed25519.pub.pem"
TOKENS_NAME = "tokens.toml"
ROLES = ("writer", "admin")


def public_hex(key: Ed25519PublicKey) -> str:
    """The 32 raw bytes of a public key, as hex (stored in the ledger's metadata)."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def key_id(key: Ed25519PublicKey) -> str:
    """Short fingerprint of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_hex(key))).hexdigest()[:16]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)


def generate_keys(out: str | Path, *, force: bool = False) -> dict[str, str]:
    """Create a key pair and a writer and an admin token in ``out``; returns the paths and the key id.

    Raises
    ------
    SolvencyInputError
        A file would be overwritten and ``force`` is false.
    """
    out = Path(out)
    names = [PRIVATE_NAME, PUBLIC_NAME, TOKENS_NAME, *(f"{r}.token" for r in ROLES)]
    existing = [n for n in names if (out / n).exists()]
    if existing and not force:
        raise SolvencyInputError(
            f"would overwrite {', '.join(existing)}", path=out, hint="use another --out or pass --force"
        )
    out.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    _write_private(
        out / PRIVATE_NAME,
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    public = private.public_key()
    (out / PUBLIC_NAME).write_bytes(
        public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    lines = ["# SHA-256 hashes of the bearer tokens (the tokens themselves are in *.token, mode 0600)."]
    for role in ROLES:
        token = secrets.token_urlsafe(32)
        _write_private(out / f"{role}.token", (token + "\n").encode())
        lines.append(f'{role}_token_hashes = ["{token_hash(token)}"]')
    (out / TOKENS_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "private_key": str(out / PRIVATE_NAME),
        "public_key": str(out / PUBLIC_NAME),
        "tokens": str(out / TOKENS_NAME),
        "writer_token": str(out / "writer.token"),
        "admin_token": str(out / "admin.token"),
        "key_id": key_id(public),
    }


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read the oracle's Ed25519 private key (PEM).

    Raises
    ------
    ConfigError
        Missing or not an Ed25519 private key, with the command that creates one.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            "private key not found", path=path, hint=f"run `solvency keys new --out {path.parent}` beside the config"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"not a PEM private key: {exc}", path=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError("the key is not an Ed25519 key", path=path)
    return key


def load_public_key(path: str | Path) -> Ed25519PublicKey:
    """Read an Ed25519 public key: PEM (SubjectPublicKeyInfo) or 64 hex digits of the raw key.

    Raises
    ------
    SolvencyInputError
        Missing or not an Ed25519 public key.
    """
    path = Path(path)
    if not path.is_file():
        raise SolvencyInputError("public key file not found", path=path)
    data = path.read_bytes()
    try:
        text = data.decode("ascii").strip()
        if len(text) == 64 and all(c in "0123456789abcdefABCDEF" for c in text):
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnicodeDecodeError, UnsupportedAlgorithm) as exc:
        raise SolvencyInputError(f"not a public key: {exc}", path=path, hint="pass the *.pub.pem file") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SolvencyInputError("the key is not an Ed25519 public key", path=path)
    return key
