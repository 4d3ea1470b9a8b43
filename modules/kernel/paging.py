"""Keyset paging: a page of items and an opaque cursor that points after the last one.

Ids are Snowflakes, so ordering by id is ordering by creation time, and rows inserted
while a client pages through land after its cursor: pages never shift or repeat. A list
in another order pages on (sort key, id): rows that do not change keep their place,
whatever moves around them. Every cursor names the order and the filters it was made
for, so that one passed to another list is refused rather than read as a position there.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class MalformedCursor(ValueError):
    pass


_MALFORMED = "malformed cursor: pass back the next_cursor of a previous page"

# A cursor carries the last item's sort key and id, with the order and a digest of the
# filters it was made for: URL-safe base64 of a short JSON array. A title may take 1,020
# bytes of UTF-8, so the longest cursor is about 1,500 characters; anything longer is
# not one of ours.
MAX_POSITION_CURSOR = 2048
POSITION_CURSOR_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,2048}")
_MAX_BIGINT = (1 << 63) - 1

Key = str | int | None


class CursorForAnotherList(MalformedCursor):
    """A cursor we made, but for another order or other filters: its position means
    nothing in this list."""


def no_key(key: object) -> bool:
    """The key of a list in id order: none, the id is the whole position."""
    return key is None


def _digest(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:12]


def encode_position(*, order: str, scope: str, key: Key, after_id: int) -> str:
    """The cursor for "the page after the item with this sort key and id", in `order`,
    among the items `scope` (the filters, written out) selects."""
    payload = json.dumps([order, _digest(scope), key, after_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def _refuse_constant(name: str) -> None:
    raise ValueError(name)  # NaN, Infinity: not JSON, never ours


def decode_position(
    cursor: str, *, order: str, scope: str, valid_key: Callable[[object], bool]
) -> tuple[Key, int]:
    """The sort key and id a cursor of `encode_position` points after; MalformedCursor
    for one we did not make (or whose key `valid_key` refuses), CursorForAnotherList for
    one made for another order or other filters."""
    try:
        if not POSITION_CURSOR_PATTERN.fullmatch(cursor):
            raise ValueError(cursor)
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = json.loads(raw.decode(), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # binascii.Error and JSON errors are ValueErrors
        raise MalformedCursor(_MALFORMED) from None
    if not (isinstance(decoded, list) and len(decoded) == 4):
        raise MalformedCursor(_MALFORMED)
    made_for, digest, key, after_id = decoded
    if not (isinstance(made_for, str) and isinstance(digest, str)):
        raise MalformedCursor(_MALFORMED)
    if type(after_id) is not int or not 0 <= after_id <= _MAX_BIGINT:
        raise MalformedCursor(_MALFORMED)
    if made_for != order:
        raise CursorForAnotherList(
            f"this cursor pages the list in sort={made_for}, not sort={order}:"
            " ask for that order again, or start over without a cursor"
        )
    if digest != _digest(scope):
        raise CursorForAnotherList(
            "this cursor was made for other filters: pass the same filters as the page it"
            " came from, or start over without a cursor"
        )
    if not valid_key(key):  # checked for this order: another order's key is not malformed
        raise MalformedCursor(_MALFORMED)
    return key, after_id
