"""Book's value objects: immutable, and each one refuses a value it cannot hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from stdnum import isbn as stdnum_isbn
from stdnum.exceptions import ValidationError as StdnumValidationError

from modules.kernel.errors import InvalidValue
from modules.kernel.text import normalised

MAX_PRICE_WON = 1_000_000_000_000  # a trillion won: far above any book, far below BIGINT
MAX_PAGES = 100_000
MIN_PUBLICATION_YEAR = 1


@dataclass(frozen=True, slots=True)
class Title:
    value: str  # trimmed, in NFC: stored as a person would type it whatever their keyboard sent

    def __post_init__(self) -> None:
        text = normalised(self.value)
        if not text:
            raise InvalidValue("title", "title must not be blank")
        if len(text) > 255:
            raise InvalidValue("title", "title must be at most 255 characters")
        object.__setattr__(self, "value", text)


@dataclass(frozen=True, slots=True)
class Isbn:
    """An ISBN-10 or ISBN-13, checksum verified, always held as ISBN-13.

    Hyphens and spaces are accepted on the way in; the same book written as ISBN-10 or
    ISBN-13 therefore becomes the same value, which makes duplicates detectable.
    """

    value: str

    def __post_init__(self) -> None:
        digits = self.value.replace("-", "").replace(" ", "")
        if len(digits) not in (10, 13):  # stdnum would also take a 9-digit SBN
            raise InvalidValue("isbn", "an ISBN has 10 or 13 digits")
        try:
            compact = stdnum_isbn.validate(self.value)
        except StdnumValidationError as error:
            raise InvalidValue("isbn", f"not a valid ISBN-10 or ISBN-13: {error}") from None
        if compact.startswith("9790"):  # passes the checksum, but is sheet music
            raise InvalidValue("isbn", "an ISMN (979-0...), not an ISBN")
        object.__setattr__(self, "value", stdnum_isbn.to_isbn13(compact))


@dataclass(frozen=True, slots=True)
class Pages:
    value: int

    def __post_init__(self) -> None:
        if not 1 <= self.value <= MAX_PAGES:
            raise InvalidValue("pages", f"pages must be between 1 and {MAX_PAGES}")


@dataclass(frozen=True, slots=True)
class Price:
    """A price in whole Korean won (the won has no minor unit in use)."""

    won: int

    def __post_init__(self) -> None:
        if not 0 <= self.won <= MAX_PRICE_WON:
            raise InvalidValue("price", f"price must be between 0 and {MAX_PRICE_WON} won")


@dataclass(frozen=True, slots=True)
class PublicationYear:
    value: int

    def __post_init__(self) -> None:
        latest = datetime.now(UTC).year + 1
        if not MIN_PUBLICATION_YEAR <= self.value <= latest:
            raise InvalidValue(
                "publication_year",
                f"publication_year must be between {MIN_PUBLICATION_YEAR} and {latest}",
            )
