"""Book's HTTP endpoints: translate HTTP to commands and queries, nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from modules.book.application.queries import BookFilter, BookQueries
from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook, CreateBookCommand
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook, UpdateBookCommand
from modules.book.domain.errors import BookNotFound
from modules.book.presentation.schemas import BookCreate, BookOut, BookPatch
from modules.container import Container, provide
from modules.shared.application.paging import DEFAULT_LIMIT
from modules.shared.presentation.problems import problem_responses
from modules.shared.presentation.schemas import (
    MAX_ID,
    AfterIdFromCursor,
    IdPath,
    LimitQuery,
    PageOut,
    SafeStr,
)

router = APIRouter(prefix="/books", tags=["books"])

Queries = Annotated[BookQueries, provide(Container.book_queries)]


async def _read(queries: BookQueries, book_id: int) -> BookOut:
    view = await queries.get(book_id)
    if view is None:  # deleted between our write and this read
        raise BookNotFound(book_id)
    return BookOut.model_validate(view)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a book",
    responses=problem_responses(409, 413, 422, 503),
)
async def create_book(
    body: BookCreate,
    response: Response,
    create: Annotated[CreateBook, provide(Container.create_book)],
    queries: Queries,
) -> BookOut:
    """Creates a book; each listed author then lists it too. A duplicate ISBN (in either
    ISBN-10 or ISBN-13 form) is a 409; unknown author ids are a 422 that names them."""
    book_id = await create(CreateBookCommand(**body.model_dump()))
    response.headers["Location"] = f"/books/{book_id}"
    return await _read(queries, book_id)


@router.get("/{book_id}", summary="Get a book", responses=problem_responses(404, 422, 503))
async def get_book(book_id: IdPath, queries: Queries) -> BookOut:
    return await _read(queries, book_id)


@router.get("", summary="List books", responses=problem_responses(422, 503))
async def list_books(
    queries: Queries,
    after_id: AfterIdFromCursor,
    title: Annotated[
        SafeStr | None,
        Query(max_length=255, description="Case-insensitive substring of the title"),
    ] = None,
    author_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only books by this author")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> PageOut[BookOut]:
    page = await queries.list(
        BookFilter(title=title, author_id=author_id), after_id=after_id, limit=limit
    )
    return PageOut[BookOut](
        items=[BookOut.model_validate(v) for v in page.items], next_cursor=page.next_cursor
    )


@router.patch(
    "/{book_id}", summary="Change a book", responses=problem_responses(404, 409, 413, 422, 503)
)
async def update_book(
    book_id: IdPath,
    body: BookPatch,
    update: Annotated[UpdateBook, provide(Container.update_book)],
    queries: Queries,
) -> BookOut:
    await update(UpdateBookCommand(book_id=book_id, **body.model_dump(exclude_unset=True)))
    return await _read(queries, book_id)


@router.delete(
    "/{book_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a book",
    responses=problem_responses(404, 422, 503),
)
async def delete_book(
    book_id: IdPath, delete: Annotated[DeleteBook, provide(Container.delete_book)]
) -> None:
    """Deletes the book; its authors then no longer list it."""
    await delete(book_id)


@router.post(
    "/{book_id}/authors/{author_id}",
    summary="Add an author to a book",
    responses=problem_responses(404, 409, 422, 503),
)
async def add_author(
    book_id: IdPath,
    author_id: IdPath,
    add: Annotated[AddAuthorToBook, provide(Container.add_author_to_book)],
    queries: Queries,
) -> BookOut:
    """404 for an unknown book or author, 409 if already an author; the author then lists
    the book (through the `AuthorAddedToBook` event)."""
    await add(book_id, author_id)
    return await _read(queries, book_id)


@router.delete(
    "/{book_id}/authors/{author_id}",
    summary="Remove an author from a book",
    responses=problem_responses(404, 422, 503),
)
async def remove_author(
    book_id: IdPath,
    author_id: IdPath,
    remove: Annotated[RemoveAuthorFromBook, provide(Container.remove_author_from_book)],
    queries: Queries,
) -> BookOut:
    await remove(book_id, author_id)
    return await _read(queries, book_id)
