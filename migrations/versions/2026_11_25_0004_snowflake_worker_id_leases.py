"""snowflake worker id leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 17:23:00.498067
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    workers = op.create_table(
        "snowflake_workers",
        sa.Column("worker_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_snowflake_workers")),
    )
    # One row per possible worker id (10 bits): leasing is then a single UPDATE.
    op.bulk_insert(workers, [{"worker_id": n} for n in range(1024)])


def downgrade() -> None:
    op.drop_table("snowflake_workers")
