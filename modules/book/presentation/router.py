"""Book's HTTP endpoints: translate HTTP to commands and queries, nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from modules.book.application.queries import BookFilter, BookQueries
from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook, CreateBookCommand
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook, UpdateBookCommand
from modules.book.domain.errors import BookNotFound
from modules.book.presentation.schemas import BookCreate, BookListItem, BookOut, BookPatch
from modules.platform.http.dependencies import provide
from modules.shared.application.paging import DEFAULT_LIMIT
from modules.shared.infrastructure.idempotency import IdempotencyStore
from modules.shared.presentation.conditional import (
    IfMatch,
    IfNoneMatch,
    not_modified_response,
    precondition,
    representation,
    tagged_page,
)
from modules.shared.presentation.idempotency import IdempotencyKey, run_idempotently
from modules.shared.presentation.problems import problem_responses
from modules.shared.presentation.schemas import (
    AfterIdFromCursor,
    IdPath,
    IdQuery,
    LimitQuery,
    PageOut,
    text,
)
from modules.shared.presentation.security import WriteClient

router = APIRouter(prefix="/books", tags=["books"])

Queries = Annotated[BookQueries, provide("book_queries")]
WRITE = (401, 403, 422, 503)


async def _current(queries: BookQueries, book_id: int) -> Response:
    """The book as the read side has it now, as JSON with its ETag."""
    view = await queries.get(book_id)
    if view is None:
        raise BookNotFound(book_id)
    return representation(BookOut.model_validate(view), view.version)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=BookOut,
    summary="Create a book",
    responses=problem_responses(400, 409, 413, 415, *WRITE),
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
        show=lambda book_id: _current(queries, book_id),
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
    current = await _current(queries, book_id)
    return not_modified_response(if_none_match, current) or current


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
        text(max_length=255) | None,
        Query(description="Case-insensitive substring of the title"),
    ] = None,
    author_id: Annotated[IdQuery | None, Query(description="Only books by this author")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Response:
    page = await queries.list(
        BookFilter(title=title, author_id=author_id), after_id=after_id, limit=limit
    )
    return tagged_page(BookOut, page)


@router.patch(
    "/{book_id}",
    response_model=BookOut,
    summary="Change a book",
    responses=problem_responses(400, 404, 409, 412, 413, 415, 428, *WRITE),
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
    expected = await precondition(if_match, lambda: _current(queries, book_id))
    await update(
        UpdateBookCommand(
            book_id=book_id, expected_version=expected, **body.model_dump(exclude_unset=True)
        )
    )
    return await _current(queries, book_id)


@router.delete(
    "/{book_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a book",
    responses=problem_responses(400, 404, 412, 428, *WRITE),
)
async def delete_book(
    book_id: IdPath,
    _client: WriteClient,
    delete: Annotated[DeleteBook, provide("delete_book")],
    queries: Queries,
    if_match: IfMatch,
) -> None:
    """Deletes the book; its authors then no longer list it."""
    await delete(
        book_id, expected_version=await precondition(if_match, lambda: _current(queries, book_id))
    )


@router.post(
    "/{book_id}/authors/{author_id}",
    response_model=BookOut,
    summary="Add an author to a book",
    responses=problem_responses(400, 404, 409, 412, 428, *WRITE),
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
    expected = await precondition(if_match, lambda: _current(queries, book_id))
    await add(book_id, author_id, expected_version=expected)
    return await _current(queries, book_id)


@router.delete(
    "/{book_id}/authors/{author_id}",
    response_model=BookOut,
    summary="Remove an author from a book",
    responses=problem_responses(400, 404, 412, 428, *WRITE),
)
async def remove_author(
    book_id: IdPath,
    author_id: IdPath,
    _client: WriteClient,
    remove: Annotated[RemoveAuthorFromBook, provide("remove_author_from_book")],
    queries: Queries,
    if_match: IfMatch,
) -> Response:
    expected = await precondition(if_match, lambda: _current(queries, book_id))
    await remove(book_id, author_id, expected_version=expected)
    return await _current(queries, book_id)
