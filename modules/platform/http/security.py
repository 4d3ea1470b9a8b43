"""Write protection: with API_KEYS set, every write needs `Authorization: Bearer <key>`.

Reads stay open. Keys are kept only as SHA-256 digests and compared in constant time
(every key is compared, equal-length digests), so neither the match nor the key's length
leaks through timing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

ANONYMOUS = "anonymous"

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="WriteKey",
    description="One of the service's API_KEYS. Needed for writes when keys are configured.",
)


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def write_client(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """Who is writing: a stable id derived from the key (or "anonymous" when keys are off).
    Idempotency keys are scoped to it."""
    keys: tuple[bytes, ...] = request.app.state.write_key_digests
    if not keys:
        return ANONYMOUS
    if credentials is None:
        raise HTTPException(
            401,
            "this write needs an API key: send Authorization: Bearer <key>",
            headers={"WWW-Authenticate": 'Bearer realm="book-catalogue"'},
        )
    given = digest(credentials.credentials)
    matched = False
    for key in keys:  # no early exit: the time taken does not depend on which key matched
        matched |= hmac.compare_digest(key, given)
    if not matched:
        raise HTTPException(403, "this API key is not allowed to write")
    return given.hex()[:32]


WriteClient = Annotated[str, Depends(write_client)]
