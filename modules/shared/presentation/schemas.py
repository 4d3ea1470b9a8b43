"""Pydantic types shared by every context's HTTP schemas."""

from __future__ import annotations

import re
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from modules.shared.application.paging import (
    CURSOR_PATTERN,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MalformedCursor,
    Page,
    decode_cursor,
)

MAX_ID = (1 << 63) - 1
ID_PATTERN = r"^[0-9]{1,19}$"


# NUL cannot be stored in PostgreSQL text, and a lone surrogate (JSON allows "\ud800")
# cannot be encoded as UTF-8 at all; both would fail in the driver, not here.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile("[0-9]{1,19}")


def _storable(value: Any) -> Any:
    # A before-validator, so that length limits stay plain string constraints with plain
    # messages.
    if isinstance(value, str) and _UNSTORABLE.search(value):
        raise ValueError("must not contain NUL or unpaired surrogate characters")
    return value


def _decimal_digits(value: Any) -> Any:
    # An id is written in decimal digits: no sign, spaces, underscores or decimal point,
    # which a lenient integer parser would otherwise accept ("+1", " 1", "1_0", "1.0").
    if isinstance(value, str) and not _DIGITS.fullmatch(value):
        raise ValueError("must be an id of 1 to 19 decimal digits")
    return value


def text(*, min_length: int | None = None, max_length: int) -> Any:
    """A bounded string that the database can store. The length limits come first, so they
    are plain string constraints (with plain messages); the character check wraps them."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length),
        BeforeValidator(_storable),
    ]


def _integral(value: Any) -> Any:
    # JSON has one number type: 30.0 is the integer 30 (JSON Schema agrees). Anything else
    # - "30", true, 30.5 - is left to StrictInt, which refuses it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def whole_number(*, ge: int, le: int) -> Any:
    """A bounded integer; 30.0 counts as 30. The bounds come first, so they stay integer
    constraints (documented as minimum and maximum); the float check wraps them."""
    return Annotated[StrictInt, Field(ge=ge, le=le), BeforeValidator(_integral)]


# A Snowflake id travels as a decimal string: JavaScript's numbers stop being exact at 2**53.
# On the way in, digits in a string (or a plain JSON integer) are accepted.
SnowflakeId = Annotated[
    int,
    Field(ge=1, le=MAX_ID),
    BeforeValidator(_decimal_digits),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "examples": ["384017951453347840"]}),
]

IdPath = Annotated[
    int,
    Path(
        ge=1,
        le=MAX_ID,
        description="A Snowflake id (decimal digits)",
        examples=[384017951453347840],
    ),
    BeforeValidator(_decimal_digits),
    # Documented as a string of digits, like the ids in bodies: a generated client must not
    # hold an id in a floating-point number.
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "examples": ["384017951453347840"]}),
]
IdQuery = Annotated[
    int,
    Field(ge=1, le=MAX_ID),
    BeforeValidator(_decimal_digits),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN}),
]

LimitQuery = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}"),
    BeforeValidator(_decimal_digits),
]


def _after_id(
    cursor: Annotated[
        str | None,
        Query(
            pattern=f"^{CURSOR_PATTERN.pattern}$",
            description="The `next_cursor` of the previous page; omit it for the first page.",
        ),
    ] = None,
) -> int | None:
    if cursor is None:
        return None
    try:
        return decode_cursor(cursor)
    except MalformedCursor as error:
        raise RequestValidationError(
            [{"loc": ("query", "cursor"), "msg": str(error), "type": "value_error"}]
        ) from None


# The id the requested page starts after, decoded from the opaque `cursor` query parameter.
AfterIdFromCursor = Annotated[int | None, Depends(_after_id)]

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    """One page of a list, in id order (oldest first)."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def page_response(model: type[PageOut[Any]], page: Page[Any]) -> Response:
    """A page of views as JSON, validated in one pass and serialised once. The route
    returns the Response itself: handed a model, FastAPI would validate it all over again
    (measured: a fifth of a 20-item page's CPU); its response_model still documents it."""
    out = model.model_validate(
        {"items": page.items, "next_cursor": page.next_cursor}, from_attributes=True
    )
    return Response(model.__pydantic_serializer__.to_json(out), media_type="application/json")


class StrictInput(BaseModel):
    """Request bodies: unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("cannot be null; leave the field out to keep its value")
    return value


# PATCH bodies: a field left out keeps its value, but null for a field that cannot be empty
# is an error on that field. Such a field is typed as its value (`title: TitleStr = None`):
# the default None is never validated, so leaving the field out works, while a null sent
# by the client is refused here with a plain message - and the error names just the field,
# where an Optional union would add one error per union branch.
NotNull = BeforeValidator(_refuse_null)


__all__ = [
    "AfterIdFromCursor",
    "DEFAULT_LIMIT",
    "IdPath",
    "IdQuery",
    "LimitQuery",
    "PageOut",
    "text",
    "whole_number",
    "SnowflakeId",
    "StrictInput",
    "NotNull",
]
