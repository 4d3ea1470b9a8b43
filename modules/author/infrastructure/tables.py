"""Author's own tables. `author_books.book_id` names a book of the Book context by id only."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table, Text

from modules.shared.infrastructure.database import metadata

authors = Table(
    "authors",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("age", Integer, nullable=False),
    Column("biography", Text, nullable=True),
    Column("version", Integer, nullable=False),
)

author_books = Table(
    "author_books",
    metadata,
    Column(
        "author_id",
        BigInteger,
        ForeignKey("authors.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("book_id", BigInteger, primary_key=True, index=True),
)
