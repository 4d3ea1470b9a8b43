"""Small SQL helpers shared by the read sides."""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, String, bindparam, func
from sqlalchemy.sql.elements import ColumnClause


def containing(text: str) -> str:
    """The LIKE pattern for "contains `text`", with LIKE's wildcards in `text` taken
    literally (escaped with a backslash; see `contains_ignoring_case`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains_ignoring_case(
    column: ColumnClause[str] | ColumnElement[str], pattern: BindParameter[str] | str
) -> ColumnElement[bool]:
    """`lower(column) LIKE lower(:pattern)`, the pattern made by `containing`. On
    PostgreSQL the trigram indexes on lower(first_name) and lower(last_name) answer it
    (migration 0005); a title search asks its index of title pieces first (migration 0014).

    Both sides are lowered by the database: Python's str.lower() is not PostgreSQL's
    lower() ("İ" becomes two characters, a final "Σ" becomes "ς"), and a title searched
    for exactly as it is written must be found."""
    if isinstance(pattern, str):
        pattern = bindparam(pattern, type_=String())
    return func.lower(column).like(func.lower(pattern), escape="\\")
