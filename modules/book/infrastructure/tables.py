"""Book's own tables. No foreign key points into another context's tables."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from modules.platform.db.database import metadata
from modules.platform.db.sql import FoldedText
from modules.platform.events.outbox_tables import outbox_table

books = Table(
    "books",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("title", String(255), nullable=False),
    # The title as searches and the title order compare it, written with it (mapping.py).
    Column("title_folded", FoldedText, nullable=False),
    Column("isbn", String(13), nullable=False, unique=True),
    Column("pages", Integer, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("publication_year", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)
# GET /books?sort=: a page in each order is a range of its index, in either direction.
Index("ix_books_title_folded_id", books.c.title_folded, books.c.id)
Index("ix_books_publication_year_id", books.c.publication_year, books.c.id)
Index("ix_books_price_id", books.c.price, books.c.id)

book_authors = Table(
    "book_authors",
    metadata,
    Column(
        "book_id",
        BigInteger,
        ForeignKey("books.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    # An id in the Author context: deliberately no foreign key across contexts.
    Column("author_id", BigInteger, primary_key=True),
    Column("position", Integer, nullable=False),
)
# An author's books in id order: a page of them is read from here and stops when full,
# however many books the author has (migration 0012).
Index("ix_book_authors_author_id_book_id", book_authors.c.author_id, book_authors.c.book_id)

# Authors Book has heard were deleted (AuthorDeleted): a book may never name them again.
book_deleted_authors = Table(
    "book_deleted_authors",
    metadata,
    Column("author_id", BigInteger, primary_key=True, autoincrement=False),
)

# Events Book records, written in the same transaction as the change (transactional outbox).
book_outbox = outbox_table("book_outbox", metadata)
