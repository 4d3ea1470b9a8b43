"""Book's HTTP schemas: the public contract, documented with examples."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from pydantic.config import JsonDict

from modules.book.application.queries import BookOrder
from modules.book.domain.book import MAX_AUTHORS_PER_BOOK
from modules.book.domain.value_objects import (
    MAX_PAGES,
    MAX_PRICE_WON,
    Isbn,
    PublicationYear,
    Title,
)
from modules.platform.http.conditional import EtagField
from modules.platform.http.schemas import (
    CURSOR_QUERY_PATTERN,
    Integral,
    NotNull,
    SnowflakeId,
    Storable,
    StrictInput,
    digits_only,
    domain_rule,
)

# The domain's own rules run as validators too (domain_rule), so that one 422 lists every
# field error of a request: a blank title, an ISBN checksum, a year after next year.
TitleStr = Annotated[
    Annotated[str, StringConstraints(min_length=1, max_length=255), Storable],
    domain_rule(Title),
    Field(description="Not blank", examples=["The Left Hand of Darkness"]),
]
IsbnStr = Annotated[
    Annotated[str, StringConstraints(min_length=10, max_length=17), Storable],
    domain_rule(Isbn),
    Field(
        description="ISBN-10 or ISBN-13; hyphens and spaces allowed; answered as ISBN-13",
        examples=["978-0-441-47812-5"],
    ),
]
# An ISBN to look a book up by, as a person types or a scanner reads it.
IsbnQuery = Annotated[
    Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=10, max_length=17), Storable
    ],
    domain_rule(Isbn),
]
# The list's order and its year filters (GET /books).
SortQuery = Annotated[
    BookOrder,
    Query(
        description=(
            "The order of the list: `id` (creation order, the default), `title` (A to Z,"
            " ignoring case, in code point order), `publication_year`, `price`; a leading"
            " `-` reverses it (`-publication_year`: the newest years first). Ties go by id,"
            " in the same direction. A cursor pages the order and filters it was made for."
        ),
        examples=["-publication_year"],
    ),
]
YearQuery = Annotated[
    int,
    Field(ge=1, le=9999),
    digits_only("must be a year from 1 to 9999, in decimal digits"),
]
# Like CursorQuery, but said with the order too: a cursor pages one order.
BookCursorQuery = Annotated[
    str | None,
    Query(
        pattern=CURSOR_QUERY_PATTERN,
        description=(
            "The `next_cursor` of the previous page, with the same `sort` and filters;"
            " omit it for the first page."
        ),
    ),
]

PagesInt = Annotated[
    Annotated[StrictInt, Field(ge=1, le=MAX_PAGES), Integral], Field(examples=[304])
]
PriceInt = Annotated[
    Annotated[StrictInt, Field(ge=0, le=MAX_PRICE_WON), Integral],
    Field(description="Whole Korean won", examples=[15000]),
]
YearInt = Annotated[
    Annotated[StrictInt, Field(ge=1, le=9999), Integral],
    domain_rule(PublicationYear),
    Field(description="At most next year", examples=[1969]),
]


class BookCreate(StrictInput):
    title: TitleStr
    isbn: IsbnStr
    pages: PagesInt
    price: PriceInt
    publication_year: YearInt
    author_ids: list[SnowflakeId] = Field(
        default_factory=list,
        max_length=MAX_AUTHORS_PER_BOOK,
        description="Existing authors of the book; unknown ids are refused (422)",
    )


class BookPatch(StrictInput):
    """Any subset of the fields; those left out keep their value."""

    # A field left out is None and unchanged; NotNull refuses an explicit null. The
    # ignores: a None default on a type that refuses None is what makes that work.
    title: Annotated[TitleStr, NotNull] = None  # type: ignore[assignment]
    isbn: Annotated[IsbnStr, NotNull] = None  # type: ignore[assignment]
    pages: Annotated[PagesInt, NotNull] = None  # type: ignore[assignment]
    price: Annotated[PriceInt, NotNull] = None  # type: ignore[assignment]
    publication_year: Annotated[YearInt, NotNull] = None  # type: ignore[assignment]

    model_config = ConfigDict(json_schema_extra={"examples": [{"price": 18000}]})


class BookAuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: SnowflakeId
    first_name: str
    last_name: str


BOOK_EXAMPLE: JsonDict = {
    "id": "384017951453347840",
    "title": "The Left Hand of Darkness",
    "isbn": "9780441478125",
    "pages": 304,
    "price": 15000,
    "publication_year": 1969,
    "authors": [{"id": "384017951453347841", "first_name": "Ursula", "last_name": "Le Guin"}],
    "version": 1,
}


class BookOut(BaseModel):
    id: SnowflakeId
    title: str
    isbn: str = Field(description="ISBN-13, digits only", examples=["9780441478125"])
    pages: int
    price: int = Field(description="Whole Korean won")
    publication_year: int
    authors: list[BookAuthorOut] = Field(
        description=f"All its authors, in their order: a book has at most {MAX_AUTHORS_PER_BOOK}"
    )
    version: int = Field(description="Starts at 1; grows by one with every change", examples=[1])

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [BOOK_EXAMPLE]},
    )


class BookListItem(BookOut):
    """A book in a list, with the ETag a GET of it would answer."""

    etag: EtagField

    model_config = ConfigDict(
        json_schema_extra={"examples": [BOOK_EXAMPLE | {"etag": '"1-5d41402abc4b"'}]}
    )
