"""What Book tells the world. This module is Book's published language: other contexts
may import these events (and nothing else from Book) to react to them."""

from __future__ import annotations

from dataclasses import dataclass

from modules.shared.domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class AuthorAddedToBook(DomainEvent):
    book_id: int
    author_id: int


@dataclass(frozen=True, kw_only=True)
class AuthorRemovedFromBook(DomainEvent):
    book_id: int
    author_id: int


@dataclass(frozen=True, kw_only=True)
class BookDeleted(DomainEvent):
    book_id: int
    author_ids: tuple[int, ...]
