from __future__ import annotations

from modules.author.application.use_cases.create_author import CreateAuthorCommand
from modules.book.application.use_cases.create_book import CreateBookCommand
from modules.container import Container

# Valid ISBN-13s (978 prefix, checksums computed), one per call.
_counter = iter(range(10**8))


def next_isbn() -> str:
    body = f"978{next(_counter) % 10**9:09d}"
    total = sum((1 if i % 2 == 0 else 3) * int(d) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


async def create_author(
    container: Container, first_name: str = "Ursula", last_name: str = "Le Guin"
) -> int:
    return await container.create_author()(
        CreateAuthorCommand(first_name=first_name, last_name=last_name, age=50)
    )


async def create_book(
    container: Container,
    title: str = "A Book",
    author_ids: list[int] | None = None,
    isbn: str | None = None,
) -> int:
    return await container.create_book()(
        CreateBookCommand(
            title=title,
            isbn=isbn or next_isbn(),
            pages=100,
            price=10_000,
            publication_year=2001,
            author_ids=author_ids or [],
        )
    )
