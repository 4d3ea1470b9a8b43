"""Book's title search: a page of books whose title contains a text, in id order."""

from __future__ import annotations

import sys
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Column,
    ColumnElement,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    func,
    literal_column,
    not_,
    or_,
    select,
    union_all,
)

from modules.book.infrastructure.tables import books
from modules.platform.db.sql import contains_ignoring_case

# How many books, in id order, a title search reads before it turns to the title index.
# A word in one title of a hundred fills a page of 20 within about 2,000 books, so the
# walk answers the common words; rarer ones have few matches, which the index finds fast.
TITLE_WALK_BOOKS = 5000

# On PostgreSQL, every suffix of every title, lower case and cut to TITLE_SUFFIX_LENGTH
# characters, beside the book's id: a B-tree kept by a trigger (migration 0009). A text
# is in a title exactly when it starts one of the title's suffixes. Like author_names, it
# hangs on a MetaData of its own: no code of ours writes it.
book_title_suffixes = Table(
    "book_title_suffixes",
    MetaData(),
    Column("suffix", String),
    Column("book_id", BigInteger),
)
TITLE_SUFFIX_LENGTH = 32  # migration 0009's SUFFIX_LENGTH


def _suffixes_starting_with(text: BindParameter[str]) -> tuple[ColumnElement[bool], ...]:
    """`book_title_suffixes.suffix` starts with `text` - lowered and cut short, as the
    table keeps its suffixes - written as a range of the B-tree: the suffixes are in code
    point order (collation "C") and none is longer than TITLE_SUFFIX_LENGTH, so those
    starting with a prefix lie between the prefix and the prefix followed by more of the
    last code point than any suffix has room for. The database computes it, with the
    lower() that made the suffixes."""
    # Constants are written into the SQL: the statement's only parameter is the text.
    prefix = func.left(func.lower(text), literal_column(str(TITLE_SUFFIX_LENGTH)))
    last_code_point = func.chr(literal_column(str(sys.maxunicode)))
    beyond = prefix.op("||")(
        func.repeat(last_code_point, literal_column(str(TITLE_SUFFIX_LENGTH + 1)))
    )
    suffix = book_title_suffixes.c.suffix
    return suffix >= prefix, suffix < beyond


def title_page(*, after: bool, suffix_index: bool) -> Select[Any]:
    """A page of books whose title contains a text, in id order, at a cost that does not
    grow with the catalogue.

    There are two ways to find it, and each fails where the other works. Walking the books
    in id order and keeping the matches stops after a page of matches: quick for a common
    word, a read of the whole table for a rare one. An index finds every match, which
    must then be sorted: quick for a rare text, but a common word matches 1 % of a million
    books. PostgreSQL cannot estimate how common a substring is, and often picks the
    wrong one. So the statement does both, in order: it
    walks TITLE_WALK_BOOKS books and, only if they hold less than a page and are not the
    last books there are, asks the index (the MATERIALIZED fence keeps the planner from
    turning that back into a walk of the whole table). The walk's matches are the first
    ones after the cursor, so either way the page is exactly what `ORDER BY id LIMIT n`
    over all matches would return.

    The index, on PostgreSQL (`suffix_index`), is the titles' suffixes: one range scan
    reads the ids of the titles holding the text, and nothing else; then only the books
    of the page are read, with the exact condition (which only a text longer than the
    suffixes needs). Elsewhere the books are read in order to the end.
    """
    walk = select(books.c.id, books.c.title).order_by(books.c.id).limit(bindparam("walk"))
    if suffix_index:
        matches = (
            select(book_title_suffixes.c.book_id.label("id"))
            .distinct()  # a text may start two suffixes of one title
            .where(*_suffixes_starting_with(bindparam("title", type_=String())))
        )
        matched_id = book_title_suffixes.c.book_id
    else:
        matches = select(books.c.id).where(contains_ignoring_case(books.c.title, "title_pattern"))
        matched_id = books.c.id
    if after:
        walk = walk.where(books.c.id > bindparam("after_id"))
        matches = matches.where(matched_id > bindparam("after_id"))
    walked_books = walk.subquery("walked_books")
    walked = (
        select(walked_books.c.id)
        .where(contains_ignoring_case(walked_books.c.title, "title_pattern"))
        .order_by(walked_books.c.id)
        .limit(bindparam("limit"))
        .cte("walked")
    )
    walk_found = select(func.count()).select_from(walked).scalar_subquery()
    # A walk that could read fewer books than it may has come to the last book: its
    # matches are all there are, and the last pages of a common word's search need no
    # index. The walk's books are counted by their key alone, and only when it found less
    # than a page: PostgreSQL runs such a subquery when it first needs its value.
    walk_reach = walk.with_only_columns(books.c.id).subquery()
    walk_read = select(func.count()).select_from(walk_reach).scalar_subquery()
    answered = or_(walk_found >= bindparam("limit"), walk_read < bindparam("walk"))
    walk_answers = (  # worked out once for the two places that ask
        select(select(answered.label("answered")).cte("walk_answers").c.answered)
    ).scalar_subquery()
    indexed = (
        matches.where(not_(walk_answers))  # the index is not read at all else
        .cte("indexed")
        .prefix_with("MATERIALIZED")
    )
    if suffix_index:
        # The exact condition, on as few books as it takes to fill the page: the matches
        # in id order (OFFSET 0 keeps the condition out of the sort, which would then
        # need it on every match), each book looked up by a subquery of its own (which,
        # unlike a join, the planner cannot turn into a walk of the whole table), and
        # LIMIT stops the lookups once the page is full.
        in_order = (
            select(indexed.c.id).order_by(indexed.c.id).offset(literal_column("0")).subquery()
        )
        title_matches = (
            select(contains_ignoring_case(books.c.title, "title_pattern"))
            .where(books.c.id == in_order.c.id)
            .scalar_subquery()
        )
        first_indexed = select(in_order.c.id).where(title_matches).order_by(in_order.c.id)
    else:
        first_indexed = select(indexed.c.id).order_by(indexed.c.id)
    first_indexed_cte = first_indexed.limit(bindparam("limit")).cte("first_indexed")
    chosen = union_all(
        select(walked.c.id).where(walk_answers),
        select(first_indexed_cte.c.id),
    ).subquery("chosen")
    return (
        select(books)
        .join(chosen, chosen.c.id == books.c.id)
        .order_by(books.c.id)
        .limit(bindparam("limit"))
    )
