"""Book's use cases against in-memory ports: no database."""

from __future__ import annotations

import pytest

from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook, CreateBookCommand
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook, UpdateBookCommand
from modules.book.domain.book import Book
from modules.book.domain.errors import (
    AuthorAlreadyOnBook,
    AuthorNotFound,
    AuthorNotOnBook,
    BookNotFound,
    DuplicateIsbn,
    UnknownAuthors,
)
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.errors import InvalidValue, VersionMismatch
from tests.unit.fakes import BookData, FakeAuthorDirectory, FakeBookUnitOfWork

ISBN = "9780306406157"
OTHER_ISBN = "9781861972712"


def stored_book(
    uow: FakeBookUnitOfWork, *, isbn: str = ISBN, author_ids: tuple[int, ...] = ()
) -> Book:
    book = Book.create(
        title=Title("Dune"),
        isbn=Isbn(isbn),
        pages=Pages(412),
        price=Price(999),
        publication_year=PublicationYear(1965),
        author_ids=author_ids,
    )
    book.pull_events()  # published when it was created, in some earlier test
    uow.data.books[book.id] = book
    return book


def command(**changes: object) -> CreateBookCommand:
    values: dict[str, object] = {
        "title": "Dune",
        "isbn": ISBN,
        "pages": 412,
        "price": 999,
        "publication_year": 1965,
    }
    return CreateBookCommand(**{**values, **changes})  # type: ignore[arg-type]


@pytest.fixture
def uow() -> FakeBookUnitOfWork:
    return FakeBookUnitOfWork(BookData())


@pytest.fixture
def directory() -> FakeAuthorDirectory:
    return FakeAuthorDirectory(existing=[1, 2, 3])


# --- CreateBook ---------------------------------------------------------------------------
async def test_create_book_stores_it_and_tells_each_author_in_order(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    book_id = await CreateBook(uow, directory)(command(author_ids=[3, 1, 3]))
    stored = uow.data.books[book_id]
    assert stored.author_ids == [3, 1] and stored.isbn == Isbn(ISBN) and stored.version == 1
    events = uow.publisher.events
    assert all(isinstance(e, AuthorAddedToBook) for e in events)
    assert [(e.book_id, e.author_id, e.book_version) for e in events] == [  # type: ignore[attr-defined]
        (book_id, 3, 1),
        (book_id, 1, 1),
    ]


async def test_create_book_naming_unknown_authors_names_them_all(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    with pytest.raises(UnknownAuthors) as refused:
        await CreateBook(uow, directory)(command(author_ids=[1, 8, 9, 8]))
    assert refused.value.author_ids == [8, 9]
    assert uow.data.books == {} and uow.publisher.events == []


async def test_create_book_naming_an_author_book_heard_was_deleted_is_refused(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    uow.data.deleted_authors.add(2)  # the directory has not caught up yet
    with pytest.raises(UnknownAuthors) as refused:
        await CreateBook(uow, directory)(command(author_ids=[1, 2]))
    assert refused.value.author_ids == [2]
    assert uow.data.books == {}


async def test_create_book_with_a_taken_isbn_is_refused(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    stored_book(uow)
    with pytest.raises(DuplicateIsbn):
        await CreateBook(uow, directory)(command(isbn="978-0-306-40615-7"))
    assert len(uow.data.books) == 1


async def test_create_book_losing_the_isbn_to_a_concurrent_request_is_duplicate_isbn(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    # The other request commits the same ISBN after our check and before our commit.
    uow.before_commit = lambda: stored_book(uow)
    with pytest.raises(DuplicateIsbn):
        await CreateBook(uow, directory)(command(author_ids=[1]))
    assert len(uow.data.books) == 1 and uow.publisher.events == []


async def test_create_book_refuses_an_invalid_value_before_anything_else(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    with pytest.raises(InvalidValue) as refused:
        await CreateBook(uow, directory)(command(pages=0, author_ids=[99]))
    assert refused.value.field == "pages"


# --- UpdateBook ---------------------------------------------------------------------------
async def test_update_book_changes_the_given_fields_and_bumps_the_version(
    uow: FakeBookUnitOfWork,
) -> None:
    book = stored_book(uow)
    await UpdateBook(uow)(
        UpdateBookCommand(book_id=book.id, title="Dune Messiah", price=1299, expected_version=1)
    )
    stored = uow.data.books[book.id]
    assert (stored.title, stored.price, stored.pages) == (
        Title("Dune Messiah"),
        Price(1299),
        Pages(412),
    )
    assert stored.version == 2 and uow.publisher.events == []


async def test_update_book_to_its_own_isbn_changes_nothing(uow: FakeBookUnitOfWork) -> None:
    book = stored_book(uow)
    await UpdateBook(uow)(UpdateBookCommand(book_id=book.id, isbn=ISBN))
    assert uow.commits == 0 and uow.data.books[book.id].version == 1


async def test_update_book_to_an_isbn_another_book_has_is_refused(
    uow: FakeBookUnitOfWork,
) -> None:
    stored_book(uow, isbn=OTHER_ISBN)
    book = stored_book(uow)
    with pytest.raises(DuplicateIsbn):
        await UpdateBook(uow)(UpdateBookCommand(book_id=book.id, isbn=OTHER_ISBN))
    assert uow.data.books[book.id].isbn == Isbn(ISBN)


async def test_update_book_losing_the_isbn_to_a_concurrent_request_is_duplicate_isbn(
    uow: FakeBookUnitOfWork,
) -> None:
    book = stored_book(uow)
    uow.before_commit = lambda: stored_book(uow, isbn=OTHER_ISBN)
    with pytest.raises(DuplicateIsbn):
        await UpdateBook(uow)(UpdateBookCommand(book_id=book.id, isbn=OTHER_ISBN))
    assert uow.data.books[book.id].isbn == Isbn(ISBN)


async def test_update_book_of_an_unknown_id_is_book_not_found(uow: FakeBookUnitOfWork) -> None:
    with pytest.raises(BookNotFound):
        await UpdateBook(uow)(UpdateBookCommand(book_id=404, title="X"))


async def test_update_book_with_a_stale_version_is_refused(uow: FakeBookUnitOfWork) -> None:
    book = stored_book(uow)
    with pytest.raises(VersionMismatch):
        await UpdateBook(uow)(UpdateBookCommand(book_id=book.id, title="X", expected_version=3))
    assert uow.data.books[book.id].title == Title("Dune")


# --- DeleteBook ---------------------------------------------------------------------------
async def test_delete_book_removes_it_and_tells_its_authors(uow: FakeBookUnitOfWork) -> None:
    book = stored_book(uow, author_ids=(2, 1))
    await DeleteBook(uow)(book.id, expected_version=1)
    assert book.id not in uow.data.books
    [event] = uow.publisher.events
    assert isinstance(event, BookDeleted)
    assert (event.book_id, event.author_ids, event.book_version) == (book.id, (2, 1), 2)


async def test_delete_book_of_an_unknown_id_is_book_not_found(uow: FakeBookUnitOfWork) -> None:
    with pytest.raises(BookNotFound):
        await DeleteBook(uow)(404)


async def test_delete_book_with_a_stale_version_is_refused(uow: FakeBookUnitOfWork) -> None:
    book = stored_book(uow)
    with pytest.raises(VersionMismatch):
        await DeleteBook(uow)(book.id, expected_version=2)
    assert book.id in uow.data.books and uow.publisher.events == []


# --- AddAuthorToBook ----------------------------------------------------------------------
async def test_add_author_to_book_links_them_and_tells_the_author(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    book = stored_book(uow, author_ids=(1,))
    await AddAuthorToBook(uow, directory)(book.id, 2, expected_version=1)
    assert uow.data.books[book.id].author_ids == [1, 2]
    [event] = uow.publisher.events
    assert isinstance(event, AuthorAddedToBook)
    assert (event.book_id, event.author_id, event.book_version) == (book.id, 2, 2)


async def test_add_an_author_the_directory_does_not_know_is_author_not_found(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    book = stored_book(uow)
    with pytest.raises(AuthorNotFound):
        await AddAuthorToBook(uow, directory)(book.id, 99)
    assert uow.commits == 0


async def test_add_an_author_book_heard_was_deleted_is_author_not_found(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    book = stored_book(uow)
    uow.data.deleted_authors.add(2)
    with pytest.raises(AuthorNotFound):
        await AddAuthorToBook(uow, directory)(book.id, 2)
    assert uow.data.books[book.id].author_ids == []


async def test_add_an_author_to_an_unknown_book_is_book_not_found(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    with pytest.raises(BookNotFound):
        await AddAuthorToBook(uow, directory)(404, 1)


async def test_add_an_author_already_on_the_book_is_refused(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    book = stored_book(uow, author_ids=(1,))
    with pytest.raises(AuthorAlreadyOnBook):
        await AddAuthorToBook(uow, directory)(book.id, 1)
    assert uow.publisher.events == []


async def test_add_an_author_with_a_stale_version_is_refused(
    uow: FakeBookUnitOfWork, directory: FakeAuthorDirectory
) -> None:
    book = stored_book(uow)
    with pytest.raises(VersionMismatch):
        await AddAuthorToBook(uow, directory)(book.id, 1, expected_version=5)
    assert uow.data.books[book.id].author_ids == []


# --- RemoveAuthorFromBook -----------------------------------------------------------------
async def test_remove_author_from_book_unlinks_them_and_tells_the_author(
    uow: FakeBookUnitOfWork,
) -> None:
    book = stored_book(uow, author_ids=(1, 2))
    await RemoveAuthorFromBook(uow)(book.id, 1, expected_version=1)
    assert uow.data.books[book.id].author_ids == [2]
    [event] = uow.publisher.events
    assert isinstance(event, AuthorRemovedFromBook)
    assert (event.book_id, event.author_id, event.book_version) == (book.id, 1, 2)


async def test_remove_an_author_not_on_the_book_is_refused(uow: FakeBookUnitOfWork) -> None:
    book = stored_book(uow, author_ids=(1,))
    with pytest.raises(AuthorNotOnBook):
        await RemoveAuthorFromBook(uow)(book.id, 2)
    assert uow.publisher.events == []


async def test_remove_an_author_from_an_unknown_book_is_book_not_found(
    uow: FakeBookUnitOfWork,
) -> None:
    with pytest.raises(BookNotFound):
        await RemoveAuthorFromBook(uow)(404, 1)


async def test_remove_an_author_with_a_stale_version_is_refused(uow: FakeBookUnitOfWork) -> None:
    book = stored_book(uow, author_ids=(1,))
    with pytest.raises(VersionMismatch):
        await RemoveAuthorFromBook(uow)(book.id, 1, expected_version=9)
    assert uow.data.books[book.id].author_ids == [1]
