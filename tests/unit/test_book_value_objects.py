"""Book's value objects: each normalises what it may and refuses, with the field named,
what it cannot hold."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from modules.book.domain.value_objects import (
    MAX_PAGES,
    MAX_PRICE_WON,
    Isbn,
    Pages,
    Price,
    PublicationYear,
    Title,
)
from modules.kernel.errors import DomainError, InvalidValue

# --- Title -------------------------------------------------------------------------------


def test_title_is_trimmed() -> None:
    assert Title("  Dune \n").value == "Dune"


def test_title_keeps_inner_whitespace() -> None:
    assert Title(" The  Name of the Rose ").value == "The  Name of the Rose"


@pytest.mark.parametrize("length", [1, 255])
def test_title_of_1_to_255_characters_is_accepted(length: int) -> None:
    assert Title("x" * length).value == "x" * length


def test_title_length_is_counted_after_trimming() -> None:
    assert Title("  " + "x" * 255 + "  ").value == "x" * 255


@pytest.mark.parametrize("text", ["", " ", "   \t\n ", "x" * 256, " " + "x" * 256 + " "])
def test_title_that_is_empty_blank_or_too_long_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Title(text)
    assert caught.value.field == "title"


def test_value_objects_are_immutable_and_compare_by_value() -> None:
    title = Title(" Dune ")
    assert title == Title("Dune")
    assert hash(title) == hash(Title("Dune"))
    assert title != Title("Dune Messiah")
    with pytest.raises(dataclasses.FrozenInstanceError):
        title.value = "Other"  # type: ignore[misc]


def test_invalid_value_is_a_domain_error_with_a_client_safe_detail() -> None:
    with pytest.raises(DomainError) as caught:
        Title("")
    assert isinstance(caught.value, InvalidValue)
    assert caught.value.detail == "title must not be blank"
    assert str(caught.value) == caught.value.detail


# --- Isbn --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "isbn13"),
    [
        ("0-306-40615-2", "9780306406157"),  # ISBN-10 with hyphens
        ("0 306 40615 2", "9780306406157"),  # ISBN-10 with spaces
        ("0306406152", "9780306406157"),  # ISBN-10 compact
        (" 0306406152 ", "9780306406157"),  # surrounding whitespace
        ("0-8044-2957-X", "9780804429573"),  # ISBN-10 whose check digit is X
        ("0-8044-2957-x", "9780804429573"),  # ... in lower case
        ("978-0-306-40615-7", "9780306406157"),  # ISBN-13 with hyphens
        ("9780306406157", "9780306406157"),  # ISBN-13 compact
        ("979-10-90636-07-1", "9791090636071"),  # a 979 ISBN-13 (no ISBN-10 form exists)
    ],
)
def test_isbn_is_normalised_to_compact_isbn_13(written: str, isbn13: str) -> None:
    assert Isbn(written).value == isbn13


def test_the_same_book_as_isbn_10_and_isbn_13_is_one_value() -> None:
    assert Isbn("0-8044-2957-X") == Isbn("978-0-8044-2957-3")
    assert Isbn("0-306-40615-2") == Isbn("9780306406157")
    assert hash(Isbn("0-306-40615-2")) == hash(Isbn("9780306406157"))
    assert Isbn("0-306-40615-2") != Isbn("0-8044-2957-X")


@pytest.mark.parametrize(
    "text",
    [
        "0-306-40615-3",  # ISBN-10, wrong check digit
        "0-8044-2957-1",  # ISBN-10 that should end in X
        "978-0-306-40615-8",  # ISBN-13, wrong check digit
        "978-0-8044-2957-4",  # ISBN-13, off by one
    ],
)
def test_isbn_with_a_bad_checksum_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Isbn(text)
    assert caught.value.field == "isbn"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "not-an-isbn",
        "030640615",  # nine digits
        "03064061522",  # eleven digits
        "97803064061577",  # fourteen digits
        "ISBN 0-306-40615-2",  # a label in front
        "0.306.40615.2",  # dots are no ISBN separator
        "4006381333931",  # a valid EAN-13 that is no ISBN (not 978/979)
        "X306406152",  # X only as the last character
        "978-0-8044-2957-X",  # X is no ISBN-13 check digit
    ],
)
def test_isbn_that_is_not_an_isbn_is_refused(text: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        Isbn(text)
    assert caught.value.field == "isbn"


def test_an_ismn_is_not_an_isbn() -> None:
    # 979-0-2600-0043-8 is a valid ISMN; the 979-0 range belongs to ISMN, not ISBN.
    with pytest.raises(InvalidValue) as caught:
        Isbn("979-0-2600-0043-8")
    assert caught.value.field == "isbn"


# --- Pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("pages", [1, 320, MAX_PAGES])
def test_pages_in_range_are_accepted(pages: int) -> None:
    assert Pages(pages).value == pages


@pytest.mark.parametrize("pages", [0, -1, MAX_PAGES + 1])
def test_pages_out_of_range_are_refused(pages: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        Pages(pages)
    assert caught.value.field == "pages"


# --- Price -------------------------------------------------------------------------------


@pytest.mark.parametrize("won", [0, 1, 15_000, MAX_PRICE_WON])
def test_price_from_zero_to_the_maximum_is_accepted(won: int) -> None:
    assert Price(won).won == won


@pytest.mark.parametrize("won", [-1, -15_000, MAX_PRICE_WON + 1])
def test_price_out_of_range_is_refused(won: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        Price(won)
    assert caught.value.field == "price"


def test_the_maximum_price_fits_a_signed_bigint() -> None:
    assert 0 < MAX_PRICE_WON < 2**63


# --- PublicationYear ---------------------------------------------------------------------


def _this_year() -> int:
    return datetime.now(UTC).year


@pytest.mark.parametrize("offset", [-2000, -1, 0, 1])
def test_publication_year_up_to_next_year_is_accepted(offset: int) -> None:
    year = _this_year() + offset
    assert PublicationYear(year).value == year


def test_publication_year_1_is_accepted() -> None:
    assert PublicationYear(1).value == 1


@pytest.mark.parametrize("year", [0, -1])
def test_publication_year_before_1_is_refused(year: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        PublicationYear(year)
    assert caught.value.field == "publication_year"


@pytest.mark.parametrize("offset", [2, 100])
def test_publication_year_after_next_year_is_refused(offset: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        PublicationYear(_this_year() + offset)
    assert caught.value.field == "publication_year"
