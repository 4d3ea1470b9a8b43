"""Keyset paging cursors: opaque, URL-safe, and strict about what they accept."""

from __future__ import annotations

import base64
import json
import re

import pytest

from modules.kernel.paging import (
    MAX_POSITION_CURSOR,
    CursorForAnotherList,
    MalformedCursor,
    decode_cursor,
    decode_position,
    encode_cursor,
    encode_position,
)

MAX_BIGINT = 2**63 - 1


def b64(text: str) -> str:
    """How encode_cursor wraps its JSON: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("after_id", [0, 1, 42, 384_017_951_453_347_840, MAX_BIGINT])
def test_a_cursor_decodes_to_the_id_it_was_made_from(after_id: int) -> None:
    assert decode_cursor(encode_cursor(after_id)) == after_id


def test_cursors_are_url_safe_and_unpadded() -> None:
    for after_id in (0, 1, 2**40 + 3, MAX_BIGINT, 62, 63, 2**62 - 1):
        cursor = encode_cursor(after_id)
        assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), cursor


def test_cursors_are_opaque_not_the_bare_id() -> None:
    cursor = encode_cursor(123_456)
    assert "123456" not in cursor


def test_different_ids_give_different_cursors() -> None:
    ids = [0, 1, 2, 10, 384_017_951_453_347_840, MAX_BIGINT]
    assert len({encode_cursor(i) for i in ids}) == len(ids)


def test_every_cursor_of_the_documented_shape_is_a_valid_position() -> None:
    # The OpenAPI pattern is the contract: any string matching it must decode.
    assert decode_cursor("000000000000004d") == 77
    assert decode_cursor("7fffffffffffffff") == MAX_BIGINT
    assert decode_cursor("0000000000000000") == 0


@pytest.mark.parametrize("cursor", ["8000000000000000", "ffffffffffffffff", "7FFFFFFFFFFFFFFF"])
def test_a_cursor_beyond_the_id_range_or_in_upper_case_is_malformed(cursor: str) -> None:
    with pytest.raises(MalformedCursor):
        decode_cursor(cursor)


def test_the_largest_cursor_is_short() -> None:
    # The query parameter is limited in length; the longest real cursor must fit easily.
    assert len(encode_cursor(MAX_BIGINT)) <= 64


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("not a cursor", id="random-text"),
        pytest.param("!!!!", id="punctuation"),
        pytest.param("héllo", id="non-ascii"),
        pytest.param("abc", id="truncated-base64"),
        pytest.param(b64("hello world"), id="base64-of-non-json"),
        pytest.param(b64("\xff\xfe"), id="base64-of-non-utf8-json"),
        pytest.param(b64("{}"), id="json-without-after"),
        pytest.param(b64('{"before":5}'), id="json-with-another-key"),
        pytest.param(b64("5"), id="json-number"),
        pytest.param(b64("[5]"), id="json-list"),
        pytest.param(b64('"5"'), id="json-string"),
        pytest.param(b64("null"), id="json-null"),
        pytest.param(b64('{"after":-1}'), id="negative"),
        pytest.param(b64('{"after":true}'), id="bool-true"),
        pytest.param(b64('{"after":false}'), id="bool-false"),
        pytest.param(b64('{"after":null}'), id="after-null"),
        pytest.param(b64('{"after":"5"}'), id="after-string"),
        pytest.param(b64('{"after":5.0}'), id="after-float"),
        pytest.param(b64('{"after":1e3}'), id="after-exponent"),
        pytest.param(b64('{"after":[5]}'), id="after-list"),
        pytest.param(b64(json.dumps({"after": MAX_BIGINT + 1})), id="over-bigint"),
        pytest.param(b64(json.dumps({"after": 2**64})), id="over-uint64"),
        pytest.param(b64('{"after":' + "9" * 5000 + "}"), id="enormous-integer"),
        pytest.param(b64('{"after":NaN}'), id="nan"),
        pytest.param(b64('{"after":Infinity}'), id="infinity"),
    ],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(MalformedCursor):
        decode_cursor(cursor)


def test_malformed_cursor_is_a_value_error_with_a_helpful_message() -> None:
    with pytest.raises(ValueError, match="next_cursor"):
        decode_cursor("garbage")


def test_a_deeply_nested_cursor_is_refused_as_malformed() -> None:
    # The HTTP layer caps `cursor` at 200 characters today, but decode_cursor promises
    # MalformedCursor for any cursor it did not make (json recursion starts near depth 1000).
    cursor = b64("[" * 100_000)
    with pytest.raises(MalformedCursor):
        decode_cursor(cursor)


# Position cursors: a list in another order than the id's (GET /books?sort=).


def _any_key(key: object) -> bool:
    return key is None or isinstance(key, str | int)


@pytest.mark.parametrize("key", [None, 0, 1969, -5, "", "The Left Hand", "Éclair ✓", "x" * 255])
def test_a_position_decodes_to_the_key_and_id_it_was_made_from(key: object) -> None:
    cursor = encode_position(order="title", scope="('a', None)", key=key, after_id=MAX_BIGINT)  # type: ignore[arg-type]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor), cursor
    assert len(cursor) <= MAX_POSITION_CURSOR
    decoded = decode_position(cursor, order="title", scope="('a', None)", valid_key=_any_key)
    assert decoded == (key, MAX_BIGINT)


def test_a_position_for_another_order_or_other_filters_says_so() -> None:
    cursor = encode_position(order="title", scope="s", key="a", after_id=1)
    with pytest.raises(CursorForAnotherList, match="sort=title, not sort=price"):
        decode_position(cursor, order="price", scope="s", valid_key=_any_key)
    with pytest.raises(CursorForAnotherList, match="other filters"):
        decode_position(cursor, order="title", scope="t", valid_key=_any_key)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param(b64('["title","0",null,1]') + "AAAA", id="trailing-garbage"),
        pytest.param(b64("[" * 100_000)[:2048], id="deeply-nested"),
        pytest.param(b64('["title","x",NaN,1]'), id="nan"),
        pytest.param(b64('["title","x",null,-1]'), id="negative-id"),
        pytest.param(b64('["title","x",null,true]'), id="bool-id"),
        pytest.param(b64('["title","x",null]'), id="three-items"),
        pytest.param(b64('{"title":1}'), id="object"),
        pytest.param("short", id="too-short"),
        pytest.param("A" * (MAX_POSITION_CURSOR + 1), id="too-long"),
    ],
)
def test_malformed_positions_are_refused(cursor: str) -> None:
    with pytest.raises(MalformedCursor) as raised:
        decode_position(cursor, order="title", scope="s", valid_key=_any_key)
    assert type(raised.value) is MalformedCursor


def test_a_key_the_list_refuses_makes_a_malformed_position() -> None:
    cursor = encode_position(order="price", scope="s", key="not a price", after_id=1)
    with pytest.raises(MalformedCursor):
        decode_position(cursor, order="price", scope="s", valid_key=lambda k: type(k) is int)
