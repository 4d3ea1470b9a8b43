"""Small SQL helpers shared by the read sides."""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, String, bindparam, func
from sqlalchemy.sql.elements import ColumnClause


def containing(text: str) -> str:
    """The LIKE pattern for "contains `text`, whatever the case", with LIKE's wildcards in
    `text` taken literally (escaped with a backslash; see `contains_ignoring_case`)."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_ignoring_case(
    column: ColumnClause[str] | ColumnElement[str], pattern: BindParameter[str] | str
) -> ColumnElement[bool]:
    """`lower(column) LIKE :pattern`, the pattern made by `containing`. On PostgreSQL the
    trigram indexes on lower(title) and lower(names) answer it (migration 0005)."""
    if isinstance(pattern, str):
        pattern = bindparam(pattern, type_=String())
    return func.lower(column).like(pattern, escape="\\")
