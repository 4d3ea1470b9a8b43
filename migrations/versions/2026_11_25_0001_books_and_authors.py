"""books and authors

Revision ID: 0001
Revises:
Create Date: 2026-11-25 16:34:35.765762
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "authors",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("age", sa.Integer(), nullable=False),
        sa.Column("biography", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authors")),
    )
    op.create_table(
        "books",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("isbn", sa.String(length=13), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("publication_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_books")),
        sa.UniqueConstraint("isbn", name=op.f("uq_books_isbn")),
    )
    op.create_table(
        "author_books",
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("book_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["authors.id"],
            name=op.f("fk_author_books_author_id_authors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("author_id", "book_id", name=op.f("pk_author_books")),
    )
    with op.batch_alter_table("author_books", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_books_book_id"), ["book_id"], unique=False)

    op.create_table(
        "book_authors",
        sa.Column("book_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["book_id"],
            ["books.id"],
            name=op.f("fk_book_authors_book_id_books"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("book_id", "author_id", name=op.f("pk_book_authors")),
    )
    with op.batch_alter_table("book_authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_book_authors_author_id"), ["author_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("book_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_book_authors_author_id"))

    op.drop_table("book_authors")
    with op.batch_alter_table("author_books", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_books_book_id"))

    op.drop_table("author_books")
    op.drop_table("books")
    op.drop_table("authors")
