"""folded search text: titles and names stored folded beside them, and searched that way

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00

Searches compared `lower()` of both sides, which is not full case folding ("straße" did
not find "STRASSE") and is not the same function on the two databases. Now each text a
search compares is stored a second time, folded by the service (kernel.text.folded), and
the search indexes are built on those columns (ADR 0024). This migration also stores the
existing texts trimmed and in NFC, as the service now writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from migrations.helpers import views_set_aside
from modules.kernel.text import folded, normalised

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 2000  # rows per UPDATE: 12,000 parameters at most, below both databases' limits

# Each text, and the column that keeps it folded (None: stored normalised, never searched).
TEXTS = {
    "books": {"title": "title_folded"},
    "authors": {
        "first_name": "first_name_folded",
        "last_name": "last_name_folded",
        "biography": None,
    },
}

FOLDED_TEXT = sa.Text().with_variant(sa.Text(collation="C"), "postgresql")

# PostgreSQL's search indexes, built on the folded columns now: the title's pieces (0014)
# and the names' trigrams (0005), updated in place as 0008 made them.
POSTGRESQL_INDEXES = {
    "ix_books_title_pieces": "books USING gin (book_title_pieces(title_folded))",
    "ix_authors_first_name_folded_trgm": "authors USING gin (first_name_folded gin_trgm_ops)",
    "ix_authors_last_name_folded_trgm": "authors USING gin (last_name_folded gin_trgm_ops)",
}
# What they replace, and the titles' order index of 0013 (on lower(title) COLLATE "C").
POSTGRESQL_INDEXES_BEFORE = {
    "ix_books_title_pieces": "books USING gin (book_title_pieces(lower(title)))",
    "ix_authors_first_name_trgm": "authors USING gin (lower(first_name) gin_trgm_ops)",
    "ix_authors_last_name_trgm": "authors USING gin (lower(last_name) gin_trgm_ops)",
}
TITLE_ORDER_BEFORE = (
    'CREATE INDEX ix_books_title_collated ON books ((lower(title) COLLATE "C"), id)'
)


def _store_normalised_and_folded(table_name: str, texts: dict[str, str | None]) -> None:
    """Every row, a batch at a time in id order: its texts as the service would store them
    now. One UPDATE per batch, from a VALUES list: row by row took minutes at a million."""
    columns = [*texts, *filter(None, texts.values())]
    table = sa.table(table_name, sa.column("id"), *(sa.column(name) for name in columns))
    bind = op.get_bind()
    last_id = 0
    while True:
        read = sa.select(table.c.id, *(table.c[text] for text in texts))
        rows = bind.execute(read.where(table.c.id > last_id).order_by(table.c.id).limit(BATCH))
        stored = [_as_stored(row._mapping, texts) for row in rows]
        if not stored:
            return
        new = (
            sa.values(
                sa.column("id", sa.BigInteger()),
                *(sa.column(name, sa.Text()) for name in columns),
                name="new",
            )
            .data(stored)
            .cte("new")
        )  # a CTE: SQLite names no columns of a VALUES in FROM
        bind.execute(
            table.update()
            .where(table.c.id == new.c.id)
            .values({name: new.c[name] for name in columns})
        )
        last_id = stored[-1][0]


def _as_stored(row: Any, texts: dict[str, str | None]) -> tuple[Any, ...]:
    """(id, each text normalised, each folded copy), as the columns are listed."""
    values = [row[text] for text in texts]
    copies = [folded(value) for value, copy in zip(values, texts.values(), strict=True) if copy]
    return (row["id"], *(None if v is None else normalised(v) for v in values), *copies)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:  # gone first, so that the fill does not update them
        op.execute("DROP INDEX ix_books_title_collated")
        for name in POSTGRESQL_INDEXES_BEFORE:
            op.execute(f"DROP INDEX {name}")
    for table_name, texts in TEXTS.items():
        for folded_column in filter(None, texts.values()):
            op.add_column(table_name, sa.Column(folded_column, FOLDED_TEXT, nullable=True))
        _store_normalised_and_folded(table_name, texts)
        with views_set_aside(table_name), op.batch_alter_table(table_name) as batch:
            for folded_column in filter(None, texts.values()):
                batch.alter_column(folded_column, existing_type=FOLDED_TEXT, nullable=False)
    op.create_index("ix_books_title_folded_id", "books", ["title_folded", "id"])
    if postgresql:
        for name, definition in POSTGRESQL_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {definition} WITH (fastupdate = off)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in POSTGRESQL_INDEXES:
            op.execute(f"DROP INDEX {name}")
        for name, definition in POSTGRESQL_INDEXES_BEFORE.items():
            op.execute(f"CREATE INDEX {name} ON {definition} WITH (fastupdate = off)")
        op.execute(TITLE_ORDER_BEFORE)
    op.drop_index("ix_books_title_folded_id", table_name="books")
    for table_name, texts in TEXTS.items():
        with views_set_aside(table_name), op.batch_alter_table(table_name) as batch:
            for folded_column in filter(None, texts.values()):
                batch.drop_column(folded_column)
