"""Small SQL helpers shared by the read sides."""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, String, bindparam, func, literal_column
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
    trigram indexes on lower(first_name) and lower(last_name) answer it (migration 0005);
    a title search goes through `contains_ignoring_case_and_spaces` first."""
    if isinstance(pattern, str):
        pattern = bindparam(pattern, type_=String())
    return func.lower(column).like(pattern, escape="\\")


def without_spaces(pattern: str) -> str:
    """A pattern made by `containing`, with its spaces dropped: for
    `contains_ignoring_case_and_spaces`. (No escape in the pattern involves a space.)"""
    return pattern.replace(" ", "")


def contains_ignoring_case_and_spaces(
    column: ColumnClause[str] | ColumnElement[str], pattern: str
) -> ColumnElement[bool]:
    """`replace(lower(column), ' ', '') LIKE :pattern`, the pattern made by `without_spaces`.

    True wherever `contains_ignoring_case` is (dropping a character from a text drops it
    from each of its substrings), and on some more rows: it is a coarse filter for an index
    (migration 0007), to be followed by the exact condition."""
    # The spaces are written into the SQL, not bound: the expression must be the index's.
    return func.replace(func.lower(column), literal_column("' '"), literal_column("''")).like(
        bindparam(pattern, type_=String()), escape="\\"
    )
