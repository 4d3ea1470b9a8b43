"""published read views: author_names (Author's) and book_titles (Book's)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00

Each context publishes, as a view, the little the other context's read side may show
of it: Author its authors' names, Book its books' titles. A book's page joins to
`author_names` in the same SELECT, instead of asking Author's port in a second round
trip; Author stays free to change its tables as long as the view keeps its columns.
Nothing ever writes through these views.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE VIEW author_names AS SELECT id, first_name, last_name FROM authors")
    op.execute("CREATE VIEW book_titles AS SELECT id, title FROM books")


def downgrade() -> None:
    op.execute("DROP VIEW book_titles")
    op.execute("DROP VIEW author_names")
