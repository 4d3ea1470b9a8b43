"""Author's value objects."""

from __future__ import annotations

from dataclasses import dataclass

from modules.kernel.errors import InvalidValue
from modules.kernel.text import normalised


def _clean_name(field: str, value: str) -> str:
    text = normalised(value)  # trimmed, in NFC
    if not text:
        raise InvalidValue(field, f"{field} must not be blank")
    if len(text) > 100:
        raise InvalidValue(field, f"{field} must be at most 100 characters")
    return text


@dataclass(frozen=True, slots=True)
class FirstName:
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _clean_name("first_name", self.value))


@dataclass(frozen=True, slots=True)
class LastName:
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _clean_name("last_name", self.value))


@dataclass(frozen=True, slots=True)
class Age:
    value: int

    def __post_init__(self) -> None:
        if not 1 <= self.value <= 150:
            raise InvalidValue("age", "age must be between 1 and 150")


@dataclass(frozen=True, slots=True)
class Biography:
    value: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", normalised(self.value))
        if len(self.value) > 3000:
            raise InvalidValue("biography", "biography must be at most 3000 characters")
