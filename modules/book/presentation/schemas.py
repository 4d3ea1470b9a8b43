"""Book's HTTP schemas: the public contract, documented with examples."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from modules.book.domain.value_objects import (
    MAX_PAGES,
    MAX_PRICE_WON,
    Isbn,
    PublicationYear,
    Title,
)
from modules.platform.http.conditional import EtagField
from modules.platform.http.schemas import (
    NotNull,
    SnowflakeId,
    StrictInput,
    domain_rule,
    text,
    whole_number,
)

# The domain's own rules run as validators too (domain_rule), so that one 422 lists every
# field error of a request: a blank title, an ISBN checksum, a year after next year.
TitleStr = Annotated[
    text(min_length=1, max_length=255),
    domain_rule(Title),
    Field(description="Not blank", examples=["The Left Hand of Darkness"]),
]
IsbnStr = Annotated[
    text(min_length=10, max_length=17),
    domain_rule(Isbn),
    Field(
        description="ISBN-10 or ISBN-13; hyphens and spaces allowed; answered as ISBN-13",
        examples=["978-0-441-47812-5"],
    ),
]
PagesInt = Annotated[whole_number(ge=1, le=MAX_PAGES), Field(examples=[304])]
PriceInt = Annotated[
    whole_number(ge=0, le=MAX_PRICE_WON),
    Field(description="Whole Korean won", examples=[15000]),
]
YearInt = Annotated[
    whole_number(ge=1, le=9999),
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
        max_length=50,
        description="Existing authors of the book; unknown ids are refused (422)",
    )


class BookPatch(StrictInput):
    """Any subset of the fields; those left out keep their value."""

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


BOOK_EXAMPLE = {
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
    authors: list[BookAuthorOut]
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
