"""trigram indexes for searches

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 17:45:44.494563
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Substring searches (title, first or last name) are `lower(column) LIKE '%text%'`. On
# PostgreSQL a trigram index answers them without reading every row; SQLite has no such
# index and scans (fine for the embedded default's sizes).
INDEXES = {
    "ix_books_title_trgm": ("books", "title"),
    "ix_authors_first_name_trgm": ("authors", "first_name"),
    "ix_authors_last_name_trgm": ("authors", "last_name"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, (table, column) in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin (lower({column}) gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
