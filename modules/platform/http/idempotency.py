"""Idempotent creation: `Idempotency-Key` on POST (IETF draft-ietf-httpapi-idempotency-key).

* a retry with the same key and the same body replays the first answer (status, body,
  Location, ETag) and creates nothing;
* the same key with a different body is a 422; while the first request still runs, 409;
* keys belong to one client (the API key's identity when write keys are on) and expire
  after IDEMPOTENCY_KEY_TTL_SECONDS (24 h by default);
* an answer of 5xx is not kept, so a retry can succeed later.

The creation and the key's outcome (201 and Location) commit in one transaction, so a
process that dies mid-request leaves either both or neither. Neither: once the claim is
IDEMPOTENCY_LOCK_SECONDS old, a retry takes the key over and creates. Both, but the
answer was lost: a retry replays 201 and the Location with the resource as it is now.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Request, Response
from pydantic import BaseModel

from modules.kernel.errors import DomainError
from modules.platform.db.idempotency import (
    Claim,
    IdempotencyStore,
    KeyTakenOver,
    StoredResponse,
    completed_by_the_creation,
)
from modules.platform.http.error_handlers import domain_problem
from modules.platform.http.problems import PROBLEM_MEDIA_TYPE, problem

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        # 1-255 visible ASCII characters (no quote or backslash), optionally in the quotes
        # of a structured-field string.
        pattern=r'^("[!#-\[\]-~]{1,255}"|[!#-\[\]-~]{1,255})$',
        description=(
            "Makes a retry of this POST safe: the same key and body replay the first "
            'answer. A string of 1-255 visible ASCII characters, e.g. "7c1f…" (quotes optional).'
        ),
    ),
]


def _parse_key(header: str) -> str | None:
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 1 <= len(key) <= 255 or not all(33 <= ord(c) <= 126 and c not in '"\\' for c in key):
        return None
    return key


def _fingerprint(request: Request, body: BaseModel) -> str:
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.url.path}\n{canonical}".encode()).hexdigest()


async def run_idempotently(
    request: Request,
    *,
    header: str | None,
    client: str,
    body: BaseModel,
    store: IdempotencyStore,
    create: Callable[[], Awaitable[int]],
    show: Callable[[int], Awaitable[Response]],
) -> Response:
    """`create` makes the resource and returns its id; `show` renders a resource by id. The
    answer is 201 with the resource and its Location, under the path of this request."""

    def location(resource_id: int) -> str:
        return f"{request.url.path}/{resource_id}"

    async def created(resource_id: int) -> Response:
        response = await show(resource_id)
        response.status_code = 201
        response.headers["Location"] = location(resource_id)
        return response

    if header is None:
        return await created(await create())
    key = _parse_key(header)
    if key is None:
        return problem(
            request,
            400,
            slug="invalid-idempotency-key",
            title="Invalid Idempotency-Key",
            detail="Idempotency-Key must be 1 to 255 visible ASCII characters",
        )
    claimed = await store.claim(client, key, _fingerprint(request, body))
    if claimed.state is Claim.MISMATCH:
        return problem(
            request,
            422,
            slug="idempotency-key-reused",
            title="Idempotency-Key reused",
            detail="this Idempotency-Key was already used for a different request",
        )
    if claimed.state is Claim.IN_PROGRESS:
        return _in_progress(request)
    if claimed.state is Claim.DONE:
        assert claimed.stored is not None
        return await _replay(claimed.stored, show)

    hold = claimed.hold
    assert hold is not None
    try:
        try:
            with completed_by_the_creation(hold, location):
                resource_id = await create()
            response = await created(resource_id)
        except DomainError as error:  # a 4xx outcome is an outcome: it is kept and replayed
            response = await domain_problem(request, error)
        except KeyTakenOver:  # this request took so long that a retry runs in its place
            return _in_progress(request)
    except BaseException:
        await store.release(hold)
        raise
    if response.status_code >= 500:
        await store.release(hold)
        return response
    await store.complete(
        hold,
        StoredResponse(
            status_code=response.status_code,
            body=bytes(response.body).decode(),
            location=response.headers.get("Location"),
            etag=response.headers.get("ETag"),
        ),
    )
    return response


def _in_progress(request: Request) -> Response:
    return problem(
        request,
        409,
        slug="idempotency-key-in-progress",
        title="Request in progress",
        detail="a request with this Idempotency-Key is still being processed; retry later",
        headers={"Retry-After": "1"},
    )


async def _replay(stored: StoredResponse, show: Callable[[int], Awaitable[Response]]) -> Response:
    if stored.body is None:  # created, but its answer was lost with its process: show it now
        assert stored.location is not None
        response = await show(int(stored.location.rpartition("/")[2]))
        response.status_code = stored.status_code
        response.headers["Location"] = stored.location
        response.headers["Idempotent-Replayed"] = "true"
        return response
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    if stored.etag:
        headers["ETag"] = stored.etag
    media_type = PROBLEM_MEDIA_TYPE if stored.status_code >= 400 else "application/json"
    return Response(
        stored.body, status_code=stored.status_code, media_type=media_type, headers=headers
    )
