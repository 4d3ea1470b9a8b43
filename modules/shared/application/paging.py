"""Keyset paging: a page of items and an opaque cursor that points after the last one.

Ids are Snowflakes, so ordering by id is ordering by creation time, and rows inserted
while a client pages through land after its cursor: pages never shift or repeat.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
_MAX_ID = (1 << 63) - 1
_MAX_CURSOR_LENGTH = 64  # the cursors we make are about 40 characters
_MALFORMED = "malformed cursor: pass back the next_cursor of a previous page"


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(after_id: int) -> str:
    raw = json.dumps({"after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class MalformedCursor(ValueError):
    pass


def decode_cursor(cursor: str) -> int:
    """The id a cursor points after; a cursor we did not make raises MalformedCursor."""
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise MalformedCursor(_MALFORMED)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        after = data["after"]
        if isinstance(after, int) and not isinstance(after, bool) and 0 <= after <= _MAX_ID:
            return after
    except (ValueError, UnicodeError, binascii.Error, TypeError, KeyError, RecursionError):
        pass
    raise MalformedCursor(_MALFORMED)
