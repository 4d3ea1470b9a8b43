from __future__ import annotations

from dataclasses import dataclass

from modules.author.application.unit_of_work import AuthorUnitOfWork
from modules.author.domain.author import Author
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName


@dataclass(frozen=True, slots=True)
class CreateAuthorCommand:
    first_name: str
    last_name: str
    age: int
    biography: str | None = None


class CreateAuthor:
    def __init__(self, uow: AuthorUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: CreateAuthorCommand) -> int:
        author = Author.create(
            first_name=FirstName(command.first_name),
            last_name=LastName(command.last_name),
            age=Age(command.age),
            biography=Biography(command.biography) if command.biography is not None else None,
        )
        async with self._uow as uow:
            uow.authors.add(author)
            await uow.commit()
        return author.id
