"""Pydantic types shared by every context's HTTP schemas."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from modules.kernel.errors import InvalidValue
from modules.kernel.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    POSITION_CURSOR_PATTERN,
    Key,
    MalformedCursor,
    decode_position,
    no_key,
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


def digits_only(message: str) -> Any:
    """A before-validator: a number in a path or query is written in decimal digits - no
    sign, spaces, underscores or decimal point, which a lenient integer parser would
    otherwise accept ("+1", " 1", "1_0", "1.0")."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and not _DIGITS.fullmatch(value):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


_decimal_digits = digits_only("must be an id of 1 to 19 decimal digits")


def domain_rule(value_object: Callable[[Any], object]) -> Any:
    """Run a value object's own check (an ISBN checksum, a blank title) while the request
    is validated, so its refusal is listed with every other field error of the request in
    one 422, under the value object's own message. The use case checks again (the domain
    never trusts its caller); this only reports sooner and all at once."""

    def check(value: Any) -> Any:
        try:
            value_object(value)
        except InvalidValue as error:
            raise PydanticCustomError(
                "invalid-value", "{reason}", {"reason": error.detail}
            ) from None
        return value

    return AfterValidator(check)


# A bounded string that the database can store: `Annotated[str, StringConstraints(...),
# Storable]`. The length limits come first, so they are plain string constraints (with
# plain messages); the character check wraps them.
Storable = BeforeValidator(_storable)


def _integral(value: Any) -> Any:
    # JSON has one number type: 30.0 is the integer 30 (JSON Schema agrees). Anything else
    # - "30", true, 30.5 - is left to StrictInt, which refuses it.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# A bounded integer where 30.0 counts as 30: `Annotated[StrictInt, Field(ge=.., le=..),
# Integral]`. The bounds come first, so they stay integer constraints (documented as
# minimum and maximum); the float check wraps them.
Integral = BeforeValidator(_integral)


# A Snowflake id travels as a decimal string: JavaScript's numbers stop being exact at 2**53.
# On the way in, digits in a string (or a plain JSON integer) are accepted.
SnowflakeId = Annotated[
    int,
    Field(ge=1, le=MAX_ID),
    _decimal_digits,
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
    _decimal_digits,
    # Documented as a string of digits, like the ids in bodies: a generated client must not
    # hold an id in a floating-point number.
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN, "examples": ["384017951453347840"]}),
]
IdQuery = Annotated[
    int,
    Field(ge=1, le=MAX_ID),
    _decimal_digits,
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN}),
]

LimitQuery = Annotated[
    int,
    Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1 to {MAX_LIMIT}"),
    digits_only(f"must be a whole number from 1 to {MAX_LIMIT}, in decimal digits"),
]


def query_error(name: str, message: str) -> RequestValidationError:
    """A 422 naming one query parameter, for a check that is not the parameter's type."""
    return RequestValidationError([{"loc": ("query", name), "msg": message, "type": "value_error"}])


# The shape of every cursor (encode_position); the filters, and the order where a list
# takes one, are checked against the request by cursor_position.
CURSOR_QUERY_PATTERN = f"^{POSITION_CURSOR_PATTERN.pattern}$"
CursorQuery = Annotated[
    str | None,
    Query(
        pattern=CURSOR_QUERY_PATTERN,
        description=(
            "The `next_cursor` of the previous page, with the same filters; omit it for the"
            " first page."
        ),
    ),
]


def cursor_position(
    cursor: str | None,
    *,
    order: str,
    scope: str,
    valid_key: Callable[[object], bool] = no_key,
) -> tuple[Key, int | None]:
    """The sort key and id the `cursor` query parameter points after, (None, None) for a
    first page. One we did not make, or made for another order or other filters, is a 422
    on `cursor` that says so."""
    if cursor is None:
        return None, None
    try:
        return decode_position(cursor, order=order, scope=scope, valid_key=valid_key)
    except MalformedCursor as error:
        raise query_error("cursor", str(error)) from None


T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    """One page of a list: in id order (oldest first) unless the list takes another."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


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
    "CursorQuery",
    "cursor_position",
    "DEFAULT_LIMIT",
    "digits_only",
    "domain_rule",
    "IdPath",
    "IdQuery",
    "LimitQuery",
    "PageOut",
    "query_error",
    "Storable",
    "Integral",
    "SnowflakeId",
    "StrictInput",
    "NotNull",
]
