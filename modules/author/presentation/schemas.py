"""Author's HTTP schemas."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from modules.shared.presentation.schemas import (
    NotNull,
    SnowflakeId,
    StrictInput,
    text,
    whole_number,
)

NameStr = text(min_length=1, max_length=100)
AgeInt = Annotated[whole_number(ge=1, le=150), Field(examples=[88])]
BiographyStr = text(max_length=3000)


class AuthorCreate(StrictInput):
    first_name: NameStr = Field(examples=["Ursula"])
    last_name: NameStr = Field(examples=["Le Guin"])
    age: AgeInt
    biography: BiographyStr | None = Field(
        default=None, examples=["American author of speculative fiction."]
    )


class AuthorPatch(StrictInput):
    """Any subset of the fields; `biography: null` clears the biography."""

    first_name: Annotated[NameStr, NotNull] = None  # type: ignore[assignment]
    last_name: Annotated[NameStr, NotNull] = None  # type: ignore[assignment]
    age: Annotated[AgeInt, NotNull] = None  # type: ignore[assignment]
    biography: BiographyStr | None = None

    model_config = ConfigDict(json_schema_extra={"examples": [{"age": 89}]})


class AuthorBookOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: SnowflakeId
    title: str


class AuthorOut(BaseModel):
    id: SnowflakeId
    first_name: str
    last_name: str
    age: int
    biography: str | None
    books: list[AuthorBookOut]
    version: int = Field(description="Starts at 1; grows by one with every change", examples=[1])

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "384017951453347841",
                    "first_name": "Ursula",
                    "last_name": "Le Guin",
                    "age": 88,
                    "biography": "American author of speculative fiction.",
                    "books": [{"id": "384017951453347840", "title": "The Left Hand of Darkness"}],
                    "version": 2,
                }
            ]
        },
    )
