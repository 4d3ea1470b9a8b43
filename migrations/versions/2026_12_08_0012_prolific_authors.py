"""prolific authors: authors.book_count, and indexes of an author's books in id order

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08 10:00:00

An author's representation shows their newest books and how many there are, read in one
statement that must not read all of a prolific author's links: the count is kept on the
author (by the aggregate, with every change of its list) and filled in here for the
authors there are; the newest listed books are read backwards from a partial index of
Author's links. Book's links get an index in (author, book) order, which replaces the one
on the author alone, so that each page of `GET /books?author_id=` reads only its books.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import views_set_aside

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "authors", sa.Column("book_count", sa.Integer(), nullable=False, server_default="0")
    )
    op.execute(
        "UPDATE authors SET book_count = (SELECT count(*) FROM author_books"
        " WHERE author_books.author_id = authors.id AND author_books.listed)"
    )
    # No default from now on: whatever writes an author says how many books it lists.
    with views_set_aside("authors"), op.batch_alter_table("authors") as batch:
        batch.alter_column("book_count", server_default=None)
    listed = sa.column("listed") == sa.true()  # as the queries write it: "= 1" on SQLite
    op.create_index(
        "ix_author_books_listed",
        "author_books",
        ["author_id", "book_id"],
        postgresql_where=listed,
        sqlite_where=listed,
    )
    op.create_index("ix_book_authors_author_id_book_id", "book_authors", ["author_id", "book_id"])
    op.drop_index("ix_book_authors_author_id", table_name="book_authors")


def downgrade() -> None:
    op.create_index("ix_book_authors_author_id", "book_authors", ["author_id"])
    op.drop_index("ix_book_authors_author_id_book_id", table_name="book_authors")
    op.drop_index("ix_author_books_listed", table_name="author_books")
    with views_set_aside("authors"), op.batch_alter_table("authors") as batch:
        batch.drop_column("book_count")
