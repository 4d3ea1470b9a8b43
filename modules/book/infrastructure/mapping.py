"""Classical (imperative) mapping of Book's plain dataclasses onto its tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import composite, relationship

from modules.book.domain.book import Book, BookAuthor
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.book.infrastructure.tables import book_authors, books
from modules.kernel.text import folded
from modules.platform.db.database import mapper_registry


def start_book_mappers() -> None:
    """Map once per process; calling again is harmless."""
    if getattr(Book, "__mapper__", None) is not None:
        return
    mapper_registry.map_imperatively(BookAuthor, book_authors)
    mapper_registry.map_imperatively(
        Book,
        books,
        # The aggregate keeps each value object; the columns hide behind underscored names.
        column_prefix="_",
        properties={
            "id": books.c.id,
            "version": books.c.version,
            "title": composite(Title, books.c.title),
            "isbn": composite(Isbn, books.c.isbn),
            "pages": composite(Pages, books.c.pages),
            "price": composite(Price, books.c.price),
            "publication_year": composite(PublicationYear, books.c.publication_year),
            "authors": relationship(
                BookAuthor,
                lazy="selectin",
                order_by=book_authors.c.position,
                cascade="all, delete-orphan",
                passive_deletes=True,
            ),
        },
        # The aggregate bumps its own version; the ORM checks the old one on UPDATE/DELETE.
        version_id_col=books.c.version,
        version_id_generator=False,
    )
    event.listen(Book, "before_insert", _fold_title)
    event.listen(Book, "before_update", _fold_title)


def _fold_title(_mapper: Any, _connection: Any, book: Book) -> None:
    """Store the title as searches compare it; an unchanged one is not written again."""
    book._title_folded = folded(book.title.value)  # type: ignore[attr-defined]
