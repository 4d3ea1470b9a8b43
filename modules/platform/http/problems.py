"""RFC 9457 problem details: the one format of every error the API answers (the mapping
from errors to problems is in error_handlers.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.types import Scope, Send

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:book-catalogue:problem:"


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="Where the bad value is, e.g. ['body', 'isbn']")
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as RFC 9457 `application/problem+json`."""

    type: str = Field(examples=[f"{TYPE_PREFIX}not-found"])
    title: str = Field(examples=["Book not found"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["no book with id 384017951453347840"])
    instance: str | None = Field(default=None, examples=["/books/384017951453347840"])
    errors: list[FieldError] | None = Field(
        default=None,
        description="Every failing field or header of the request at once (400 and 422)",
    )
    # Extension members (RFC 9457 §3.2) of a 409 for a value that must be unique.
    existing_id: str | None = Field(
        default=None,
        description="409 for a taken unique value: the id of the resource that holds it",
        examples=["384017951453347840"],
    )
    existing_url: str | None = Field(
        default=None,
        description="409 for a taken unique value: the URL of the resource that holds it",
        examples=["/books/384017951453347840"],
    )


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    request: Request,
    status: int,
    *,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: str,
) -> ProblemResponse:
    """A problem response; its type and title are the status's unless given."""
    body = Problem(
        type=TYPE_PREFIX + (slug or status_slug(status)),
        title=title or status_title(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[FieldError(**e) for e in errors] if errors is not None else None,
        **extensions,
    )
    return ProblemResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


# Titles fixed here, not taken from http.HTTPStatus, whose phrases change between Python
# versions (413 was "Request Entity Too Large" before 3.13): a problem's type must not.
STATUS_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
TOO_LARGE_DETAIL = "the request body is larger than this service accepts"


def status_title(status: int) -> str:
    return STATUS_TITLES.get(status) or HTTPStatus(status).phrase


def status_slug(status: int) -> str:
    return status_title(status).lower().replace(" ", "-")


def problem_bytes(status: int, detail: str, instance: str | None = None) -> bytes:
    """A problem document, for answers given below FastAPI's exception handlers."""
    problem = {
        "type": TYPE_PREFIX + status_slug(status),
        "title": status_title(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        problem["instance"] = instance
    return json.dumps(problem).encode()


async def send_problem(
    scope: Scope,
    send: Send,
    status: int,
    detail: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer with a problem from ASGI middleware, below FastAPI's exception handlers."""
    body = problem_bytes(status, detail, scope.get("path"))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
