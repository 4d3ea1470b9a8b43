"""Keyset paging: a page of items and an opaque cursor that points after the last one.

Ids are Snowflakes, so ordering by id is ordering by creation time, and rows inserted
while a client pages through land after its cursor: pages never shift or repeat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
# 16 hex digits, the first at most 7: exactly the non-negative 64-bit signed integers.
CURSOR_PATTERN = re.compile(r"[0-7][0-9a-f]{15}")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


class MalformedCursor(ValueError):
    pass


def encode_cursor(after_id: int) -> str:
    """An opaque token for "the page after this id". Clients must pass it back untouched;
    every string of this shape is a valid position, so no cursor can break a query."""
    return f"{after_id:016x}"


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after; a cursor we did not make raises MalformedCursor."""
    if not CURSOR_PATTERN.fullmatch(cursor):
        raise MalformedCursor("malformed cursor: pass back the next_cursor of a previous page")
    return int(cursor, 16)
