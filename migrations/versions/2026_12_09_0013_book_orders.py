"""book orders: an index for each order of GET /books

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00

`GET /books?sort=` pages on (sort key, id) in either direction; each order reads its
page, deep or not, as a range of an index in that order, scanned forwards or backwards.
Titles sort by lower(title) in code point order: on PostgreSQL that is the expression
`lower(title) COLLATE "C"`, indexed here and there only (SQLite sorts its titles itself:
an index on lower() would hold the values of whichever lower() wrote it, and the service
installs its own).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TITLE_INDEX = "ix_books_title_collated"  # no mapping declares it; 0015 drops it


def upgrade() -> None:
    op.create_index("ix_books_publication_year_id", "books", ["publication_year", "id"])
    op.create_index("ix_books_price_id", "books", ["price", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f'CREATE INDEX {TITLE_INDEX} ON books ((lower(title) COLLATE "C"), id)')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {TITLE_INDEX}")
    op.drop_index("ix_books_price_id", table_name="books")
    op.drop_index("ix_books_publication_year_id", table_name="books")
