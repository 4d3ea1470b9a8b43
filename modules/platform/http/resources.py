"""The HTTP mechanics every aggregate's endpoints share: its current representation with
an ETag, 304 for a client that has it, and a change that honours If-Match."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from fastapi import Response
from pydantic import BaseModel

from modules.platform.http.conditional import (
    not_modified_response,
    precondition,
    representation,
)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)
Read = Callable[[int], Awaitable[V | None]]


class Resource(Generic[V]):
    """One kind of aggregate over HTTP: `schema` renders its read-side view, `not_found`
    is the error for an id that names none."""

    def __init__(self, schema: type[BaseModel], not_found: Callable[[int], Exception]) -> None:
        self._schema = schema
        self._not_found = not_found

    async def current(self, read: Read[V], id_: int) -> Response:
        """As the read side has it now, as JSON with its ETag."""
        view = await read(id_)
        if view is None:
            raise self._not_found(id_)
        return representation(self._schema.model_validate(view), view.version)

    async def get(self, read: Read[V], id_: int, if_none_match: str | None) -> Response:
        current = await self.current(read, id_)
        return not_modified_response(if_none_match, current) or current

    async def expected_version(self, read: Read[V], id_: int, if_match: str | None) -> int | None:
        """The version a change may apply to (412 if If-Match is stale); None without it."""
        return await precondition(if_match, lambda: self.current(read, id_))

    async def change(
        self,
        read: Read[V],
        id_: int,
        if_match: str | None,
        write: Callable[[int | None], Awaitable[object]],
    ) -> Response:
        """`write(expected_version)` - None without If-Match - then the new representation."""
        await write(await self.expected_version(read, id_, if_match))
        return await self.current(read, id_)
