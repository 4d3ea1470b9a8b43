"""Book's title search: a page of books whose title contains a text, in any order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    func,
    not_,
    or_,
    select,
    union_all,
)

from modules.book.application.queries import BookOrder
from modules.book.infrastructure.orders import SORT_COLUMNS, after_cursor, ordered
from modules.book.infrastructure.tables import books
from modules.platform.db.sql import holds

# How many books, in the page's order, a title search reads before it turns to the index.
# A word in one title of a hundred fills a page of 20 within about 2,000 books, so the
# walk answers the common words; rarer ones have few matches, which the index finds fast.
TITLE_WALK_BOOKS = 5000

# On PostgreSQL, a GIN index over each folded title's pieces: the TITLE_PIECE_LENGTH
# characters that start at each of its characters (migration 0014 defines the functions,
# 0015 builds the index on the folded titles).
TITLE_PIECE_LENGTH = 8  # migration 0014's PIECE_LENGTH


def title_contains(folded_title: ColumnElement[str]) -> ColumnElement[bool]:
    """The exact condition: the folded title holds the folded text, whose LIKE pattern
    (made by `containing`, wildcards escaped with a backslash) is the parameter
    `title_pattern`. Both sides are folded in Python (kernel.text.folded, ADR 0024)."""
    return holds(folded_title, "title_pattern")


def _holds_the_pieces() -> ColumnElement[bool]:
    """The books whose title has every piece of the folded text (the parameter `title`), as
    migration 0015's index is built: `book_title_pieces(title_folded)`. The text's pieces
    are made by the database from the parameter, so a generic plan still uses the index."""
    text = bindparam("title", type_=String())
    pieces = func.book_title_pieces(books.c.title_folded)
    return pieces.op("@@")(func.book_title_pieces_query(text))


def title_page(*, order: BookOrder, after: bool, title_index: bool) -> Select[Any]:
    """A page of books whose title contains a text, in `order`, at a cost that does not
    grow with the catalogue.

    There are two ways to find it, and each fails where the other works. Walking the books
    in order (along the order's index) and keeping the matches stops after a page of
    matches: quick for a common word, a read of the whole table for a rare one. An index
    finds every match, which must then be sorted: quick for a rare text, but a common word
    matches 1 % of a million books. PostgreSQL cannot estimate how common a substring is,
    and often picks the wrong one. So the statement does both, in order: it walks
    TITLE_WALK_BOOKS books and, only if they hold less than a page and are not the last
    books there are, asks the index (the MATERIALIZED fence keeps the planner from turning
    that back into a walk of the whole table). The walk's matches are the first ones after
    the cursor, so either way the page is exactly what `ORDER BY ... LIMIT n` over all
    matches would return.

    The index, on PostgreSQL (`title_index`), is the folded titles' pieces: it finds the
    books holding every piece of the text, which are then checked whole and sorted.
    Elsewhere the books are read in order to the end.
    """
    # What the walk and the sort read of each book: its id, folded title and sort key.
    names = dict.fromkeys(["id", "title_folded", SORT_COLUMNS[order.field]])
    walk = (
        select(*(books.c[name] for name in names))
        .order_by(*ordered(books.c, order))
        .limit(bindparam("walk"))
    )
    matches = select(*(books.c[name] for name in names)).where(title_contains(books.c.title_folded))
    if title_index:
        matches = matches.where(_holds_the_pieces())
    if after:
        walk = walk.where(after_cursor(order))
        matches = matches.where(after_cursor(order))
    walked_books = walk.subquery("walked_books")
    walked = (
        select(walked_books)
        .where(title_contains(walked_books.c.title_folded))
        .order_by(*ordered(walked_books.c, order))
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
    first_indexed = (
        select(indexed.c.id)
        .order_by(*ordered(indexed.c, order))
        .limit(bindparam("limit"))
        .cte("first_indexed")
    )
    chosen = union_all(
        select(walked.c.id).where(walk_answers),
        select(first_indexed.c.id),
    ).subquery("chosen")
    return (
        select(books)
        .join(chosen, chosen.c.id == books.c.id)
        .order_by(*ordered(books.c, order))
        .limit(bindparam("limit"))
    )
