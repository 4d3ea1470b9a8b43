"""/authors over HTTP: create, read, list, change and delete, with good and bad input.

Tables of inputs run as subtests: one app and one clean database per table, each case
still reported on its own.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from urllib.parse import urlencode

import pytest
from httpx2 import AsyncClient

from tests.e2e.helpers import (
    ID_RE,
    add_author,
    assert_problem,
    author_body,
    create_author,
    create_book,
    get_json,
)

AUTHOR_KEYS = {
    "id",
    "first_name",
    "last_name",
    "age",
    "biography",
    "books",
    "books_total",
    "version",
    "books_url",
}

GOOD_VALUES: list[dict[str, Any]] = [
    {"first_name": "U"},
    {"first_name": "U" * 100},
    {"last_name": "L"},
    {"last_name": "L" * 100},
    {"age": 1},
    {"age": 150},
    {"biography": ""},
    {"biography": "b" * 3000},
    {"biography": None},
    {"first_name": "이문열", "last_name": "金"},
]

BAD_VALUES: list[tuple[str, Any]] = [
    ("first_name", ""),
    ("first_name", "   "),
    ("first_name", "U" * 101),
    ("first_name", 7),
    ("first_name", None),
    ("first_name", "Ur\x00sula"),
    ("last_name", ""),
    ("last_name", "L" * 101),
    ("last_name", None),
    ("last_name", "Le\x00Guin"),
    ("age", 0),
    ("age", -1),
    ("age", 151),
    ("age", 10**30),
    ("age", "abc"),
    ("age", "30"),
    ("age", 30.5),
    ("age", True),
    ("age", None),
    ("age", [30]),
    ("biography", "b" * 3001),
    ("biography", "bio\x00graphy"),
    ("biography", 12),
]

BAD_PATCHES: list[tuple[str, Any]] = [
    ("first_name", ""),
    ("first_name", " "),
    ("first_name", "x" * 101),
    ("first_name", "a\x00"),
    ("last_name", "x" * 101),
    ("last_name", 5),
    ("age", 0),
    ("age", 151),
    ("age", "abc"),
    ("age", 30.5),
    ("age", True),
    ("biography", "b" * 3001),
    ("biography", "\x00"),
    ("nickname", "Ursie"),
    ("version", 7),
    ("books", []),
    ("books_total", 0),
    ("books_url", "/books"),
]


# --- POST /authors ---


async def test_create_answers_201_with_location_and_the_author(client: AsyncClient) -> None:
    response = await client.post(
        "/authors",
        json={"first_name": "Ursula", "last_name": "Le Guin", "age": 88, "biography": "SF."},
    )

    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    author = response.json()
    assert set(author) == AUTHOR_KEYS
    assert isinstance(author["id"], str) and ID_RE.match(author["id"])
    assert author == {
        "id": author["id"],
        "first_name": "Ursula",
        "last_name": "Le Guin",
        "age": 88,
        "biography": "SF.",
        "books": [],
        "books_total": 0,
        "version": 1,
        "books_url": f"/books?author_id={author['id']}",
    }
    assert response.headers["location"] == f"/authors/{author['id']}"
    assert await get_json(client, response.headers["location"]) == author


async def test_create_without_biography_has_null_biography(client: AsyncClient) -> None:
    author = await create_author(client)
    assert author["biography"] is None


async def test_each_created_author_gets_its_own_id(client: AsyncClient) -> None:
    ids = [(await create_author(client))["id"] for _ in range(5)]
    assert len(set(ids)) == 5


async def test_create_accepts_values_at_the_limits(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for fields in GOOD_VALUES:
        with subtests.test(fields=str(fields)[:40]):
            response = await client.post("/authors", json=author_body(**fields))
            assert response.status_code == 201, response.text
            author = response.json()
            for name, value in fields.items():
                assert author[name] == value


async def test_create_refuses_a_bad_value_naming_the_field(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for field, value in BAD_VALUES:
        with subtests.test(field=field, value=repr(value)[:30]):
            response = await client.post("/authors", json=author_body(**{field: value}))
            assert_problem(response, 422, field=field)
    assert (await get_json(client, "/authors"))["items"] == []


async def test_a_whole_number_written_as_a_float_is_never_stored_as_a_float(
    client: AsyncClient,
) -> None:
    # The contract does not decide 30.0 (JSON has one number type): refusing it (422) and
    # taking it as the integer 30 are both fine; a float in the answer or a 5xx is not.
    response = await client.post("/authors", json=author_body(age=30.0))
    if response.status_code == 422:
        assert_problem(response, 422, field="age")
    else:
        assert response.status_code == 201, response.text
        assert response.text.count('"age":30,') == 1, response.text
        assert (await get_json(client, response.headers["location"]))["age"] == 30


async def test_create_refuses_a_missing_required_field(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for missing in ("first_name", "last_name", "age"):
        with subtests.test(missing=missing):
            body = author_body()
            del body[missing]
            assert_problem(await client.post("/authors", json=body), 422, field=missing)


async def test_create_refuses_unknown_or_read_only_fields(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for extra in ("books", "books_total", "books_url", "version", "id", "nickname"):
        with subtests.test(extra=extra):
            response = await client.post("/authors", json=author_body(**{extra: "1"}))
            assert_problem(response, 422, field=extra)
    assert (await get_json(client, "/authors"))["items"] == []


# --- GET /authors/{id} ---


async def test_get_answers_the_author_with_its_books(client: AsyncClient) -> None:
    author = await create_author(client)
    first = await create_book(client, title="First", author_ids=[author["id"]])
    second = await create_book(client, title="Second", author_ids=[author["id"]])

    got = await get_json(client, f"/authors/{author['id']}")

    assert set(got) == AUTHOR_KEYS
    assert sorted(got["books"], key=lambda b: b["title"]) == [
        {"id": first["id"], "title": "First"},
        {"id": second["id"], "title": "Second"},
    ]
    assert got["books_total"] == 2
    assert got["version"] == 3  # created, then two books added to it


async def test_get_an_unknown_author_is_404(client: AsyncClient) -> None:
    await create_author(client)
    body = assert_problem(await client.get("/authors/123456789"), 404)
    assert "123456789" in body["detail"]


# --- GET /authors ---


async def test_list_answers_a_page_in_creation_order(client: AsyncClient) -> None:
    created = [await create_author(client, first_name=f"A{i}") for i in range(3)]
    page = await get_json(client, "/authors")
    items = [{k: v for k, v in item.items() if k != "etag"} for item in page["items"]]
    assert {**page, "items": items} == {"items": created, "next_cursor": None}


async def test_list_of_nothing_is_an_empty_page(client: AsyncClient) -> None:
    assert await get_json(client, "/authors") == {"items": [], "next_cursor": None}


async def test_list_filters_by_a_case_insensitive_part_of_first_or_last_name(
    client: AsyncClient,
) -> None:
    ursula = await create_author(client, first_name="Ursula", last_name="Le Guin")
    ted = await create_author(client, first_name="Ted", last_name="Chiang")
    gene = await create_author(client, first_name="Gene", last_name="Wolfe")

    async def found(name: str) -> list[str]:
        page = await get_json(client, f"/authors?name={name}")
        return [a["id"] for a in page["items"]]

    assert await found("URS") == [ursula["id"]]  # first name, other case
    assert await found("guin") == [ursula["id"]]  # last name, inner part
    assert await found("chIANG") == [ted["id"]]
    assert await found("e") == [ursula["id"], ted["id"], gene["id"]]
    assert await found("nobody") == []
    assert await found("") == [ursula["id"], ted["id"], gene["id"]]  # empty: no filter


async def test_list_takes_like_wildcards_and_backslash_literally(client: AsyncClient) -> None:
    await create_author(client, first_name="Plain", last_name="Name")
    percent = await create_author(client, first_name="Odd%One", last_name="Name")
    underscore = await create_author(client, first_name="Odd_One", last_name="Name")
    backslash = await create_author(client, first_name="Odd\\One", last_name="Name")

    async def found(name: str) -> list[str]:
        response = await client.get("/authors", params={"name": name})
        assert response.status_code == 200, response.text
        return [a["id"] for a in response.json()["items"]]

    assert await found("%") == [percent["id"]]
    assert await found("_") == [underscore["id"]]
    assert await found("\\") == [backslash["id"]]
    assert await found("d%o") == [percent["id"]]
    assert await found("d_o") == [underscore["id"]]
    assert await found("P%n") == []
    assert await found("Pl_in") == []


async def test_list_filter_is_case_insensitive_beyond_ascii(client: AsyncClient) -> None:
    emile = await create_author(client, first_name="Émile", last_name="Zola")
    await create_author(client, first_name="Ted", last_name="Chiang")

    for name in ("Émile", "émile", "ÉMILE"):
        response = await client.get("/authors", params={"name": name})
        assert [a["id"] for a in response.json()["items"]] == [emile["id"]], name


async def test_list_finds_a_full_name_in_either_order(client: AsyncClient) -> None:
    haruki = await create_author(client, first_name="Haruki", last_name="Murakami")
    ryu = await create_author(client, first_name="Ryu", last_name="Murakami")
    other = await create_author(client, first_name="Haruki", last_name="Other")
    ursula = await create_author(client, first_name="Ursula K.", last_name="Le Guin")

    async def found(name: str) -> list[str]:
        page = await get_json(client, f"/authors?{urlencode({'name': name})}")
        return [a["id"] for a in page["items"]]

    assert await found("Haruki Murakami") == [haruki["id"]]
    assert await found("Murakami Haruki") == [haruki["id"]]
    assert await found("  murakami   HARUKI ") == [haruki["id"]]  # spaces, case
    assert await found("ki Mura") == [haruki["id"]]  # a part of the full name
    assert await found("Murakami Ryu") == [ryu["id"]]
    assert await found("Le Guin") == [ursula["id"]]  # a last name of two words
    assert await found("Le Guin Ursula") == [ursula["id"]]
    assert await found("Ursula K. Le Guin") == [ursula["id"]]
    # A single word matches either name, as it always did.
    assert await found("Haruki") == [haruki["id"], other["id"]]
    assert await found("murakami") == [haruki["id"], ryu["id"]]
    # Both words must be in the full name, in one order or the other, next to each other.
    assert await found("Haruki Ryu") == []
    assert await found("Murakami Other") == []
    assert await found("Ursula Le") == []  # "Ursula K. Le Guin": not next to each other


async def test_list_finds_exact_first_and_last_names_ignoring_case_and_spaces(
    client: AsyncClient,
) -> None:
    haruki = await create_author(client, first_name="Haruki", last_name="Murakami")
    ryu = await create_author(client, first_name="Ryu", last_name="Murakami")
    await create_author(client, first_name="Harukiko", last_name="Murakamis")
    emile = await create_author(client, first_name="Émile", last_name="Zola")

    async def found(**filters: str) -> list[str]:
        page = await get_json(client, f"/authors?{urlencode(filters)}")
        return [a["id"] for a in page["items"]]

    # An importer's question: does this author exist?
    assert await found(first_name="Haruki", last_name="Murakami") == [haruki["id"]]
    assert await found(first_name=" haruki ", last_name="MURAKAMI") == [haruki["id"]]
    assert await found(first_name="Haruki", last_name="Le Guin") == []
    assert await found(last_name="Murakami") == [haruki["id"], ryu["id"]]  # not Murakamis
    assert await found(first_name="Haruk") == []  # exact: no part of a name
    assert await found(first_name="émile") == [emile["id"]]  # beyond ASCII too
    # With the other filters: all of them apply.
    assert await found(last_name="murakami", name="ryu") == [ryu["id"]]
    assert await found(first_name="Ryu", name="Haruki") == []


async def test_names_are_stored_composed_and_found_however_they_are_typed(
    client: AsyncClient,
) -> None:
    """Trimmed and in NFC when stored and when searched, compared fully case folded."""
    decomposed = unicodedata.normalize("NFD", "한강")
    han = await create_author(client, first_name=f" {decomposed} ", last_name="Strauß")
    assert (han["first_name"], han["last_name"]) == ("한강", "Strauß")

    async def found(**filters: str) -> list[str]:
        page = await get_json(client, f"/authors?{urlencode(filters)}")
        return [a["id"] for a in page["items"]]

    assert await found(first_name="한강", last_name="STRAUSS") == [han["id"]]
    assert await found(first_name=decomposed) == [han["id"]]
    assert await found(name="strauss") == [han["id"]]
    assert await found(name=f"STRAUSS {decomposed}") == [han["id"]]
    assert await found(name="  한강  strauß ") == [han["id"]]


async def test_list_refuses_a_blank_or_overlong_exact_name(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for field in ("first_name", "last_name"):
        for value in ("", "   ", "x" * 101, "a\x00b"):
            with subtests.test(field=field, value=value[:10]):
                response = await client.get("/authors", params={field: value})
                assert_problem(response, 422, field=field)


async def test_list_refuses_a_bad_name_filter(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    for name in ("x" * 101, "a\x00b"):
        with subtests.test(name=name[:10]):
            response = await client.get("/authors", params={"name": name})
            assert_problem(response, 422, field="name")


# --- PATCH /authors/{id} ---


async def test_patch_changes_the_given_fields_and_bumps_the_version_once(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    changes: list[dict[str, Any]] = [
        {"first_name": "Ursula K."},
        {"last_name": "LeGuin"},
        {"age": 89},
        {"biography": "New."},
        {"first_name": "U", "last_name": "L", "age": 1, "biography": "All."},
    ]
    for change in changes:
        with subtests.test(change=str(change)):
            author = await create_author(client, biography="Old.")

            response = await client.patch(f"/authors/{author['id']}", json=change)

            assert response.status_code == 200, response.text
            expected = author | change | {"version": 2}
            assert response.json() == expected
            assert await get_json(client, f"/authors/{author['id']}") == expected


async def test_patch_biography_null_clears_it(client: AsyncClient) -> None:
    author = await create_author(client, biography="Something.")
    response = await client.patch(f"/authors/{author['id']}", json={"biography": None})
    assert response.status_code == 200, response.text
    assert response.json()["biography"] is None
    assert response.json()["version"] == 2
    assert (await get_json(client, f"/authors/{author['id']}"))["biography"] is None


async def test_patch_with_an_empty_body_changes_nothing(client: AsyncClient) -> None:
    author = await create_author(client)
    response = await client.patch(f"/authors/{author['id']}", json={})
    assert response.status_code == 200, response.text
    assert response.json() == author  # version unchanged
    assert await get_json(client, f"/authors/{author['id']}") == author


async def test_patch_to_the_same_values_keeps_the_version(client: AsyncClient) -> None:
    author = await create_author(client, age=40, biography="Same.")
    same = {k: author[k] for k in ("first_name", "last_name", "age", "biography")}
    response = await client.patch(f"/authors/{author['id']}", json=same)
    assert response.status_code == 200, response.text
    assert response.json() == author


async def test_every_change_grows_the_version_by_one(client: AsyncClient) -> None:
    author = await create_author(client, age=20)
    for expected_version, age in enumerate(range(21, 26), start=2):
        response = await client.patch(f"/authors/{author['id']}", json={"age": age})
        assert response.json()["version"] == expected_version


async def test_patch_refuses_null_for_a_required_field(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    author = await create_author(client)
    for field in ("first_name", "last_name", "age"):
        with subtests.test(field=field):
            response = await client.patch(f"/authors/{author['id']}", json={field: None})
            body = assert_problem(response, 422)
            assert field in body["detail"]
    assert await get_json(client, f"/authors/{author['id']}") == author


@pytest.mark.parametrize("field", ["first_name", "last_name", "age"])
async def test_patch_null_error_names_the_field_in_loc(client: AsyncClient, field: str) -> None:
    author = await create_author(client)
    response = await client.patch(f"/authors/{author['id']}", json={field: None})
    assert_problem(response, 422, field=field)


async def test_patch_refuses_bad_values_and_changes_nothing(
    client: AsyncClient, subtests: pytest.Subtests
) -> None:
    author = await create_author(client)
    for field, value in BAD_PATCHES:
        with subtests.test(field=field, value=repr(value)[:30]):
            response = await client.patch(f"/authors/{author['id']}", json={field: value})
            assert_problem(response, 422, field=field)
    assert await get_json(client, f"/authors/{author['id']}") == author


async def test_patch_an_unknown_author_is_404(client: AsyncClient) -> None:
    assert_problem(await client.patch("/authors/42", json={"age": 3}), 404)


# --- DELETE /authors/{id} ---


async def test_delete_answers_204_and_the_author_is_gone(client: AsyncClient) -> None:
    author = await create_author(client)
    keep = await create_author(client)

    response = await client.delete(f"/authors/{author['id']}")

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/authors/{author['id']}"), 404)
    assert [a["id"] for a in (await get_json(client, "/authors"))["items"]] == [keep["id"]]
    assert_problem(await client.delete(f"/authors/{author['id']}"), 404)


async def test_delete_an_unknown_author_is_404(client: AsyncClient) -> None:
    assert_problem(await client.delete("/authors/42"), 404)


async def test_delete_is_refused_while_the_author_has_books(client: AsyncClient) -> None:
    author = await create_author(client)
    book = await create_book(client)
    await add_author(client, book["id"], author["id"])

    assert_problem(await client.delete(f"/authors/{author['id']}"), 409)
    assert (await get_json(client, f"/authors/{author['id']}"))["books"] == [
        {"id": book["id"], "title": book["title"]}
    ]

    removed = await client.delete(f"/books/{book['id']}/authors/{author['id']}")
    assert removed.status_code == 200, removed.text
    assert (await client.delete(f"/authors/{author['id']}")).status_code == 204
