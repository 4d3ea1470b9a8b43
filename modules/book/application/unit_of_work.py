from __future__ import annotations

from typing import Protocol

from modules.book.application.deleted_authors import DeletedAuthors
from modules.book.domain.repository import BookRepository
from modules.kernel.unit_of_work import UnitOfWork


class BookUnitOfWork(UnitOfWork, Protocol):
    books: BookRepository
    deleted_authors: DeletedAuthors  # authors a book may no longer name
