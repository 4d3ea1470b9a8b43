"""trigram indexes updated in place

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A GIN index takes new rows into a pending list (fastupdate), merged into the index by
# vacuum or once it reaches gin_pending_list_limit (4 MB). Until then every search that
# uses the index reads the whole list, and the write that overflows the list pays for the
# merge. A catalogue is read far more than written: each insert updates the index itself,
# and searches stay as fast as the index is (figures: docs/performance.md).
INDEXES = (
    "ix_books_title_without_spaces_trgm",
    "ix_authors_first_name_trgm",
    "ix_authors_last_name_trgm",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        op.execute(f"SELECT gin_clean_pending_list('{name}'::regclass)")  # what is pending


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RESET (fastupdate)")
