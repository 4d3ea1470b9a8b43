from __future__ import annotations

from modules.kernel.errors import AlreadyTaken, Conflict, InvalidValue, NotFound


class BookNotFound(NotFound):
    title = "Book not found"

    def __init__(self, book_id: int) -> None:
        super().__init__(f"no book with id {book_id}")
        self.book_id = book_id


class DuplicateIsbn(AlreadyTaken):
    title = "Duplicate ISBN"

    def __init__(self, isbn: str, existing_id: int | None) -> None:
        holder = f"book {existing_id}" if existing_id is not None else "another book"
        super().__init__(f"{holder} already has ISBN {isbn}", existing_id=existing_id)
        self.isbn = isbn


class AuthorAlreadyOnBook(Conflict):
    title = "Author already on book"

    def __init__(self, book_id: int, author_id: int) -> None:
        super().__init__(f"author {author_id} is already an author of book {book_id}")


class TooManyAuthors(Conflict):
    title = "Too many authors"

    def __init__(self, book_id: int, limit: int) -> None:
        super().__init__(f"book {book_id} has {limit} authors already, the most a book can have")


class AuthorNotOnBook(NotFound):
    title = "Author not on book"

    def __init__(self, book_id: int, author_id: int) -> None:
        super().__init__(f"author {author_id} is not an author of book {book_id}")


class UnknownAuthors(InvalidValue):
    """author_ids named authors that do not exist (maps to 422, naming them)."""

    title = "Unknown authors"

    def __init__(self, author_ids: list[int]) -> None:
        names = ", ".join(str(a) for a in author_ids)
        super().__init__("author_ids", f"no author with id {names}")
        self.author_ids = author_ids


class AuthorNotFound(NotFound):
    """Book's own view of a missing author, as told by the author directory port."""

    title = "Author not found"

    def __init__(self, author_id: int) -> None:
        super().__init__(f"no author with id {author_id}")
