"""The published contract: /openapi.json and /docs."""

from __future__ import annotations

from typing import Any

import pytest
from httpx2 import AsyncClient

from tests.e2e.helpers import PROBLEM_MEDIA_TYPE, context_operations

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

# The catalogue's endpoints, with the problems the contract says each can answer.
ENDPOINTS: dict[tuple[str, str], set[str]] = {
    ("post", "/authors"): {"413", "422"},
    ("get", "/authors"): {"422"},
    ("get", "/authors/{author_id}"): {"404", "422"},
    ("patch", "/authors/{author_id}"): {"404", "413", "422"},
    ("delete", "/authors/{author_id}"): {"404", "409", "422"},
    ("post", "/books"): {"409", "413", "422"},
    ("get", "/books"): {"422"},
    ("get", "/books/{book_id}"): {"404", "422"},
    ("patch", "/books/{book_id}"): {"404", "409", "413", "422"},
    ("delete", "/books/{book_id}"): {"404", "422"},
    ("post", "/books/{book_id}/authors/{author_id}"): {"404", "409", "422"},
    ("delete", "/books/{book_id}/authors/{author_id}"): {"404", "422"},
}

SUCCESS: dict[tuple[str, str], str] = {
    ("post", "/authors"): "201",
    ("post", "/books"): "201",
    ("delete", "/authors/{author_id}"): "204",
    ("delete", "/books/{book_id}"): "204",
}


@pytest.fixture
async def spec(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()  # type: ignore[no-any-return]


def _operation(spec: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    assert path in spec["paths"], f"{path} is not documented"
    assert method in spec["paths"][path], f"{method.upper()} {path} is not documented"
    return spec["paths"][path][method]  # type: ignore[no-any-return]


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return spec["components"]["schemas"][name]  # type: ignore[no-any-return]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _schema(spec, schema["$ref"].rsplit("/", 1)[-1])
    return schema


async def test_every_endpoint_is_listed_with_a_summary(spec: dict[str, Any]) -> None:
    operations = context_operations()
    assert set(ENDPOINTS) <= set(operations)
    for method, path in operations:
        operation = _operation(spec, method, path)
        assert operation.get("summary", "").strip(), f"{method.upper()} {path} has no summary"
        assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"
        assert "422" in operation["responses"], f"{method.upper()} {path} does not document 422"
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


async def test_every_endpoint_documents_its_success_and_its_problems(
    spec: dict[str, Any],
) -> None:
    for (method, path), problems in ENDPOINTS.items():
        responses = _operation(spec, method, path)["responses"]
        assert SUCCESS.get((method, path), "200") in responses, (method, path)
        missing = problems - set(responses)
        assert not missing, f"{method.upper()} {path} does not document {sorted(missing)}"


async def test_every_error_response_is_problem_json_of_schema_problem(
    spec: dict[str, Any],
) -> None:
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                assert response.get("description"), (method, path, status)
                assert response.get("content") == {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}, (
                    method,
                    path,
                    status,
                    response.get("content"),
                )
                checked += 1
    assert checked >= sum(len(p) for p in ENDPOINTS.values())
    # FastAPI's own validation-error schemas are gone: nothing refers to them
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas


async def test_the_problem_schema_names_its_members(spec: dict[str, Any]) -> None:
    problem = _schema(spec, "Problem")
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert problem["properties"]["status"]["type"] == "integer"
    errors = problem["properties"]["errors"]
    items = next(option["items"] for option in errors.get("anyOf", [errors]) if option.get("items"))
    field_error = _resolve(spec, items)
    assert {"loc", "msg", "type"} <= set(field_error["properties"])


async def test_ids_in_bodies_are_documented_as_digit_strings(spec: dict[str, Any]) -> None:
    id_schemas = [
        _schema(spec, "AuthorOut")["properties"]["id"],
        _schema(spec, "BookOut")["properties"]["id"],
        _schema(spec, "AuthorBookOut")["properties"]["id"],
        _schema(spec, "BookAuthorOut")["properties"]["id"],
        _schema(spec, "BookCreate")["properties"]["author_ids"]["items"],
    ]
    for schema in id_schemas:
        assert schema["type"] == "string", schema
        assert schema["pattern"] == "^[0-9]{1,19}$", schema
        assert all(isinstance(e, str) for e in schema.get("examples", [])), schema


async def test_ids_in_paths_and_queries_are_documented_as_digit_strings(
    spec: dict[str, Any],
) -> None:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if not parameter["name"].endswith("_id"):
                    continue
                schema = parameter["schema"]
                options = schema.get("anyOf", [schema])
                assert any(o.get("type") == "string" for o in options), (
                    method,
                    path,
                    parameter["name"],
                    schema,
                )


async def test_request_bodies_refuse_unknown_fields_in_the_spec(spec: dict[str, Any]) -> None:
    for name in ("AuthorCreate", "AuthorPatch", "BookCreate", "BookPatch"):
        assert _schema(spec, name).get("additionalProperties") is False, name


async def test_list_parameters_document_their_bounds(spec: dict[str, Any]) -> None:
    for path in ("/authors", "/books"):
        parameters = {p["name"]: p for p in _operation(spec, "get", path)["parameters"]}
        limit = parameters["limit"]["schema"]
        assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)
        assert "cursor" in parameters
    assert "name" in {p["name"] for p in _operation(spec, "get", "/authors")["parameters"]}
    book_filters = {p["name"] for p in _operation(spec, "get", "/books")["parameters"]}
    assert {"title", "author_id"} <= book_filters


async def test_the_lookups_document_their_bounds_and_an_example(spec: dict[str, Any]) -> None:
    expected = {
        "/authors": {"name": (None, 100), "first_name": (1, 100), "last_name": (1, 100)},
        "/books": {"isbn": (10, 17)},
    }
    for path, lookups in expected.items():
        parameters = {p["name"]: p for p in _operation(spec, "get", path)["parameters"]}
        for name, (shortest, longest) in lookups.items():
            (string,) = [s for s in parameters[name]["schema"]["anyOf"] if s["type"] == "string"]
            assert (string.get("minLength"), string["maxLength"]) == (shortest, longest), name
            assert parameters[name]["schema"]["examples"], name
            assert parameters[name]["description"], name


async def test_docs_page_is_html(client: AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "/openapi.json" in response.text
