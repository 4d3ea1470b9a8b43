"""The Author aggregate and its value objects."""

from __future__ import annotations

import itertools
import random

import pytest

from modules.author.domain.author import Author
from modules.author.domain.errors import AuthorHasBooks
from modules.author.domain.events import AuthorDeleted
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName
from modules.book.domain.book import Book
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.errors import Conflict, InvalidValue


def new_author(**changes: object) -> Author:
    fields: dict[str, object] = {
        "first_name": FirstName("Ursula"),
        "last_name": LastName("Le Guin"),
        "age": Age(88),
        "biography": Biography("Wrote Earthsea."),
    }
    fields.update(changes)
    return Author.create(**fields)  # type: ignore[arg-type]


# --- value objects -----------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "field"), [(FirstName, "first_name"), (LastName, "last_name")])
def test_names_are_trimmed(kind: type[FirstName] | type[LastName], field: str) -> None:
    assert kind("  Mary Ann \t").value == "Mary Ann"


@pytest.mark.parametrize("kind", [FirstName, LastName])
@pytest.mark.parametrize("length", [1, 100])
def test_names_of_1_to_100_characters_are_accepted(
    kind: type[FirstName] | type[LastName], length: int
) -> None:
    assert kind(" " + "n" * length + " ").value == "n" * length


@pytest.mark.parametrize(("kind", "field"), [(FirstName, "first_name"), (LastName, "last_name")])
@pytest.mark.parametrize("text", ["", "   ", "\t\n", "n" * 101])
def test_names_empty_blank_or_too_long_are_refused(
    kind: type[FirstName] | type[LastName], field: str, text: str
) -> None:
    with pytest.raises(InvalidValue) as caught:
        kind(text)
    assert caught.value.field == field


@pytest.mark.parametrize("years", [1, 42, 150])
def test_age_from_1_to_150_is_accepted(years: int) -> None:
    assert Age(years).value == years


@pytest.mark.parametrize("years", [0, -1, 151])
def test_age_out_of_range_is_refused(years: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        Age(years)
    assert caught.value.field == "age"


@pytest.mark.parametrize("length", [0, 1, 3000])
def test_biography_up_to_3000_characters_is_accepted(length: int) -> None:
    assert Biography("b" * length).value == "b" * length


def test_biography_over_3000_characters_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        Biography("b" * 3001)
    assert caught.value.field == "biography"


# --- create and revise -------------------------------------------------------------------


def test_create_gives_a_fresh_id_version_1_and_no_books() -> None:
    one, two = new_author(), new_author()
    assert one.version == 1
    assert one.id != two.id
    assert one.book_ids == []
    assert one.book_count == 0
    assert one.first_name == FirstName("Ursula")


def test_create_without_biography_has_none() -> None:
    author = Author.create(first_name=FirstName("A"), last_name=LastName("B"), age=Age(20))
    assert author.biography is None


def test_revise_with_nothing_given_changes_nothing() -> None:
    author = new_author()
    assert author.revise() is False
    assert author.version == 1
    assert author.biography == Biography("Wrote Earthsea.")  # left out: kept


def test_revise_with_the_same_values_does_not_bump_the_version() -> None:
    author = new_author()
    changed = author.revise(
        first_name=FirstName(" Ursula "),
        last_name=LastName("Le Guin"),
        age=Age(88),
        biography=Biography("Wrote Earthsea."),
    )
    assert changed is False
    assert author.version == 1


def test_revise_applies_changes_and_bumps_the_version_once() -> None:
    author = new_author()

    changed = author.revise(first_name=FirstName("U. K."), age=Age(89))

    assert changed is True
    assert author.version == 2
    assert author.first_name == FirstName("U. K.")
    assert author.age == Age(89)
    assert author.last_name == LastName("Le Guin")
    assert author.biography == Biography("Wrote Earthsea.")


def test_revise_with_biography_none_clears_it() -> None:
    author = new_author()

    assert author.revise(biography=None) is True

    assert author.biography is None
    assert author.version == 2


def test_clearing_an_absent_biography_is_no_change() -> None:
    author = new_author(biography=None)
    assert author.revise(biography=None) is False
    assert author.version == 1


def test_revise_can_set_a_new_biography() -> None:
    author = new_author(biography=None)
    assert author.revise(biography=Biography("Born in Berkeley.")) is True
    assert author.biography == Biography("Born in Berkeley.")
    assert author.version == 2


def test_revise_records_no_events() -> None:
    author = new_author()
    author.revise(age=Age(90), biography=None)
    assert author.pull_events() == []


# --- the books an author knows of (following Book's versioned events) -----------------


def test_add_book_lists_it_and_bumps_the_version() -> None:
    author = new_author()
    assert author.add_book(10, as_of_book_version=1) is True
    assert author.book_ids == [10]
    assert author.version == 2


def test_add_book_delivered_twice_is_idempotent() -> None:
    author = new_author()
    author.add_book(10, as_of_book_version=1)

    assert author.add_book(10, as_of_book_version=1) is False

    assert author.book_ids == [10]
    assert author.version == 2


def test_remove_book_unlists_it_and_bumps_the_version() -> None:
    author = new_author()
    author.add_book(10, as_of_book_version=1)
    author.add_book(20, as_of_book_version=1)

    assert author.remove_book(10, as_of_book_version=2) is True

    assert author.book_ids == [20]
    assert author.version == 4


def test_remove_book_delivered_twice_is_idempotent() -> None:
    author = new_author()
    author.add_book(10, as_of_book_version=1)
    author.remove_book(10, as_of_book_version=2)
    version = author.version

    assert author.remove_book(10, as_of_book_version=2) is False

    assert author.book_ids == []
    assert author.version == version


def test_removing_a_book_never_listed_changes_nothing_visible() -> None:
    author = new_author()
    assert author.remove_book(99, as_of_book_version=3) is False
    assert author.book_ids == []
    assert author.version == 1


def test_older_news_is_ignored() -> None:
    author = new_author()
    author.add_book(10, as_of_book_version=1)
    author.remove_book(10, as_of_book_version=3)
    author.add_book(10, as_of_book_version=4)  # added again
    version = author.version

    assert author.remove_book(10, as_of_book_version=3) is False  # the old removal, again
    assert author.add_book(10, as_of_book_version=1) is False

    assert author.book_ids == [10]
    assert author.version == version


def test_a_late_add_after_the_removal_was_applied_does_not_resurrect_the_book() -> None:
    # The removal (book version 2) arrives before the add (version 1) it follows.
    author = new_author()

    assert author.remove_book(10, as_of_book_version=2) is False
    assert author.add_book(10, as_of_book_version=1) is False

    assert author.book_ids == []
    assert author.version == 1


def test_newer_news_after_an_early_removal_is_applied() -> None:
    author = new_author()
    author.remove_book(10, as_of_book_version=2)

    assert author.add_book(10, as_of_book_version=3) is True

    assert author.book_ids == [10]


def test_a_newer_add_for_a_listed_book_is_no_visible_change() -> None:
    author = new_author()
    author.add_book(10, as_of_book_version=1)
    assert author.add_book(10, as_of_book_version=5) is False
    assert author.version == 2
    # ... but it counts as the latest news: a removal older than it is ignored.
    assert author.remove_book(10, as_of_book_version=4) is False
    assert author.book_ids == [10]


def test_the_book_count_is_the_books_listed_after_any_news() -> None:
    """Readers show `book_count` instead of counting a prolific author's books: it must
    equal the books listed after every piece of news, repeated, late or out of order."""
    rng = random.Random(20261208)
    author = new_author()
    for _ in range(2000):
        book_id, version = rng.randint(1, 12), rng.randint(1, 30)
        if rng.random() < 0.55:
            author.add_book(book_id, as_of_book_version=version)
        else:
            author.remove_book(book_id, as_of_book_version=version)
        assert author.book_count == len(author.book_ids)
    assert 0 < author.book_count < 12  # the walk reached both lists and removals


def test_book_bookkeeping_records_no_events() -> None:
    # Author's book list follows Book's events; it must not echo events of its own.
    author = new_author()
    author.add_book(1, as_of_book_version=1)
    author.remove_book(1, as_of_book_version=2)
    assert author.pull_events() == []


def _apply(author: Author, event: object) -> None:
    """What Author's event handlers do with each of Book's events."""
    if isinstance(event, AuthorAddedToBook):
        if event.author_id == author.id:
            author.add_book(event.book_id, as_of_book_version=event.book_version)
    elif isinstance(event, AuthorRemovedFromBook):
        if event.author_id == author.id:
            author.remove_book(event.book_id, as_of_book_version=event.book_version)
    elif isinstance(event, BookDeleted):
        if author.id in event.author_ids:
            author.remove_book(event.book_id, as_of_book_version=event.book_version)
    else:
        raise AssertionError(f"unexpected event {event!r}")


def _history(author_id: int, *, ends_deleted: bool) -> list[object]:
    """Real events from a real Book: added, removed, added again, (deleted)."""
    book = Book.create(
        title=Title("Dune"),
        isbn=Isbn("9780306406157"),
        pages=Pages(412),
        price=Price(15_000),
        publication_year=PublicationYear(1965),
        author_ids=[author_id],
    )
    book.remove_author(author_id)
    book.add_author(author_id)
    if ends_deleted:
        book.delete()
    else:
        book.add_author(author_id + 1)  # news for someone else
    return list(book.pull_events())


@pytest.mark.parametrize("ends_deleted", [False, True], ids=["still-listed", "deleted"])
def test_any_delivery_order_with_repeats_ends_in_the_same_state(ends_deleted: bool) -> None:
    in_order = new_author()
    events = _history(in_order.id, ends_deleted=ends_deleted)
    for event in events:
        _apply(in_order, event)
    expected = in_order.book_ids
    assert expected == ([] if ends_deleted else [events[0].book_id])  # type: ignore[attr-defined]

    for order in itertools.permutations(events):
        author = Author(
            id=in_order.id, first_name=FirstName("A"), last_name=LastName("B"), age=Age(40)
        )
        for event in (*order, *order[:2]):  # every order, and some deliveries repeated
            _apply(author, event)
        assert author.book_ids == expected, [type(e).__name__ for e in order]
        assert author.book_count == len(expected)


# --- delete ------------------------------------------------------------------------------


def test_delete_is_refused_while_the_author_has_books() -> None:
    author = new_author()
    author.add_book(1, as_of_book_version=1)
    author.add_book(2, as_of_book_version=1)
    version = author.version

    with pytest.raises(AuthorHasBooks) as caught:
        author.delete()

    assert isinstance(caught.value, Conflict)
    assert "2 book(s)" in caught.value.detail
    assert author.pull_events() == []
    assert author.book_ids == [1, 2]
    assert author.version == version


def test_delete_records_author_deleted_once_the_books_are_gone() -> None:
    author = new_author()
    author.add_book(1, as_of_book_version=1)
    author.remove_book(1, as_of_book_version=2)
    author.remove_book(5, as_of_book_version=9)  # remembered, but never listed

    author.delete()

    (event,) = author.pull_events()
    assert isinstance(event, AuthorDeleted)
    assert event.author_id == author.id
    assert author.pull_events() == []


def test_authors_are_equal_by_identity() -> None:
    author = new_author()
    renamed = Author(id=author.id, first_name=FirstName("X"), last_name=LastName("Y"), age=Age(1))
    assert author == renamed
    assert hash(author) == hash(renamed)
    assert author != new_author()
