"""The Book aggregate: its author list, its version, and the events it records."""

from __future__ import annotations

import pytest

from modules.author.domain.author import Author
from modules.author.domain.value_objects import Age, FirstName, LastName
from modules.book.domain.book import MAX_AUTHORS_PER_BOOK, Book
from modules.book.domain.errors import AuthorAlreadyOnBook, AuthorNotOnBook, TooManyAuthors
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.errors import Conflict, InvalidValue, NotFound
from modules.kernel.events import DomainEvent


def new_book(author_ids: list[int] | tuple[int, ...] = (), **changes: object) -> Book:
    fields: dict[str, object] = {
        "title": Title("Dune"),
        "isbn": Isbn("978-0-306-40615-7"),
        "pages": Pages(412),
        "price": Price(15_000),
        "publication_year": PublicationYear(1965),
    }
    fields.update(changes)
    return Book.create(author_ids=author_ids, **fields)  # type: ignore[arg-type]


def summary(events: list[DomainEvent]) -> list[tuple[object, ...]]:
    """Events without their random event_id and timestamp, for exact comparison:
    (kind, book id, author id or ids, book version)."""
    out: list[tuple[object, ...]] = []
    for event in events:
        if isinstance(event, AuthorAddedToBook | AuthorRemovedFromBook):
            out.append((type(event).__name__, event.book_id, event.author_id, event.book_version))
        elif isinstance(event, BookDeleted):
            out.append((type(event).__name__, event.book_id, event.author_ids, event.book_version))
        else:  # pragma: no cover - would be a surprise worth seeing in the failure
            out.append((type(event).__name__,))
    return out


# --- create ------------------------------------------------------------------------------


def test_create_gives_a_fresh_id_and_version_1() -> None:
    one, two = new_book(), new_book()
    assert one.version == 1
    assert one.id > 0
    assert one.id != two.id


def test_create_keeps_the_values_it_was_given() -> None:
    book = new_book(title=Title(" Emma "), pages=Pages(99))
    assert book.title == Title("Emma")
    assert book.pages == Pages(99)
    assert book.isbn == Isbn("0-306-40615-2")


def test_create_records_one_author_added_event_per_author_in_order() -> None:
    book = new_book(author_ids=[30, 10, 20])

    assert book.author_ids == [30, 10, 20]
    assert summary(book.pull_events()) == [
        ("AuthorAddedToBook", book.id, 30, 1),
        ("AuthorAddedToBook", book.id, 10, 1),
        ("AuthorAddedToBook", book.id, 20, 1),
    ]
    assert book.version == 1  # creating with authors is still the first version


def test_create_drops_repeated_authors_and_keeps_first_order() -> None:
    book = new_book(author_ids=[5, 7, 5, 9, 7])

    assert book.author_ids == [5, 7, 9]
    assert [e[2] for e in summary(book.pull_events())] == [5, 7, 9]


def test_create_without_authors_records_nothing() -> None:
    book = new_book()
    assert book.author_ids == []
    assert book.pull_events() == []


def test_events_carry_their_own_ids() -> None:
    book = new_book(author_ids=[1, 2])
    first, second = book.pull_events()
    assert first.event_id != second.event_id
    assert first.occurred_at.tzinfo is not None


# --- add_author --------------------------------------------------------------------------


def test_add_author_appends_bumps_the_version_by_one_and_records_the_event() -> None:
    book = new_book(author_ids=[1])
    book.pull_events()

    book.add_author(2)

    assert book.author_ids == [1, 2]
    assert book.has_author(2)
    assert book.version == 2
    assert summary(book.pull_events()) == [("AuthorAddedToBook", book.id, 2, 2)]


def test_each_add_author_bumps_the_version_once() -> None:
    book = new_book()
    for author_id in (11, 12, 13):
        book.add_author(author_id)
    assert book.version == 4
    assert book.author_ids == [11, 12, 13]


def test_adding_an_author_already_on_the_book_is_refused_and_changes_nothing() -> None:
    book = new_book(author_ids=[1, 2])
    book.pull_events()

    with pytest.raises(AuthorAlreadyOnBook) as caught:
        book.add_author(2)

    assert isinstance(caught.value, Conflict)
    assert book.author_ids == [1, 2]
    assert book.version == 1
    assert book.pull_events() == []


def test_a_book_takes_authors_up_to_the_limit_and_refuses_one_more() -> None:
    full = list(range(1, MAX_AUTHORS_PER_BOOK + 1))
    book = new_book(author_ids=full[:-1])
    book.add_author(full[-1])
    assert book.author_ids == full
    book.pull_events()
    version = book.version

    with pytest.raises(TooManyAuthors) as caught:
        book.add_author(1000)

    assert isinstance(caught.value, Conflict)
    assert book.author_ids == full
    assert book.version == version
    assert book.pull_events() == []


def test_a_book_is_not_created_with_more_authors_than_the_limit() -> None:
    repeated = [1] * (MAX_AUTHORS_PER_BOOK + 5)  # repeats count once
    assert new_book(author_ids=repeated).author_ids == [1]
    with pytest.raises(InvalidValue) as caught:
        new_book(author_ids=list(range(1, MAX_AUTHORS_PER_BOOK + 2)))
    assert caught.value.field == "author_ids"


# --- remove_author -----------------------------------------------------------------------


def test_remove_author_records_the_event_and_bumps_the_version() -> None:
    book = new_book(author_ids=[1, 2, 3])
    book.pull_events()

    book.remove_author(2)

    assert book.author_ids == [1, 3]
    assert not book.has_author(2)
    assert book.version == 2
    assert summary(book.pull_events()) == [("AuthorRemovedFromBook", book.id, 2, 2)]


def test_removing_an_author_not_on_the_book_is_refused_and_changes_nothing() -> None:
    book = new_book(author_ids=[1])
    book.pull_events()

    with pytest.raises(AuthorNotOnBook) as caught:
        book.remove_author(99)

    assert isinstance(caught.value, NotFound)
    assert book.author_ids == [1]
    assert book.version == 1
    assert book.pull_events() == []


def test_an_author_removed_can_be_added_again_and_goes_last() -> None:
    book = new_book(author_ids=[1, 2, 3])
    book.remove_author(1)
    book.add_author(1)
    assert book.author_ids == [2, 3, 1]
    assert book.version == 3


def test_removing_then_adding_keeps_the_order_of_the_others() -> None:
    book = new_book(author_ids=[1, 2, 3])
    book.remove_author(3)
    book.add_author(4)
    book.remove_author(1)
    book.add_author(5)
    assert book.author_ids == [2, 4, 5]


# --- revise ------------------------------------------------------------------------------


def test_revise_with_nothing_given_changes_nothing() -> None:
    book = new_book()
    assert book.revise() is False
    assert book.version == 1


def test_revise_with_the_same_values_does_not_bump_the_version() -> None:
    book = new_book()
    changed = book.revise(
        title=Title(" Dune "),  # trimmed: the same title
        isbn=Isbn("0-306-40615-2"),  # the same book in its ISBN-10 form
        pages=Pages(412),
        price=Price(15_000),
        publication_year=PublicationYear(1965),
    )
    assert changed is False
    assert book.version == 1


def test_revise_applies_changes_and_bumps_the_version_exactly_once() -> None:
    book = new_book()

    changed = book.revise(title=Title("Dune Messiah"), pages=Pages(256), price=Price(0))

    assert changed is True
    assert book.version == 2
    assert book.title == Title("Dune Messiah")
    assert book.pages == Pages(256)
    assert book.price == Price(0)
    # Fields left out keep their values.
    assert book.isbn == Isbn("9780306406157")
    assert book.publication_year == PublicationYear(1965)


def test_revise_of_a_single_field_bumps_the_version() -> None:
    book = new_book()
    assert book.revise(publication_year=PublicationYear(1966)) is True
    assert book.version == 2
    assert book.revise(isbn=Isbn("0-8044-2957-X")) is True
    assert book.version == 3
    assert book.isbn.value == "9780804429573"


def test_revise_records_no_events_and_leaves_authors_alone() -> None:
    book = new_book(author_ids=[1, 2])
    book.pull_events()
    book.revise(title=Title("Another"))
    assert book.pull_events() == []
    assert book.author_ids == [1, 2]


# --- delete ------------------------------------------------------------------------------


def test_delete_records_book_deleted_with_its_authors_in_order() -> None:
    book = new_book(author_ids=[3, 1, 2])
    book.pull_events()

    book.delete()

    assert book.version == 2  # deleting is a change too: its event outranks earlier news
    assert summary(book.pull_events()) == [("BookDeleted", book.id, (3, 1, 2), 2)]


def test_delete_of_a_book_without_authors_still_records_the_event() -> None:
    book = new_book()
    book.delete()
    assert summary(book.pull_events()) == [("BookDeleted", book.id, (), 2)]


def test_delete_reports_the_authors_at_the_time_of_deletion() -> None:
    book = new_book(author_ids=[1, 2])
    book.remove_author(1)
    book.add_author(7)
    book.pull_events()
    book.delete()
    (event,) = book.pull_events()
    assert isinstance(event, BookDeleted)
    assert event.author_ids == (2, 7)


# --- book_version on events ----------------------------------------------------------


def test_every_event_carries_the_books_version_right_after_the_change() -> None:
    book = new_book(author_ids=[1])
    seen: list[tuple[int, int]] = []  # (event's book_version, book.version after the call)

    def drain() -> None:
        for event in book.pull_events():
            seen.append((event.book_version, book.version))  # type: ignore[attr-defined]

    drain()
    book.add_author(2)
    drain()
    book.revise(title=Title("Children of Dune"))  # a change without an event
    book.remove_author(1)
    drain()
    book.add_author(1)
    drain()
    book.delete()
    drain()

    assert seen == [(1, 1), (2, 2), (4, 4), (5, 5), (6, 6)]


def test_events_about_one_author_have_strictly_increasing_versions() -> None:
    # A consumer keeps the highest version it applied per book and drops older news; that
    # only works if two events about the same book and author never share a version.
    book = new_book(author_ids=[1, 2])
    for _ in range(3):
        book.remove_author(1)
        book.add_author(1)
    book.delete()

    versions = [
        e.book_version  # type: ignore[attr-defined]
        for e in book.pull_events()
        if getattr(e, "author_id", None) == 1 or 1 in getattr(e, "author_ids", ())
    ]
    assert len(versions) == 8
    assert versions == sorted(set(versions))


# --- events and identity -----------------------------------------------------------------


def test_pull_events_hands_each_event_over_once() -> None:
    book = new_book(author_ids=[1])
    book.add_author(2)

    first = book.pull_events()
    assert len(first) == 2
    assert book.pull_events() == []

    book.remove_author(1)
    assert summary(book.pull_events()) == [("AuthorRemovedFromBook", book.id, 1, 3)]


def test_events_are_immutable() -> None:
    (event,) = new_book(author_ids=[1]).pull_events()
    with pytest.raises(AttributeError):
        event.author_id = 2  # type: ignore[misc]


def test_books_are_equal_by_identity_not_by_value() -> None:
    book = new_book()
    same_id_other_values = Book(
        id=book.id,
        title=Title("Something else"),
        isbn=Isbn("0-8044-2957-X"),
        pages=Pages(1),
        price=Price(1),
        publication_year=PublicationYear(2000),
    )
    twin_values_other_id = new_book()

    assert book == same_id_other_values
    assert hash(book) == hash(same_id_other_values)
    assert book != twin_values_other_id
    assert len({book, same_id_other_values, twin_values_other_id}) == 2


def test_a_book_never_equals_another_kind_of_aggregate_with_the_same_id() -> None:
    book = new_book()
    author = Author(id=book.id, first_name=FirstName("A"), last_name=LastName("B"), age=Age(30))
    assert book != author
    assert book != book.id
