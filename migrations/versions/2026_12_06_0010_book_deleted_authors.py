"""book_deleted_authors: the authors Book has heard were deleted

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:00:00

Book reacts to Author's AuthorDeleted by recording the author here and taking them off
every book that names them; from then on a book refuses to name them (ADR 0011).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "book_deleted_authors",
        sa.Column("author_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("author_id", name=op.f("pk_book_deleted_authors")),
    )


def downgrade() -> None:
    op.drop_table("book_deleted_authors")
