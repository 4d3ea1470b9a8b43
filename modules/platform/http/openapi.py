"""The OpenAPI document says what the wire says: each route's problems, as
application/problem+json of `Problem`, and no security the service does not ask for."""

from __future__ import annotations

from typing import Any

from modules.platform.http.problems import PROBLEM_MEDIA_TYPE, Problem, status_title

# What any write may answer: no or a wrong write key, invalid input, the database away.
WRITE_PROBLEMS = (401, 403, 422, 503)


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
