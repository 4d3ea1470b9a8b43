"""Classical (imperative) mapping of Author's plain dataclasses onto its tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import composite, relationship

from modules.author.domain.author import Author, AuthorBook
from modules.author.domain.value_objects import Age, Biography, FirstName, LastName
from modules.author.infrastructure.tables import author_books, authors
from modules.kernel.text import folded
from modules.platform.db.database import mapper_registry


def start_author_mappers() -> None:
    """Map once per process; calling again is harmless."""
    if getattr(Author, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(AuthorBook, author_books)
    mapper_registry.map_imperatively(
        Author,
        authors,
        column_prefix="_",
        properties={
            "id": authors.c.id,
            "version": authors.c.version,
            "book_count": authors.c.book_count,
            "first_name": composite(FirstName, authors.c.first_name),
            "last_name": composite(LastName, authors.c.last_name),
            "age": composite(Age, authors.c.age),
            "biography": composite(
                Biography,
                authors.c.biography,
                # a NULL column is no biography at all, not Biography(None)
                return_none_on=lambda value: value is None,
            ),
            "books": relationship(
                AuthorBook,
                lazy="selectin",
                order_by=author_books.c.book_id,
                cascade="all, delete-orphan",
                passive_deletes=True,
            ),
        },
        version_id_col=authors.c.version,
        version_id_generator=False,
    )
    event.listen(Author, "before_insert", _fold_names)
    event.listen(Author, "before_update", _fold_names)


def _fold_names(_mapper: Any, _connection: Any, author: Author) -> None:
    """Store the names as searches compare them; unchanged ones are not written again."""
    author._first_name_folded = folded(author.first_name.value)  # type: ignore[attr-defined]
    author._last_name_folded = folded(author.last_name.value)  # type: ignore[attr-defined]
