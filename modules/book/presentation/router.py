"""Book's HTTP endpoints: translate HTTP to commands and queries, nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import StringConstraints

from modules.book.application.queries import BookFilter, BookQueries, BookView
from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook, CreateBookCommand
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook, UpdateBookCommand
from modules.book.domain.errors import BookNotFound
from modules.book.domain.value_objects import Isbn
from modules.book.presentation.schemas import (
    BookCreate,
    BookListItem,
    BookOut,
    BookPatch,
    IsbnQuery,
)
from modules.kernel.paging import DEFAULT_LIMIT
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
    AfterIdFromCursor,
    IdPath,
    IdQuery,
    LimitQuery,
    PageOut,
    Storable,
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


@router.get(
    "",
    response_model=PageOut[BookListItem],
    summary="List books",
    responses=problem_responses(422, 503),
)
async def list_books(
    queries: Queries,
    after_id: AfterIdFromCursor,
    title: Annotated[
        Annotated[str, StringConstraints(max_length=255), Storable] | None,
        Query(description="Case-insensitive substring of the title"),
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
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Response:
    """Filters combine; an ISBN whose checksum fails is a 422 that says so."""
    book_filter = BookFilter(
        title=title, author_id=author_id, isbn=Isbn(isbn) if isbn is not None else None
    )
    page = await queries.list(book_filter, after_id=after_id, limit=limit)
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
