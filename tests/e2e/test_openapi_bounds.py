"""Every bound the API enforces is in the spec, in JSON Schema's own words."""

from __future__ import annotations

import json
from typing import Any

from httpx2 import AsyncClient


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


async def test_numbers_and_strings_are_bounded_in_json_schema_terms(client: AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert '"ge"' not in json.dumps(spec) and '"le"' not in json.dumps(spec)  # pydantic-isms
    for name in ("BookCreate", "BookPatch", "AuthorCreate", "AuthorPatch"):
        for field, schema in spec["components"]["schemas"][name]["properties"].items():
            if schema.get("type") == "integer":
                assert "minimum" in schema and "maximum" in schema, (name, field)
            if schema.get("type") == "string":
                assert "maxLength" in schema or "pattern" in schema, (name, field)
    for node in walk(spec["paths"]):
        if node.get("in") == "query" and node["name"] == "limit":
            assert node["schema"]["minimum"] == 1 and node["schema"]["maximum"] == 100


async def test_patch_errors_name_just_the_field(client: AsyncClient) -> None:
    book = await client.post(
        "/books",
        json={
            "title": "T",
            "isbn": "9780306406157",
            "pages": 1,
            "price": 0,
            "publication_year": 2000,
        },
    )
    response = await client.patch(f"/books/{book.json()['id']}", json={"price": -5, "title": None})
    errors = response.json()["errors"]
    assert sorted(tuple(e["loc"]) for e in errors) == [("body", "price"), ("body", "title")]
