"""event type names: outbox rows go by the events' versioned names, not class names

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:45:00

Events used to be stored under their Python class names, so renaming a class stranded
every undelivered row. Each event now declares a versioned type name; the rows already
waiting (or dead) in the outboxes are renamed here so they are still delivered. The
inboxes store handler names only and are left alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not read from the event classes: a migration must not change when the code does.
RENAMES = {
    "book_outbox": {
        "AuthorAddedToBook": "book.author_added.v1",
        "AuthorRemovedFromBook": "book.author_removed.v1",
        "BookDeleted": "book.deleted.v1",
    },
    "author_outbox": {"AuthorDeleted": "author.deleted.v1"},
}


def _rename(*, backwards: bool) -> None:
    for table_name, renames in RENAMES.items():
        table = sa.table(table_name, sa.column("event_type", sa.String))
        for old, new in renames.items():
            before, after = (new, old) if backwards else (old, new)
            op.execute(table.update().where(table.c.event_type == before).values(event_type=after))


def upgrade() -> None:
    _rename(backwards=False)


def downgrade() -> None:
    _rename(backwards=True)
