"""Small SQL helpers shared by the read sides."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func
from sqlalchemy.sql.elements import ColumnClause


def contains_ignoring_case(
    column: ColumnClause[str] | ColumnElement[str], text: str
) -> ColumnElement[bool]:
    """`column` contains `text`, case-insensitively, with LIKE's wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped.lower()}%", escape="\\")
