"""RFC 9457 problem details: every error the API answers, in one format, mapped in one place."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from modules.kernel.errors import (
    AlreadyTaken,
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    VersionMismatch,
)
from modules.kernel.identity import IdGenerationUnavailable
from modules.platform.db.database import is_database_unavailable
from modules.platform.db.read_database import DatabaseUnavailable

logger = logging.getLogger(__name__)

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
    slug: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extensions: str,
) -> ProblemResponse:
    body = Problem(
        type=TYPE_PREFIX + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=[FieldError(**e) for e in errors] if errors is not None else None,
        **extensions,
    )
    return ProblemResponse(
        body.model_dump(mode="json", exclude_none=True), status_code=status, headers=headers
    )


def _slug(error: DomainError) -> str:
    name = type(error).__name__
    return "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")


async def domain_problem(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, DomainError)
    if isinstance(error, InvalidValue):
        return problem(
            request,
            422,
            slug="validation-error",
            title=error.title,
            detail=error.detail,
            errors=[{"loc": ["body", error.field], "msg": error.detail, "type": _slug(error)}],
        )
    if isinstance(error, AlreadyTaken) and error.existing_id is not None:
        return problem(
            request,
            409,
            slug=_slug(error),
            title=error.title,
            detail=error.detail,
            existing_id=str(error.existing_id),
            existing_url=f"{_collection(request)}/{error.existing_id}",
        )
    if isinstance(error, NotFound):
        status = 404
    elif isinstance(error, VersionMismatch):
        status = 412
    elif isinstance(error, Conflict):
        status = 409
    else:
        status = 422
    return problem(request, status, slug=_slug(error), title=error.title, detail=error.detail)


def _collection(request: Request) -> str:
    """The collection the request addressed: "/books" for both POST /books and PATCH
    /books/{book_id} - where a resource that holds a taken value lives too."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    return str(path).split("/{", 1)[0]


async def _validation_error(request: Request, error: Exception) -> ProblemResponse:
    """Every failing field at once. A body that is not JSON at all, or a malformed header,
    is malformed syntax - 400 (RFC 9110 §15.5.1); values that parse but break a rule, 422."""
    assert isinstance(error, RequestValidationError)
    errors = [_field_error(e) for e in error.errors()]
    malformed = any(e["type"] == "json_invalid" or e["loc"][:1] == ["header"] for e in errors)
    status = 400 if malformed else 422
    first = errors[0] if errors else None
    detail = (
        f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}" if first else "invalid request"
    )
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more)"
    return problem(
        request,
        status,
        slug="bad-request" if malformed else "validation-error",
        title=status_title(400) if malformed else "Invalid request",
        detail=detail,
        errors=errors,
    )


def _field_error(error: Any) -> dict[str, Any]:
    if error.get("type") == "json_invalid":  # FastAPI's loc is ["body", <offset>]
        offset = error["loc"][-1]
        reason = error.get("ctx", {}).get("error", "cannot be decoded")
        return {
            "loc": ["body"],
            "msg": f"not valid JSON: {reason} (at character {offset})",
            "type": "json_invalid",
        }
    return {
        "loc": [str(p) if not isinstance(p, int) else p for p in error.get("loc", ())],
        # pydantic prefixes the message of a ValueError raised by a validator
        "msg": str(error.get("msg", "invalid")).removeprefix("Value error, "),
        "type": error.get("type", "value_error"),
    }


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


async def _http_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, StarletteHTTPException)
    title = status_title(error.status_code)
    detail = error.detail if isinstance(error.detail, str) else title
    if error.status_code == 413:
        detail = TOO_LARGE_DETAIL
    headers = dict(error.headers) if error.headers else {}
    if error.status_code == 405:
        # Every method of the path, not only those of the first route that matched it.
        headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return problem(
        request,
        error.status_code,
        slug=status_slug(error.status_code),
        title=title,
        detail=detail,
        headers=headers or None,
    )


def _allowed_methods(request: Request) -> set[str]:
    def leaves(routes: list[Any]) -> list[Any]:
        found = []
        for route in routes:
            inner = getattr(route, "original_router", None)
            found.extend(leaves(inner.routes) if inner is not None else [route])
        return found

    methods: set[str] = set()
    for route in leaves(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return methods | {"HEAD"} if "GET" in methods else methods  # edge.HeadAsGet


async def _database_unavailable(request: Request, error: Exception) -> ProblemResponse:
    logger.warning("database unavailable: %s", type(error).__name__)
    return problem(
        request,
        503,
        slug="service-unavailable",
        title="Service Unavailable",
        detail="the database is not reachable right now; try again shortly",
        headers={"Retry-After": "2"},
    )


async def _database_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, sa_exc.DBAPIError)
    if (
        error.connection_invalidated
        or isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError))
        or is_database_unavailable(error)
    ):
        return await _database_unavailable(request, error)
    return await _unexpected(request, error)


async def _ids_unavailable(request: Request, error: Exception) -> ProblemResponse:
    logger.error("cannot make ids: %s", error)
    return problem(
        request,
        503,
        slug="service-unavailable",
        title="Service Unavailable",
        detail="this instance cannot create resources right now; try again shortly",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, error: Exception) -> ProblemResponse:
    # The cause goes to the log, never to the client.
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        request,
        500,
        slug="internal-server-error",
        title="Internal Server Error",
        detail="something went wrong on our side; it has been logged",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_problem)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    # A pool that cannot hand out a connection, a connection the database dropped, a
    # database that does not answer or cancelled a statement that ran too long.
    app.add_exception_handler(sa_exc.TimeoutError, _database_unavailable)
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)
    app.add_exception_handler(DatabaseUnavailable, _database_unavailable)  # the read side's
    app.add_exception_handler(ConnectionError, _database_unavailable)
    app.add_exception_handler(TimeoutError, _database_unavailable)  # connecting timed out
    app.add_exception_handler(IdGenerationUnavailable, _ids_unavailable)
    app.add_exception_handler(Exception, _unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problems a route can answer."""
    descriptions = {
        400: "Malformed request: a body that is not valid JSON, or a malformed header",
        404: "Unknown id",
        409: (
            "Conflict with the current state; a taken unique value names its holder in "
            "`existing_id` and `existing_url`"
        ),
        304: "Not modified: the If-None-Match ETag is still current",
        401: "A write without `Authorization: Bearer <key>` (when API keys are on)",
        403: "A write with an unknown key",
        412: "If-Match does not match the current ETag: nothing was changed",
        413: "Request body over the size limit",
        415: "The body is not JSON",
        422: "Invalid input: `errors` lists every failing field at once",
        428: "A write without `If-Match` (when REQUIRE_IF_MATCH is on)",
        503: "Database unavailable; retry after `Retry-After` seconds",
    }
    return {
        s: (
            {"description": descriptions[s]}
            if s < 400
            else {"model": Problem, "description": descriptions.get(s, status_title(s))}
        )
        for s in statuses
    }


def use_problem_media_type_in_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the spec say what the wire says: errors are application/problem+json of `Problem`."""
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                if not str(status).isdigit() or int(status) < 400:
                    continue
                content = response.setdefault("content", {})
                content.pop("application/json", None)
                content[PROBLEM_MEDIA_TYPE] = {"schema": problem_ref}
    components = schema.get("components", {}).get("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    return schema


def without_security(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the write-key requirement (and its 401/403 answers) from the spec."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            operation.pop("security", None)
            for status in ("401", "403"):
                operation.get("responses", {}).pop(status, None)
    schema.get("components", {}).pop("securitySchemes", None)
    return schema
