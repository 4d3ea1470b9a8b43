"""Every error the app meets becomes a problem: domain errors, invalid input, HTTP errors,
a database that is away, and anything unexpected (logged, never shown)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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
from modules.platform.http.problems import (
    ProblemResponse,
    problem,
    status_slug,
    status_title,
)

logger = logging.getLogger(__name__)


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


async def _http_error(request: Request, error: Exception) -> ProblemResponse:
    assert isinstance(error, StarletteHTTPException)
    title = status_title(error.status_code)
    detail = error.detail if isinstance(error.detail, str) else title
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
        detail="this instance cannot create resources right now; try again shortly",
        headers={"Retry-After": "5"},
    )


async def _unexpected(request: Request, error: Exception) -> ProblemResponse:
    # The cause goes to the log, never to the client.
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(
        request,
        500,
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
