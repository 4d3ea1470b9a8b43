from __future__ import annotations

from dataclasses import dataclass, field

from modules.book.application.ports import AuthorDirectory
from modules.book.application.unit_of_work import BookUnitOfWork
from modules.book.domain.book import Book
from modules.book.domain.errors import DuplicateIsbn, UnknownAuthors
from modules.book.domain.value_objects import Isbn, Pages, Price, PublicationYear, Title
from modules.kernel.unit_of_work import UniqueConstraintViolated


@dataclass(frozen=True, slots=True)
class CreateBookCommand:
    title: str
    isbn: str
    pages: int
    price: int
    publication_year: int
    author_ids: list[int] = field(default_factory=list)


class CreateBook:
    def __init__(self, uow: BookUnitOfWork, authors: AuthorDirectory) -> None:
        self._uow = uow
        self._authors = authors

    async def __call__(self, command: CreateBookCommand) -> int:
        isbn = Isbn(command.isbn)
        title = Title(command.title)
        pages = Pages(command.pages)
        price = Price(command.price)
        year = PublicationYear(command.publication_year)
        if command.author_ids:
            known = await self._authors.existing(command.author_ids)
            unknown = [a for a in dict.fromkeys(command.author_ids) if a not in known]
            if unknown:
                raise UnknownAuthors(unknown)

        async with self._uow as uow:
            # As in AddAuthorToBook: authors deleted since the check above (ADR 0011).
            deleted = await uow.deleted_authors.among(command.author_ids)
            if deleted:
                raise UnknownAuthors([a for a in dict.fromkeys(command.author_ids) if a in deleted])
            book = Book.create(
                title=title,
                isbn=isbn,
                pages=pages,
                price=price,
                publication_year=year,
                author_ids=command.author_ids,
            )
            uow.books.add(book)
            try:
                await uow.commit()
            except UniqueConstraintViolated:  # the ISBN's unique index: it is taken
                raise DuplicateIsbn(isbn.value, await uow.books.holder_of(isbn)) from None
        return book.id
