"""What Book tells the world. This module is Book's published language: other contexts
may import these events (and nothing else from Book) to react to them.

Each event carries `book_version`, the book's version right after the change. Delivery may
repeat events or reorder them; a consumer keeps, per book, the highest version it has
applied and ignores anything older, so it ends in the right state whatever the order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from modules.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class AuthorAddedToBook(DomainEvent):
    type_name: ClassVar[str] = "book.author_added.v1"
    former_type_names: ClassVar[tuple[str, ...]] = ("AuthorAddedToBook",)  # its class name

    book_id: int
    author_id: int
    book_version: int


@dataclass(frozen=True, kw_only=True)
class AuthorRemovedFromBook(DomainEvent):
    type_name: ClassVar[str] = "book.author_removed.v1"
    former_type_names: ClassVar[tuple[str, ...]] = ("AuthorRemovedFromBook",)  # its class name

    book_id: int
    author_id: int
    book_version: int


@dataclass(frozen=True, kw_only=True)
class BookDeleted(DomainEvent):
    type_name: ClassVar[str] = "book.deleted.v1"
    former_type_names: ClassVar[tuple[str, ...]] = ("BookDeleted",)  # its class name

    book_id: int
    author_ids: tuple[int, ...]
    book_version: int
