"""Author's HTTP endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import StringConstraints

from modules.author.application.queries import AuthorFilter, AuthorQueries, AuthorView
from modules.author.application.use_cases.create_author import CreateAuthor, CreateAuthorCommand
from modules.author.application.use_cases.delete_author import DeleteAuthor
from modules.author.application.use_cases.update_author import UpdateAuthor, UpdateAuthorCommand
from modules.author.domain.errors import AuthorNotFound
from modules.author.presentation.schemas import (
    AuthorCreate,
    AuthorListItem,
    AuthorOut,
    AuthorPatch,
    ExactName,
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
    CursorQuery,
    IdPath,
    LimitQuery,
    PageOut,
    Storable,
    cursor_position,
)
from modules.platform.http.security import WriteClient

router = APIRouter(prefix="/authors", tags=["authors"])

Queries = Annotated[AuthorQueries, provide("author_queries")]


AUTHOR: Resource[AuthorView] = Resource(AuthorOut, AuthorNotFound)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AuthorOut,
    summary="Create an author",
    responses=problem_responses(400, 409, 413, 415, *WRITE_PROBLEMS),
)
async def create_author(
    request: Request,
    body: AuthorCreate,
    client: WriteClient,
    create: Annotated[CreateAuthor, provide("create_author")],
    queries: Queries,
    idempotency: Annotated[IdempotencyStore, provide("idempotency_store")],
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await run_idempotently(
        request,
        header=idempotency_key,
        client=client,
        body=body,
        store=idempotency,
        create=lambda: create(CreateAuthorCommand(**body.model_dump())),
        show=lambda author_id: AUTHOR.current(queries.get, author_id),
    )


@router.get(
    "/{author_id}",
    response_model=AuthorOut,
    summary="Get an author",
    responses=problem_responses(304, 400, 404, 422, 503),
)
async def get_author(
    author_id: IdPath, queries: Queries, if_none_match: IfNoneMatch = None
) -> Response:
    """The author with the books it is an author of."""
    return await AUTHOR.get(queries.get, author_id, if_none_match)


@router.get(
    "",
    response_model=PageOut[AuthorListItem],
    summary="List authors",
    responses=problem_responses(422, 503),
)
async def list_authors(
    queries: Queries,
    cursor: CursorQuery = None,
    name: Annotated[
        Annotated[str, StringConstraints(max_length=100), Storable] | None,
        Query(
            description=(
                "A part of the first or last name, ignoring case (full case folding) and"
                " how Unicode was typed; several words are a part of the full name in either"
                " order (`Haruki Murakami`, `Murakami Haruki`)"
            ),
            examples=["Murakami"],
        ),
    ] = None,
    first_name: Annotated[
        ExactName | None,
        Query(
            description="Exactly this first name, ignoring case and surrounding spaces",
            examples=["Haruki"],
        ),
    ] = None,
    last_name: Annotated[
        ExactName | None,
        Query(
            description="Exactly this last name, ignoring case and surrounding spaces",
            examples=["Murakami"],
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
) -> Response:
    """Filters combine: `first_name` and `last_name` together ask whether an author exists."""
    author_filter = AuthorFilter(name=name, first_name=first_name, last_name=last_name)
    _, after_id = cursor_position(cursor, order="id", scope=author_filter.scope())
    page = await queries.list(author_filter, after_id=after_id, limit=limit)
    return tagged_page(AuthorOut, page)


@router.patch(
    "/{author_id}",
    response_model=AuthorOut,
    summary="Change an author",
    responses=problem_responses(400, 404, 412, 413, 415, 428, *WRITE_PROBLEMS),
)
async def update_author(
    author_id: IdPath,
    body: AuthorPatch,
    _client: WriteClient,
    update: Annotated[UpdateAuthor, provide("update_author")],
    queries: Queries,
    if_match: IfMatch,
) -> Response:
    """With `If-Match`, the change applies only to the version the client has seen."""
    return await AUTHOR.change(
        queries.get,
        author_id,
        if_match,
        lambda expected: update(
            UpdateAuthorCommand(
                author_id=author_id,
                expected_version=expected,
                fields_set=frozenset(body.model_fields_set),
                **body.model_dump(exclude_unset=True),
            )
        ),
    )


@router.delete(
    "/{author_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an author",
    responses=problem_responses(400, 404, 409, 412, 428, *WRITE_PROBLEMS),
)
async def delete_author(
    author_id: IdPath,
    _client: WriteClient,
    delete: Annotated[DeleteAuthor, provide("delete_author")],
    queries: Queries,
    if_match: IfMatch,
) -> None:
    """Refused with 409 while the author is still an author of any book."""
    expected = await AUTHOR.expected_version(queries.get, author_id, if_match)
    await delete(author_id, expected_version=expected)
