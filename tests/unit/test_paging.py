"""Keyset paging cursors: opaque, URL-safe, bound to their list, and strict about what
they accept."""

from __future__ import annotations

import base64
import json
import re

import pytest

from modules.kernel.paging import (
    MAX_POSITION_CURSOR,
    POSITION_CURSOR_PATTERN,
    CursorForAnotherList,
    MalformedCursor,
    decode_position,
    encode_position,
    no_key,
)

MAX_BIGINT = 2**63 - 1


def b64(text: str) -> str:
    """How encode_position wraps its JSON: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# Cursors in id order: the key is None, the id is the whole position.


def by_id(after_id: int, scope: str = "s") -> str:
    return encode_position(order="id", scope=scope, key=None, after_id=after_id)


def after(cursor: str, scope: str = "s") -> int | None:
    key, after_id = decode_position(cursor, order="id", scope=scope, valid_key=no_key)
    assert key is None
    return after_id


@pytest.mark.parametrize("after_id", [0, 1, 42, 384_017_951_453_347_840, MAX_BIGINT])
def test_a_cursor_decodes_to_the_id_it_was_made_from(after_id: int) -> None:
    assert after(by_id(after_id)) == after_id


def test_every_cursor_has_the_documented_shape() -> None:
    # The OpenAPI pattern of `cursor` is built from this one: every cursor made must pass it.
    for after_id in (0, 1, 2**40 + 3, MAX_BIGINT, 62, 63, 2**62 - 1):
        for scope in ("", "(None, None, None)", "('é' * 255, 1, None)"):
            cursor = by_id(after_id, scope)
            assert POSITION_CURSOR_PATTERN.fullmatch(cursor), cursor
            assert "=" not in cursor


def test_cursors_are_opaque_not_the_bare_id() -> None:
    assert "123456" not in by_id(123_456)


def test_different_ids_or_filters_give_different_cursors() -> None:
    ids = [0, 1, 2, 10, 384_017_951_453_347_840, MAX_BIGINT]
    assert len({by_id(i) for i in ids}) == len(ids)
    assert by_id(1, "('a',)") != by_id(1, "('b',)")


def test_an_id_cursor_for_other_filters_or_another_order_says_so() -> None:
    cursor = by_id(7, "('a',)")
    with pytest.raises(CursorForAnotherList, match="other filters"):
        after(cursor, "('b',)")
    with pytest.raises(CursorForAnotherList, match="sort=id, not sort=title"):
        decode_position(cursor, order="title", scope="('a',)", valid_key=lambda k: True)


def test_an_id_cursor_with_a_key_is_malformed() -> None:
    cursor = encode_position(order="id", scope="s", key="a title", after_id=7)
    with pytest.raises(MalformedCursor):
        after(cursor)


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("not a cursor", id="random-text"),
        pytest.param("!!!!!!!!!!!!!!!!", id="punctuation"),
        pytest.param("héllo" * 4, id="non-ascii"),
        pytest.param("abc", id="truncated-base64"),
        pytest.param("7fffffffffffffff", id="a-bare-id-in-hex"),
        pytest.param(b64("hello world, not json"), id="base64-of-non-json"),
        pytest.param(b64("\xff\xfe" * 8), id="base64-of-non-utf8-json"),
        pytest.param(b64('{"after":5,"order":"id"}'), id="json-object"),
        pytest.param(b64("5" * 16), id="json-number"),
        pytest.param(b64('["id","s",null,5,6]'), id="json-list-of-five"),
        pytest.param(b64('"a string of json"'), id="json-string"),
        pytest.param(b64("null" + " " * 12), id="json-null"),
        pytest.param(b64('[1,"digest",null,5]'), id="order-not-a-string"),
        pytest.param(b64('["id",1,null,5]'), id="digest-not-a-string"),
        pytest.param(b64('["id","x",null,-1]'), id="negative"),
        pytest.param(b64('["id","x",null,true]'), id="bool-true"),
        pytest.param(b64('["id","x",null,false]'), id="bool-false"),
        pytest.param(b64('["id","x",null,null]'), id="id-null"),
        pytest.param(b64('["id","x",null,"5"]'), id="id-string"),
        pytest.param(b64('["id","x",null,5.0]'), id="id-float"),
        pytest.param(b64('["id","x",null,1e3]'), id="id-exponent"),
        pytest.param(b64('["id","x",null,[5]]'), id="id-list"),
        pytest.param(b64(json.dumps(["id", "x", None, MAX_BIGINT + 1])), id="over-bigint"),
        pytest.param(b64(json.dumps(["id", "x", None, 2**64])), id="over-uint64"),
        pytest.param(b64('["id","x",null,' + "9" * 1400 + "]"), id="enormous-integer"),
        pytest.param(b64('["id","x",null,NaN]'), id="nan"),
        pytest.param(b64('["id","x",null,Infinity]'), id="infinity"),
    ],
)
def test_malformed_cursors_are_refused(cursor: str) -> None:
    with pytest.raises(MalformedCursor) as raised:
        after(cursor)
    assert type(raised.value) is MalformedCursor  # not "for another list": not ours at all


def test_malformed_cursor_is_a_value_error_with_a_helpful_message() -> None:
    with pytest.raises(ValueError, match="next_cursor"):
        after("garbage")


# Cursors in another order than the id's (GET /books?sort=): the key comes along.


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
