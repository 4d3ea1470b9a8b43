"""Author's use cases against in-memory ports: no database."""

from __future__ import annotations

import pytest

from modules.author.application.use_cases.create_author import CreateAuthor, CreateAuthorCommand
from modules.author.application.use_cases.delete_author import DeleteAuthor
from modules.author.application.use_cases.update_author import UpdateAuthor, UpdateAuthorCommand
from modules.author.domain.author import Author
from modules.author.domain.errors import AuthorHasBooks, AuthorNotFound
from modules.author.domain.events import AuthorDeleted
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName
from modules.kernel.errors import InvalidValue, VersionMismatch
from tests.unit.fakes import AuthorData, FakeAuthorUnitOfWork


def stored_author(uow: FakeAuthorUnitOfWork, *, book_ids: tuple[int, ...] = ()) -> Author:
    author = Author.create(
        first_name=FirstName("Ursula"),
        last_name=LastName("Le Guin"),
        age=Age(88),
        biography=Biography("Earthsea"),
    )
    for version, book_id in enumerate(book_ids, start=1):
        author.add_book(book_id, as_of_book_version=version)
    uow.data.authors[author.id] = author
    return author


@pytest.fixture
def uow() -> FakeAuthorUnitOfWork:
    return FakeAuthorUnitOfWork(AuthorData())


# --- CreateAuthor -------------------------------------------------------------------------
async def test_create_author_stores_the_author_and_returns_its_id(
    uow: FakeAuthorUnitOfWork,
) -> None:
    author_id = await CreateAuthor(uow)(
        CreateAuthorCommand(first_name=" Ursula ", last_name="Le Guin", age=88)
    )
    stored = uow.data.authors[author_id]
    assert (stored.first_name, stored.last_name, stored.age) == (
        FirstName("Ursula"),
        LastName("Le Guin"),
        Age(88),
    )
    assert stored.biography is None and stored.version == 1
    assert uow.publisher.events == []  # creating an author tells nobody


async def test_create_author_refuses_an_invalid_value_and_stores_nothing(
    uow: FakeAuthorUnitOfWork,
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await CreateAuthor(uow)(CreateAuthorCommand(first_name="Ursula", last_name="", age=88))
    assert refused.value.field == "last_name"
    assert uow.data.authors == {} and uow.commits == 0


# --- UpdateAuthor -------------------------------------------------------------------------
async def test_update_author_changes_the_given_fields_and_bumps_the_version(
    uow: FakeAuthorUnitOfWork,
) -> None:
    author = stored_author(uow)
    await UpdateAuthor(uow)(UpdateAuthorCommand(author_id=author.id, age=89, expected_version=1))
    stored = uow.data.authors[author.id]
    assert stored.age == Age(89) and stored.first_name == FirstName("Ursula")
    assert stored.biography == Biography("Earthsea")  # not sent: kept
    assert stored.version == 2


async def test_update_author_clears_the_biography_only_when_it_was_sent(
    uow: FakeAuthorUnitOfWork,
) -> None:
    author = stored_author(uow)
    await UpdateAuthor(uow)(UpdateAuthorCommand(author_id=author.id, biography=None))
    assert uow.data.authors[author.id].biography == Biography("Earthsea")
    await UpdateAuthor(uow)(
        UpdateAuthorCommand(
            author_id=author.id, biography=None, fields_set=frozenset({"biography"})
        )
    )
    assert uow.data.authors[author.id].biography is None


async def test_update_author_without_a_change_commits_nothing(uow: FakeAuthorUnitOfWork) -> None:
    author = stored_author(uow)
    await UpdateAuthor(uow)(UpdateAuthorCommand(author_id=author.id, first_name="Ursula"))
    assert uow.commits == 0 and uow.data.authors[author.id].version == 1


async def test_update_author_of_an_unknown_id_is_author_not_found(
    uow: FakeAuthorUnitOfWork,
) -> None:
    with pytest.raises(AuthorNotFound):
        await UpdateAuthor(uow)(UpdateAuthorCommand(author_id=404, age=30))


async def test_update_author_with_a_stale_version_is_refused(uow: FakeAuthorUnitOfWork) -> None:
    author = stored_author(uow)
    with pytest.raises(VersionMismatch):
        await UpdateAuthor(uow)(
            UpdateAuthorCommand(author_id=author.id, age=30, expected_version=7)
        )
    assert uow.data.authors[author.id].age == Age(88) and uow.commits == 0


async def test_update_author_refuses_an_invalid_value_before_loading(
    uow: FakeAuthorUnitOfWork,
) -> None:
    author = stored_author(uow)
    with pytest.raises(InvalidValue) as refused:
        await UpdateAuthor(uow)(UpdateAuthorCommand(author_id=author.id, age=0))
    assert refused.value.field == "age" and uow.commits == 0


# --- DeleteAuthor -------------------------------------------------------------------------
async def test_delete_author_removes_them_and_tells_the_world(uow: FakeAuthorUnitOfWork) -> None:
    author = stored_author(uow)
    await DeleteAuthor(uow)(author.id, expected_version=1)
    assert author.id not in uow.data.authors
    [event] = uow.publisher.events
    assert isinstance(event, AuthorDeleted) and event.author_id == author.id


async def test_delete_author_with_books_is_refused_and_tells_nobody(
    uow: FakeAuthorUnitOfWork,
) -> None:
    author = stored_author(uow, book_ids=(11, 12))
    with pytest.raises(AuthorHasBooks):
        await DeleteAuthor(uow)(author.id)
    assert author.id in uow.data.authors and uow.publisher.events == []


async def test_delete_author_of_an_unknown_id_is_author_not_found(
    uow: FakeAuthorUnitOfWork,
) -> None:
    with pytest.raises(AuthorNotFound):
        await DeleteAuthor(uow)(404)


async def test_delete_author_with_a_stale_version_is_refused(uow: FakeAuthorUnitOfWork) -> None:
    author = stored_author(uow)
    with pytest.raises(VersionMismatch):
        await DeleteAuthor(uow)(author.id, expected_version=2)
    assert author.id in uow.data.authors and uow.publisher.events == []
