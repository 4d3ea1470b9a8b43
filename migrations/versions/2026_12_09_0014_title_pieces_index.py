"""title pieces index: a GIN index over the titles' 8-character pieces replaces the suffix table

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from migrations.helpers import revision as other_revision

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The suffix table of 0009 answered every title search from a B-tree, at the price of a
# row per character of every title: 2 GB at a million books, whose table is 92 MB, and
# 0.15 ms more per book written. This index keeps, for each title, the 8 characters that
# start at each of its characters (fewer at its end): a text of up to 8 characters is in
# a title exactly when it starts one of them - a prefix match, which a GIN index over a
# tsvector answers from a range of its keys. A longer text is looked for by its pieces of
# 8 (all of them must be there), then checked whole. No table, no trigger: PostgreSQL
# keeps the index. Why this and not pg_trgm: ADR 0023 in docs/adr/; figures:
# docs/performance.md.
PIECE_LENGTH = 8

# Both take text folded as the title search folds it (lower(), in title_search.py), so
# that folding stays in one place; the index is built on that same expression. Only
# built-in functions, found in pg_catalog whatever the search_path.
PIECES_FUNCTION = f"""
CREATE FUNCTION book_title_pieces(folded_title text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_to_tsvector(array(
        SELECT substr(folded_title, start, {PIECE_LENGTH})
        FROM generate_series(1, length(folded_title)) AS start
    ))
$$
"""

# The pieces a text must find: cut every 8 characters, the last piece ending where the text
# ends; a text shorter than 8 is one piece, matched as a prefix (`:*`). Each piece is
# written as a quoted tsquery lexeme, its quotes and backslashes doubled, so that no
# character of the text is taken for tsquery syntax.
QUERY_FUNCTION = rf"""
CREATE FUNCTION book_title_pieces_query(folded_text text) RETURNS tsquery
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT string_agg(
        '''' || replace(replace(piece, '\', '\\'), '''', '''''') || ''''
            || CASE WHEN length(piece) < {PIECE_LENGTH} THEN ':*' ELSE '' END,
        ' & '
    )::tsquery
    FROM (
        SELECT DISTINCT substr(
            folded_text,
            least(start, greatest(length(folded_text) - {PIECE_LENGTH - 1}, 1)),
            {PIECE_LENGTH}
        ) AS piece
        FROM generate_series(1, length(folded_text), {PIECE_LENGTH}) AS start
    ) AS pieces
$$
"""

# Updated in place, as the trigram indexes are (0008): no pending list for every search.
INDEX = (
    "CREATE INDEX ix_books_title_pieces ON books"
    " USING gin (book_title_pieces(lower(title))) WITH (fastupdate = off)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite reads its books in order, as it always did
    # Building the index holds writes to books back (readers go on) until the migration
    # commits: about a minute and a half at a million books.
    op.execute("DROP TRIGGER books_title_suffixes_truncate ON books")
    op.execute("DROP TRIGGER books_title_suffixes ON books")
    op.execute("DROP FUNCTION book_title_suffixes_follow_books()")
    op.execute("DROP TABLE book_title_suffixes")
    op.execute("DROP FUNCTION title_suffixes(text)")
    op.execute(PIECES_FUNCTION)
    op.execute(QUERY_FUNCTION)
    op.execute(INDEX)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_books_title_pieces")
    op.execute("DROP FUNCTION book_title_pieces_query(text)")
    op.execute("DROP FUNCTION book_title_pieces(text)")
    other_revision("0009").upgrade()  # the suffix table, filled from the titles, and its triggers
