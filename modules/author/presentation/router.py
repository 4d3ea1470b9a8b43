"""Author's HTTP endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from modules.author.application.queries import AuthorFilter, AuthorQueries
from modules.author.application.use_cases.create_author import CreateAuthor, CreateAuthorCommand
from modules.author.application.use_cases.delete_author import DeleteAuthor
from modules.author.application.use_cases.update_author import UpdateAuthor, UpdateAuthorCommand
from modules.author.domain.errors import AuthorNotFound
from modules.author.presentation.schemas import AuthorCreate, AuthorOut, AuthorPatch
from modules.container import Container, provide
from modules.shared.application.paging import DEFAULT_LIMIT
from modules.shared.presentation.problems import problem_responses
from modules.shared.presentation.schemas import (
    AfterIdFromCursor,
    IdPath,
    LimitQuery,
    PageOut,
    SafeStr,
)

router = APIRouter(prefix="/authors", tags=["authors"])

Queries = Annotated[AuthorQueries, provide(Container.author_queries)]


async def _read(queries: AuthorQueries, author_id: int) -> AuthorOut:
    view = await queries.get(author_id)
    if view is None:
        raise AuthorNotFound(author_id)
    return AuthorOut.model_validate(view)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create an author",
    responses=problem_responses(413, 422, 503),
)
async def create_author(
    body: AuthorCreate,
    response: Response,
    create: Annotated[CreateAuthor, provide(Container.create_author)],
    queries: Queries,
) -> AuthorOut:
    author_id = await create(CreateAuthorCommand(**body.model_dump()))
    response.headers["Location"] = f"/authors/{author_id}"
    return await _read(queries, author_id)


@router.get("/{author_id}", summary="Get an author", responses=problem_responses(404, 422, 503))
async def get_author(author_id: IdPath, queries: Queries) -> AuthorOut:
    """The author with the books it is an author of."""
    return await _read(queries, author_id)


@router.get("", summary="List authors", responses=problem_responses(422, 503))
async def list_authors(
    queries: Queries,
    after_id: AfterIdFromCursor,
    name: Annotated[
        SafeStr | None,
        Query(max_length=100, description="Case-insensitive substring of first or last name"),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> PageOut[AuthorOut]:
    page = await queries.list(AuthorFilter(name=name), after_id=after_id, limit=limit)
    return PageOut[AuthorOut](
        items=[AuthorOut.model_validate(v) for v in page.items], next_cursor=page.next_cursor
    )


@router.patch(
    "/{author_id}",
    summary="Change an author",
    responses=problem_responses(404, 413, 422, 503),
)
async def update_author(
    author_id: IdPath,
    body: AuthorPatch,
    update: Annotated[UpdateAuthor, provide(Container.update_author)],
    queries: Queries,
) -> AuthorOut:
    await update(
        UpdateAuthorCommand(
            author_id=author_id,
            **body.model_dump(exclude_unset=True),
            fields_set=frozenset(body.model_fields_set),
        )
    )
    return await _read(queries, author_id)


@router.delete(
    "/{author_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an author",
    responses=problem_responses(404, 409, 422, 503),
)
async def delete_author(
    author_id: IdPath, delete: Annotated[DeleteAuthor, provide(Container.delete_author)]
) -> None:
    """Refused with 409 while the author is still an author of any book."""
    await delete(author_id)
