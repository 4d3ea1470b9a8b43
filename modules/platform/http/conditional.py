"""Conditional requests (RFC 9110 §13): entity tags, If-Match and If-None-Match.

An entity tag is `"<version>-<digest>"`: the aggregate's version, and a digest of the exact
bytes of the representation. The version makes If-Match a real lost-update guard (the use
case checks it again inside its transaction, under the row lock); the digest makes the tag
change when something the representation embeds from the other context changes too - an
author's name inside a book - so a 304 never hides new data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from modules.kernel.errors import VersionMismatch
from modules.kernel.paging import Page


async def _if_match(
    request: Request,
    if_match: Annotated[
        str | None,
        Header(
            max_length=1000,
            description="Apply the change only if the resource still has this ETag (else 412)",
        ),
    ] = None,
) -> str | None:
    # With REQUIRE_IF_MATCH, a write that did not say which version it changes is refused
    # (RFC 6585 §3): it would silently overwrite whatever another client wrote meanwhile.
    if if_match is None and request.app.state.container.settings().require_if_match:
        raise HTTPException(
            428,
            "this write needs If-Match: send the ETag of your last read of the resource "
            "(a GET's ETag header, or a list item's `etag`), or * to overwrite any version",
        )
    return if_match


IfMatch = Annotated[str | None, Depends(_if_match)]
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
    if etag not in tags and any(t.startswith("W/") for t in tags):
        raise VersionMismatch(
            "If-Match compares entity tags strongly, so a weak tag (W/...) never matches: "
            f"send the ETag as this service gave it, which is {etag} now"
        )
    if etag not in tags:
        raise VersionMismatch(
            f"the resource has changed since you read it (its ETag is now {etag}): "
            "read it again, then retry"
        )
    return version_of(etag)


# A list item's `etag` member (documented on each list's item schema).
EtagField = Annotated[
    str,
    Field(
        description=(
            "The ETag a GET of this item answers now: send it as If-Match to change the "
            "item without reading it first"
        ),
        examples=['"1-5d41402abc4b"'],
    ),
]


def tagged_page(model: type[BaseModel], page: Page[Any]) -> Response:
    """A page of a list whose items each carry `etag`, equal to the ETag a GET of the item
    answers: each item is serialised exactly as a GET would, tagged, and the tag added as
    its last member. The route returns the Response itself: handed a model, FastAPI would
    validate it all over again; its response_model still documents it."""
    items = []
    for view in page.items:
        body = model.__pydantic_serializer__.to_json(model.model_validate(view))
        tag = json.dumps(entity_tag(view.version, body)).encode()
        items.append(body[:-1] + b',"etag":' + tag + b"}")
    next_cursor = json.dumps(page.next_cursor).encode()
    return Response(
        b'{"items":[' + b",".join(items) + b'],"next_cursor":' + next_cursor + b"}",
        media_type="application/json",
    )


def if_match_in_openapi(schema: dict[str, Any], *, required: bool) -> dict[str, Any]:
    """Make the spec say what REQUIRE_IF_MATCH does: with it, If-Match is a required header
    of every conditional write (else 428); without it, no write answers 428."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                    parameter["required"] = required
            if not required:
                operation.get("responses", {}).pop("428", None)
    return schema
