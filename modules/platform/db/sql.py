"""Small SQL helpers shared by the contexts' tables and read sides."""

from __future__ import annotations

from sqlalchemy import ColumnElement, String, Text, bindparam

# A column holding text as searches compare it (kernel.text.folded), written beside the
# text it folds. Compared code point by code point on both databases: "C" on PostgreSQL,
# whose default collation follows the server's locale; SQLite compares text so already.
FoldedText = Text().with_variant(Text(collation="C"), "postgresql")


def containing(text: str) -> str:
    """The LIKE pattern for "contains `text`", with LIKE's wildcards in `text` taken
    literally (escaped with a backslash, as `holds` compares)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def holds(column: ColumnElement[str], pattern: str) -> ColumnElement[bool]:
    """`column LIKE :pattern ESCAPE '\\'`: the parameter `pattern` is made by `containing`.
    Both sides are folded by the service (kernel.text.folded), never by the database."""
    return column.like(bindparam(pattern, type_=String()), escape="\\")
