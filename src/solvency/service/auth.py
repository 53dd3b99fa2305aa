"""Bearer-token authentication of the write endpoints.

Tokens are never stored: the config holds ``"sha256:<hex>"`` of each (``solvency keys new`` writes them). A
request's token is hashed and compared with *every* stored hash with :func:`hmac.compare_digest`, so the time
taken does not depend on how much of a hash matched nor on which one did.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable

from fastapi import HTTPException, Request

_DUMMY = hashlib.sha256(b"no token").digest()


class TokenSet:
    """Hashes of the tokens of one role (writer or admin)."""

    def __init__(self, hashes: Iterable[str]) -> None:
        self.digests = [bytes.fromhex(h.split(":", 1)[1]) for h in hashes]

    def check(self, authorization: str | None) -> bool:
        """Whether an ``Authorization: Bearer <token>`` header carries one of the tokens."""
        token = ""
        if authorization and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
        digest = hashlib.sha256(token.encode("utf-8")).digest() if token else _DUMMY
        ok = False
        for stored in self.digests:
            ok |= hmac.compare_digest(digest, stored)
        return ok and bool(token)


def require(tokens: TokenSet, role: str) -> Callable[[Request], None]:
    """A FastAPI dependency answering 401 unless the request carries a token of ``role``."""

    def dependency(request: Request) -> None:
        if not tokens.check(request.headers.get("authorization")):
            raise HTTPException(
                status_code=401,
                detail=f"a valid {role} token is required (Authorization: Bearer <token>)",
                headers={"WWW-Authenticate": "Bearer"},
            )

    return dependency
