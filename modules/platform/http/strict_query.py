"""Strict query strings: a parameter the route does not declare, or one given twice, is a
422 that names it.

Left alone, `?titel=Mort` or `?page=2` answers the whole unfiltered list, and
`?title=A&title=B` silently keeps one of the two: plausible, wrong answers. (Unknown body
fields are refused the same way, by `StrictInput`.) One app-wide dependency compares the
query string with the route's declared parameters, its dependencies' included.
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from fastapi import Request, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

UNKNOWN = "Extra inputs are not permitted"  # pydantic's words for an unknown body field
REPEATED = "Given more than once; this parameter takes a single value"
OPENAPI_NOTE = "An unknown or repeated query parameter is refused here too, and named."


def _takes_several(annotation: Any) -> bool:
    """`list[int]`, `tuple[str, ...] | None`: a parameter FastAPI fills from repeats."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_takes_several(arg) for arg in get_args(annotation))
    return (origin or annotation) in (list, tuple, set, frozenset)


def _query_parameters(route: APIRoute) -> dict[str, bool]:
    """Each query parameter the route declares, and whether it takes several values;
    worked out once and kept on the route (routes are not hashable)."""
    declared: dict[str, bool] | None = getattr(route, "declared_query_parameters", None)
    if declared is None:
        declared = {
            field.alias: _takes_several(field.field_info.annotation)
            for field in get_flat_params(route.dependant)
            if isinstance(field.field_info, params.Query)
        }
        route.declared_query_parameters = declared  # type: ignore[attr-defined]  # a cache
    return declared


async def refuse_unknown_query_parameters(request: Request) -> None:
    query = request.query_params
    if not query:
        return
    declared = _query_parameters(request.scope["route"])
    errors = []
    for name in query:  # each name once
        if name not in declared:
            errors.append({"loc": ("query", name), "msg": UNKNOWN, "type": "extra_forbidden"})
        elif not declared[name] and len(query.getlist(name)) > 1:
            errors.append({"loc": ("query", name), "msg": REPEATED, "type": "repeated_parameter"})
    if errors:
        raise RequestValidationError(errors)


def document_strict_query(schema: dict[str, Any]) -> dict[str, Any]:
    """Every operation may answer that 422, so the spec says so on each."""
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            response = operation.setdefault("responses", {}).setdefault(
                "422", {"description": "Invalid input: `errors` names each failing field."}
            )
            response["description"] = f"{response['description'].rstrip(' .')}. {OPENAPI_NOTE}"
    return schema
