"""Author's own tables. `author_books.book_id` names a book of the Book context by id only."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    true,
)

from modules.platform.db.database import metadata
from modules.platform.db.sql import FoldedText
from modules.platform.events.outbox_tables import inbox_table, outbox_table

authors = Table(
    "authors",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    # The names as searches compare them, written with them (mapping.py).
    Column("first_name_folded", FoldedText, nullable=False),
    Column("last_name_folded", FoldedText, nullable=False),
    Column("age", Integer, nullable=False),
    Column("biography", Text, nullable=True),
    Column("version", Integer, nullable=False),
    # How many books the author lists (Author.book_count): read, never counted, by queries.
    Column("book_count", Integer, nullable=False),
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
    # The book's version this row reflects, and whether the author lists the book: a row
    # with listed=false remembers a removal, so late news of an older "added" is ignored.
    Column("book_version", Integer, nullable=False),
    Column("listed", Boolean, nullable=False),
)

# An author's newest books, read backwards from the newest and stopped after a few: the
# representation shows only those (migration 0012).
Index(
    "ix_author_books_listed",
    author_books.c.author_id,
    author_books.c.book_id,
    postgresql_where=author_books.c.listed == true(),
    sqlite_where=author_books.c.listed == true(),
)

# Events Author records, written in the same transaction as the change.
author_outbox = outbox_table("author_outbox", metadata)
# Events Author's handlers have applied: (event, handler) takes effect at most once.
author_inbox = inbox_table("author_inbox", metadata)
