"""outbox, inbox and versioned author-book links

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:42:20.957910
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_outbox(name: str) -> None:
    """Each context's outbox has the same shape (kept here, not imported: a migration must
    not change when the code does)."""
    op.create_table(
        name,
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("aggregate_id", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=100), nullable=True),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f"ix_{name}_due", ["dead_at", "available_at"], unique=False)


def upgrade() -> None:
    op.create_table(
        "author_inbox",
        sa.Column("event_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("handler", sa.String(length=100), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler", name=op.f("pk_author_inbox")),
    )
    for context in ("author", "book"):
        _create_outbox(f"{context}_outbox")

    # Links that exist already are listed, as of "version 0": any later event is newer.
    with op.batch_alter_table("author_books", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("book_version", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("listed", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("author_books", schema=None) as batch_op:
        batch_op.alter_column("book_version", server_default=None)
        batch_op.alter_column("listed", server_default=None)


def downgrade() -> None:
    # Links that only remember a removal are not links in the older schema.
    op.execute(sa.text("DELETE FROM author_books WHERE NOT listed"))
    with op.batch_alter_table("author_books", schema=None) as batch_op:
        batch_op.drop_column("listed")
        batch_op.drop_column("book_version")

    with op.batch_alter_table("book_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_book_outbox_due")

    op.drop_table("book_outbox")
    with op.batch_alter_table("author_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_author_outbox_due")

    op.drop_table("author_outbox")
    op.drop_table("author_inbox")
