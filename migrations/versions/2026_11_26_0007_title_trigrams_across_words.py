"""title trigrams across words

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# pg_trgm cuts a text into words before it takes trigrams, so an index on lower(title)
# knows which words a title holds, not which follow which. A phrase of common words ("sea
# of the fox") then asks it for trigrams that most titles hold (" of", "the", "he "), and
# the cost of intersecting them grew with the catalogue. Indexed without its spaces, a
# title yields trigrams across its words, and a rare phrase has rare ones ("aof"). It
# replaces the old index, which then has no query left to answer (and would cost every
# write). Built without CONCURRENTLY, inside the migration's transaction: writes to books
# wait for the build. On a busy table, build it CONCURRENTLY by hand first, under the
# same name: the migration then keeps it. Figures: docs/performance.md.
OLD = (
    "CREATE INDEX IF NOT EXISTS ix_books_title_trgm ON books USING gin (lower(title) gin_trgm_ops)"
)
NEW = (
    "CREATE INDEX IF NOT EXISTS ix_books_title_without_spaces_trgm ON books"
    " USING gin (replace(lower(title), ' ', '') gin_trgm_ops)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NEW)
    op.execute("DROP INDEX IF EXISTS ix_books_title_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(OLD)
    op.execute("DROP INDEX IF EXISTS ix_books_title_without_spaces_trgm")
