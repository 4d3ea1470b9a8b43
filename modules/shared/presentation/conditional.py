"""Conditional requests (RFC 9110 §13): entity tags, If-Match and If-None-Match.

An entity tag is `"<version>-<digest>"`: the aggregate's version, and a digest of the exact
bytes of the representation. The version makes If-Match a real lost-update guard (the use
case checks it again inside its transaction, under the row lock); the digest makes the tag
change when something the representation embeds from the other context changes too - an
author's name inside a book - so a 304 never hides new data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel

from modules.shared.domain.errors import VersionMismatch

IfMatch = Annotated[
    str | None,
    Header(
        max_length=1000,
        description="Apply the change only if the resource still has this ETag (else 412)",
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(max_length=1000, description="Answer 304 if the resource still has this ETag"),
]


def entity_tag(version: int, body: bytes) -> str:
    return f'"{version}-{hashlib.blake2b(body, digest_size=6).hexdigest()}"'


def version_of(tag: str) -> int | None:
    head = tag.strip().removeprefix("W/").strip('"').partition("-")[0]
    return int(head) if head.isdigit() and len(head) < 19 else None


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def representation(
    model: BaseModel, version: int, *, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """The JSON of a single resource, with its ETag."""
    body = model.__pydantic_serializer__.to_json(model)
    return Response(
        body,
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": entity_tag(version, body), **(headers or {})},
    )


def not_modified_response(if_none_match: str | None, current: Response) -> Response | None:
    """304 if the client already holds the current representation (weak comparison)."""
    if if_none_match is None:
        return None
    etag = current.headers["ETag"]
    tags = _tags(if_none_match)
    if "*" in tags or any(t.removeprefix("W/") == etag for t in tags):
        return Response(status_code=304, headers={"ETag": etag})
    return None


async def precondition(
    if_match: str | None, read_current: Callable[[], Awaitable[Response]]
) -> int | None:
    """The version a change may apply to, from If-Match (read the resource only when the
    client sent one); None without a precondition."""
    if if_match is None:
        return None
    return expected_version(if_match, await read_current())


def expected_version(if_match: str | None, current: Response) -> int | None:
    """The version a change may apply to, from If-Match (strong comparison), or None when
    the client sent no precondition. A tag that is not current fails with 412 at once."""
    if if_match is None:
        return None
    etag = current.headers["ETag"]
    tags = _tags(if_match)
    if "*" in tags:
        return None
    if etag not in tags:  # weak tags (W/"...") never match for If-Match
        raise VersionMismatch(
            f"the resource has changed since you read it (its ETag is now {etag}): "
            "read it again, then retry"
        )
    return version_of(etag)
