"""The orders of a list of books in SQL: what each sorts on, and what lies past a cursor."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, tuple_
from sqlalchemy.sql.base import ReadOnlyColumnCollection

from modules.book.application.queries import BookOrder
from modules.book.infrastructure.tables import books

Columns = ReadOnlyColumnCollection[str, Any]


# The column each order's field sorts on. Titles sort by their folded form, code point by
# code point on both databases (the column's collation, docs/api.md).
SORT_COLUMNS = {
    "id": "id",
    "title": "title_folded",
    "publication_year": "publication_year",
    "price": "price",
}


def sort_key(columns: Columns, field: str) -> ColumnElement[Any]:
    return columns[SORT_COLUMNS[field]]  # type: ignore[no-any-return]


def ordered(columns: Columns, order: BookOrder) -> list[ColumnElement[Any]]:
    """ORDER BY of `order`: its key, then the id, both reversed for a `-` order."""
    keys = [columns.id]
    if order.field != "id":
        keys.insert(0, sort_key(columns, order.field))
    return [key.desc() for key in keys] if order.descending else keys


def after_cursor(order: BookOrder) -> ColumnElement[bool]:
    """Past the cursor's book in `order`: (key, id) beyond the cursor's (key, id), which
    the order's index reads as a range. A title cursor's key is bound folded."""
    if order.field == "id":
        after_id = bindparam("after_id", type_=BigInteger())
        return books.c.id < after_id if order.descending else books.c.id > after_id
    key_column = sort_key(books.c, order.field)
    position = tuple_(key_column, books.c.id)
    cursor = tuple_(bindparam("after_key", type_=key_column.type), bindparam("after_id"))
    return position < cursor if order.descending else position > cursor
