from __future__ import annotations

from dataclasses import dataclass

from modules.book.application.unit_of_work import BookUnitOfWork
from modules.book.domain.errors import BookNotFound, DuplicateIsbn
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.unit_of_work import UniqueConstraintViolated


@dataclass(frozen=True, slots=True)
class UpdateBookCommand:
    book_id: int
    title: str | None = None
    isbn: str | None = None
    pages: int | None = None
    price: int | None = None
    publication_year: int | None = None
    expected_version: int | None = None  # from If-Match: refuse if the book moved on


class UpdateBook:
    def __init__(self, uow: BookUnitOfWork) -> None:
        self._uow = uow

    async def __call__(self, command: UpdateBookCommand) -> None:
        title = Title(command.title) if command.title is not None else None
        isbn = Isbn(command.isbn) if command.isbn is not None else None
        pages = Pages(command.pages) if command.pages is not None else None
        price = Price(command.price) if command.price is not None else None
        year = (
            PublicationYear(command.publication_year)
            if command.publication_year is not None
            else None
        )
        async with self._uow as uow:
            book = await uow.books.get(command.book_id, for_update=True)
            if book is None:
                raise BookNotFound(command.book_id)
            book.expect_version(command.expected_version)
            if isbn is not None and isbn != book.isbn:
                holder = await uow.books.holder_of(isbn, except_book_id=book.id)
                if holder is not None:
                    raise DuplicateIsbn(isbn.value, holder)
            changed = book.revise(
                title=title, isbn=isbn, pages=pages, price=price, publication_year=year
            )
            if not changed:
                return
            try:
                await uow.commit()
            except UniqueConstraintViolated:  # a concurrent request took the ISBN first
                taken = isbn or book.isbn
                holder = await uow.books.holder_of(taken, except_book_id=command.book_id)
                raise DuplicateIsbn(taken.value, holder) from None
