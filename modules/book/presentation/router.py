"""Book's HTTP endpoints: translate HTTP to commands and queries, nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import StringConstraints

from modules.book.application.queries import BookFilter, BookOrder, BookQueries, BookView
from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook, CreateBookCommand
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook, UpdateBookCommand
from modules.book.domain.errors import BookNotFound
from modules.book.domain.value_objects import Isbn
from modules.book.presentation.schemas import (
    BookCreate,
    BookCursorQuery,
    BookListItem,
    BookOut,
    BookPatch,
    IsbnQuery,
    SortQuery,
    YearQuery,
)
from modules.kernel.paging import DEFAULT_LIMIT, no_key
from modules.platform.db.idempotency import IdempotencyStore
from modules.platform.http.conditional import (
    IfMatch,
    IfNoneMatch,
    tagged_page,
)
from modules.platform.http.dependencies import provide
from modules.platform.http.idempotency import IdempotencyKey, run_idempotently
from modules.platform.http.openapi import WRITE_PROBLEMS, problem_responses
from modules.platform.http.resources import Resource
from modules.platform.http.schemas import (
    IdPath,
    IdQuery,
    LimitQuery,
    PageOut,
    Storable,
    cursor_position,
    query_error,
)
from modules.platform.http.security import WriteClient

router = APIRouter(prefix="/books", tags=["books"])

Queries = Annotated[BookQueries, provide("book_queries")]


BOOK: Resource[BookView] = Resource(BookOut, BookNotFound)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BookOut,
    summary="Create a book",
    responses=problem_responses(400, 409, 413, 415, *WRITE_PROBLEMS),
)
async def create_book(
    request: Request,
    body: BookCreate,
    client: WriteClient,
    create: Annotated[CreateBook, provide("create_book")],
    queries: Queries,
    idempotency: Annotated[IdempotencyStore, provide("idempotency_store")],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Creates a book; each listed author then lists it too. A duplicate ISBN (in either
    ISBN-10 or ISBN-13 form) is a 409 naming the book that has it (`existing_id`,
    `existing_url`); unknown author ids are a 422 that names them."""

    return await run_idempotently(
        request,
        header=idempotency_key,
        client=client,
        body=body,
        store=idempotency,
        create=lambda: create(CreateBookCommand(**body.model_dump())),
        show=lambda book_id: BOOK.current(queries.get, book_id),
    )


@router.get(
    "/{book_id}",
    response_model=BookOut,
    summary="Get a book",
    responses=problem_responses(304, 400, 404, 422, 503),
)
async def get_book(
    book_id: IdPath, queries: Queries, if_none_match: IfNoneMatch = None
) -> Response:
    return await BOOK.get(queries.get, book_id, if_none_match)


def _storable_title(key: object) -> bool:
    # NUL and lone surrogates fit in JSON but not in PostgreSQL text (see Storable).
    return (
        isinstance(key, str)
        and len(key) <= 255
        and "\x00" not in key
        and not any("\ud800" <= c <= "\udfff" for c in key)
    )


# The sort keys a cursor may carry, in the columns' ranges: a value the database cannot
# bind is a malformed cursor, not an error of the database's.
_VALID_KEY = {
    "id": no_key,
    "title": _storable_title,
    "publication_year": lambda key: type(key) is int and -(1 << 31) <= key < 1 << 31,
    "price": lambda key: type(key) is int and -(1 << 63) <= key < 1 << 63,
}


@router.get(
    "",
    response_model=PageOut[BookListItem],
    summary="List books",
    responses=problem_responses(422, 503),
)
async def list_books(
    queries: Queries,
    cursor: BookCursorQuery = None,
    title: Annotated[
        Annotated[str, StringConstraints(max_length=255), Storable] | None,
        Query(
            description=(
                "A part of the title, ignoring case (full case folding, `STRASSE` finds"
                " `Straße`), surrounding spaces and how Unicode was typed (NFC or NFD)"
            ),
            examples=["darkness"],
        ),
    ] = None,
    author_id: Annotated[IdQuery | None, Query(description="Only books by this author")] = None,
    isbn: Annotated[
        IsbnQuery | None,
        Query(
            description=(
                "The book with this ISBN: ISBN-10 or ISBN-13, with or without hyphens or "
                "spaces (a page of one book, or an empty page)"
            ),
            examples=["0-441-47812-3"],
        ),
    ] = None,
    publication_year_min: Annotated[
        YearQuery | None,
        Query(description="Only books published in this year or later", examples=[1960]),
    ] = None,
    publication_year_max: Annotated[
        YearQuery | None,
        Query(description="Only books published in this year or earlier", examples=[1979]),
    ] = None,
    sort: SortQuery = BookOrder.ID,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Response:
    """Filters combine; an ISBN whose checksum fails is a 422 that says so, and so is a
    `publication_year_min` after `publication_year_max`."""
    if (
        publication_year_min is not None
        and publication_year_max is not None
        and publication_year_min > publication_year_max
    ):
        raise query_error(
            "publication_year_min",
            f"must not be after publication_year_max ({publication_year_min} >"
            f" {publication_year_max}): no book could match",
        )
    book_filter = BookFilter(
        title=title,
        author_id=author_id,
        isbn=Isbn(isbn) if isbn is not None else None,
        publication_year_min=publication_year_min,
        publication_year_max=publication_year_max,
    )
    after_key, after_id = cursor_position(
        cursor, order=sort, scope=book_filter.scope(), valid_key=_VALID_KEY[sort.field]
    )
    page = await queries.list(
        book_filter, after_id=after_id, limit=limit, order=sort, after_key=after_key
    )
    return tagged_page(BookOut, page)


@router.patch(
    "/{book_id}",
    response_model=BookOut,
    summary="Change a book",
    responses=problem_responses(400, 404, 409, 412, 413, 415, 428, *WRITE_PROBLEMS),
)
async def update_book(
    book_id: IdPath,
    body: BookPatch,
    _client: WriteClient,
    update: Annotated[UpdateBook, provide("update_book")],
    queries: Queries,
    if_match: IfMatch,
) -> Response:
    """With `If-Match`, the change applies only to the version the client has seen. A
    duplicate ISBN is a 409 naming the book that has it (`existing_id`, `existing_url`)."""
    return await BOOK.change(
        queries.get,
        book_id,
        if_match,
        lambda expected: update(
            UpdateBookCommand(
                book_id=book_id, expected_version=expected, **body.model_dump(exclude_unset=True)
            )
        ),
    )


@router.delete(
    "/{book_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a book",
    responses=problem_responses(400, 404, 412, 428, *WRITE_PROBLEMS),
)
async def delete_book(
    book_id: IdPath,
    _client: WriteClient,
    delete: Annotated[DeleteBook, provide("delete_book")],
    queries: Queries,
    if_match: IfMatch,
) -> None:
    """Deletes the book; its authors then no longer list it."""
    expected = await BOOK.expected_version(queries.get, book_id, if_match)
    await delete(book_id, expected_version=expected)


@router.post(
    "/{book_id}/authors/{author_id}",
    response_model=BookOut,
    summary="Add an author to a book",
    responses=problem_responses(400, 404, 409, 412, 428, *WRITE_PROBLEMS),
)
async def add_author(
    book_id: IdPath,
    author_id: IdPath,
    _client: WriteClient,
    add: Annotated[AddAuthorToBook, provide("add_author_to_book")],
    queries: Queries,
    if_match: IfMatch,
) -> Response:
    """404 for an unknown book or author, 409 if already an author; the author then lists
    the book (through the `AuthorAddedToBook` event)."""
    return await BOOK.change(
        queries.get,
        book_id,
        if_match,
        lambda expected: add(book_id, author_id, expected_version=expected),
    )


@router.delete(
    "/{book_id}/authors/{author_id}",
    response_model=BookOut,
    summary="Remove an author from a book",
    responses=problem_responses(400, 404, 412, 428, *WRITE_PROBLEMS),
)
async def remove_author(
    book_id: IdPath,
    author_id: IdPath,
    _client: WriteClient,
    remove: Annotated[RemoveAuthorFromBook, provide("remove_author_from_book")],
    queries: Queries,
    if_match: IfMatch,
) -> Response:
    return await BOOK.change(
        queries.get,
        book_id,
        if_match,
        lambda expected: remove(book_id, author_id, expected_version=expected),
    )
