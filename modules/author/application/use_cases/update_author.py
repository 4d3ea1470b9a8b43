from __future__ import annotations

from dataclasses import dataclass, field

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.author.domain.errors import AuthorNotFound
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName


@dataclass(frozen=True, slots=True)
class UpdateAuthorCommand:
    author_id: int
    first_name: str | None = None
    last_name: str | None = None
    age: int | None = None
    biography: str | None = None
    # PATCH semantics: biography=None means "clear it" only when the client sent it.
    fields_set: frozenset[str] = field(default_factory=frozenset)
    expected_version: int | None = None  # from If-Match


class UpdateAuthor:
    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: UpdateAuthorCommand) -> None:
        changes: dict[str, object] = {}
        if command.first_name is not None:
            changes["first_name"] = FirstName(command.first_name)
        if command.last_name is not None:
            changes["last_name"] = LastName(command.last_name)
        if command.age is not None:
            changes["age"] = Age(command.age)
        if "biography" in command.fields_set:
            changes["biography"] = (
                Biography(command.biography) if command.biography is not None else None
            )
        async with self._uow as uow:
            author = await uow.authors.get(command.author_id, for_update=True)
            if author is None:
                raise AuthorNotFound(command.author_id)
            author.expect_version(command.expected_version)
            if author.revise(**changes):  # type: ignore[arg-type]  # built per field above
                await uow.commit()
