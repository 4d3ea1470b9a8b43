from __future__ import annotations

from modules.kernel.errors import Conflict, NotFound


class AuthorNotFound(NotFound):
    title = "Author not found"

    def __init__(self, author_id: int) -> None:
        super().__init__(f"no author with id {author_id}")
        self.author_id = author_id


class AuthorHasBooks(Conflict):
    title = "Author still has books"

    def __init__(self, author_id: int, book_count: int) -> None:
        super().__init__(
            f"author {author_id} is still an author of {book_count} book(s); "
            "remove them from those books first"
        )
