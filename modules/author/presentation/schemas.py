"""Author's HTTP schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, computed_field
from pydantic.config import JsonDict

from modules.author.application.queries import RECENT_BOOKS
from modules.author.domain.value_objects import FirstName, LastName
from modules.platform.http.conditional import EtagField
from modules.platform.http.schemas import (
    Integral,
    NotNull,
    SnowflakeId,
    Storable,
    StrictInput,
    domain_rule,
)

# Blank names are refused with every other field error of the request (domain_rule).
NameStr = Annotated[str, StringConstraints(min_length=1, max_length=100), Storable]
FirstNameStr = Annotated[
    NameStr, domain_rule(FirstName), Field(description="Not blank", examples=["Ursula"])
]
LastNameStr = Annotated[
    NameStr, domain_rule(LastName), Field(description="Not blank", examples=["Le Guin"])
]
# A name to look up exactly: trimmed as the domain trims names, so never blank.
ExactName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), Storable
]
AgeInt = Annotated[Annotated[StrictInt, Field(ge=1, le=150), Integral], Field(examples=[88])]
BiographyStr = Annotated[str, StringConstraints(max_length=3000), Storable]


class AuthorCreate(StrictInput):
    first_name: FirstNameStr
    last_name: LastNameStr
    age: AgeInt
    biography: BiographyStr | None = Field(
        default=None, examples=["American author of speculative fiction."]
    )


class AuthorPatch(StrictInput):
    """Any subset of the fields; `biography: null` clears the biography."""

    # A field left out is None and unchanged; NotNull refuses an explicit null. The
    # ignores: a None default on a type that refuses None is what makes that work.
    first_name: Annotated[FirstNameStr, NotNull] = None  # type: ignore[assignment]
    last_name: Annotated[LastNameStr, NotNull] = None  # type: ignore[assignment]
    age: Annotated[AgeInt, NotNull] = None  # type: ignore[assignment]
    biography: BiographyStr | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"age": 89}]})


class AuthorBookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: SnowflakeId
    title: str


AUTHOR_EXAMPLE: JsonDict = {
    "id": "384017951453347841",
    "first_name": "Ursula",
    "last_name": "Le Guin",
    "age": 88,
    "biography": "American author of speculative fiction.",
    "books": [{"id": "384017951453347840", "title": "The Left Hand of Darkness"}],
    "books_total": 1,
    "version": 2,
    "books_url": "/books?author_id=384017951453347841",
}


class AuthorOut(BaseModel):
    id: SnowflakeId
    first_name: str
    last_name: str
    age: int
    biography: str | None
    books: list[AuthorBookOut] = Field(
        description=(
            f"The author's newest books (highest ids), at most {RECENT_BOOKS}, in id order; "
            "`books_url` pages through all of them"
        ),
        max_length=RECENT_BOOKS,
    )
    books_total: int = Field(description="How many books the author has", ge=0, examples=[1])
    version: int = Field(description="Starts at 1; grows by one with every change", examples=[1])

    @computed_field(  # type: ignore[prop-decorator]
        description="Every book of the author, a page at a time (`GET /books?author_id=`)",
        examples=["/books?author_id=384017951453347841"],
    )
    @property
    def books_url(self) -> str:
        return f"/books?author_id={self.id}"

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [AUTHOR_EXAMPLE]},
    )


class AuthorListItem(AuthorOut):
    """An author in a list, with the ETag a GET of them would answer."""

    etag: EtagField

    model_config = ConfigDict(
        json_schema_extra={"examples": [AUTHOR_EXAMPLE | {"etag": '"2-5d41402abc4b"'}]}
    )
