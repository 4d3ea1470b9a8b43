"""title suffix index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 01:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A title search for a text that a page's walk does not answer asked the trigram index,
# which returns every title holding the text's trigrams, unordered: each is fetched from
# the table and sorted. That grows with the catalogue for a text made of common parts
# ("of the sea").
#
# A text is in a title exactly when it starts one of the title's suffixes. So this keeps
# every suffix of every title (lower case, cut to SUFFIX_LENGTH characters) in a B-tree
# beside the book's id: a search is one range scan that reads the matching ids and
# nothing else (`suffix >= 'of the sea' AND suffix < 'of the sea' + U+10FFFF...`), after
# which only the page's books are read. The C collation orders by code point, which is
# what makes "starts with" a range. The price: a row per character of each title and as
# many index writes per insert (figures: docs/performance.md). The trigger keeps it in
# step with books in the same transaction, so no code writing books can forget it. It
# replaces the title's trigram index (0007). Why this index: ADR 0009 in docs/adr/.
SUFFIX_LENGTH = 32

# lower() may lengthen a text (under an ICU collation "İ" becomes "i" and a combining
# dot): the suffixes are those of the lowered title, counted in its own characters. Both
# functions keep the migration's search_path, not that of whichever session writes books.
SUFFIXES_FUNCTION = f"""
CREATE FUNCTION title_suffixes(title text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path FROM CURRENT AS $$
    SELECT DISTINCT left(substr(lowered.title, start), {SUFFIX_LENGTH})
    FROM (SELECT lower(title) AS title) AS lowered,
         generate_series(1, length(lowered.title)) AS start
$$
"""

# OLD.id for the rows to delete, NEW.id for those to add: ids never change, but the
# trigger does not need to know that. TRUNCATE fires no row trigger: it has its own.
TRIGGER_FUNCTION = """
CREATE FUNCTION book_title_suffixes_follow_books() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        TRUNCATE book_title_suffixes;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM book_title_suffixes
        WHERE book_id = OLD.id AND suffix IN (SELECT title_suffixes(OLD.title));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO book_title_suffixes (suffix, book_id)
        SELECT suffix, NEW.id FROM title_suffixes(NEW.title) AS suffix;
    END IF;
    RETURN NULL;
END
$$
"""

TITLE_TRIGRAMS = (
    "CREATE INDEX IF NOT EXISTS ix_books_title_without_spaces_trgm ON books"
    " USING gin (replace(lower(title), ' ', '') gin_trgm_ops) WITH (fastupdate = off)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite reads its books in order, as it always did
    # A search's range ends with U+10FFFF, the last code point, which only UTF-8 (the
    # default) can hold: refuse here rather than fail every title search later. In SQL,
    # so that `alembic upgrade --sql` writes the check into its script too.
    op.execute(
        """
        DO $$
        BEGIN
            IF pg_encoding_to_char((SELECT encoding FROM pg_database
                                    WHERE datname = current_database())) <> 'UTF8' THEN
                RAISE EXCEPTION 'the title search needs a UTF8 database';
            END IF;
        END
        $$
        """
    )
    # No book may be written between the copy of the existing titles and the trigger that
    # takes over: the lock holds writers back (readers go on) until the migration commits.
    # At a million books the copy and the key's build take about a minute. The last step,
    # dropping the trigram index, holds readers back too, for the moment to commit.
    op.execute("LOCK TABLE books IN SHARE ROW EXCLUSIVE MODE")
    op.execute(
        "CREATE TABLE book_title_suffixes"
        ' (suffix text COLLATE "C" NOT NULL, book_id bigint NOT NULL)'
    )
    op.execute(SUFFIXES_FUNCTION)
    op.execute(TRIGGER_FUNCTION)
    op.execute(
        "INSERT INTO book_title_suffixes (suffix, book_id)"
        " SELECT suffix, books.id FROM books, title_suffixes(books.title) AS suffix"
    )
    # Built once over all the rows: quicker than a row at a time during the copy.
    op.execute(
        "ALTER TABLE book_title_suffixes"
        " ADD CONSTRAINT pk_book_title_suffixes PRIMARY KEY (suffix, book_id)"
    )
    op.execute(
        "CREATE TRIGGER books_title_suffixes"
        " AFTER INSERT OR DELETE OR UPDATE OF title, id ON books"
        " FOR EACH ROW EXECUTE FUNCTION book_title_suffixes_follow_books()"
    )
    op.execute(
        "CREATE TRIGGER books_title_suffixes_truncate AFTER TRUNCATE ON books"
        " FOR EACH STATEMENT EXECUTE FUNCTION book_title_suffixes_follow_books()"
    )
    op.execute("DROP INDEX IF EXISTS ix_books_title_without_spaces_trgm")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(TITLE_TRIGRAMS)
    op.execute("DROP TRIGGER books_title_suffixes_truncate ON books")
    op.execute("DROP TRIGGER books_title_suffixes ON books")
    op.execute("DROP FUNCTION book_title_suffixes_follow_books()")
    op.execute("DROP TABLE book_title_suffixes")
    op.execute("DROP FUNCTION title_suffixes(text)")
