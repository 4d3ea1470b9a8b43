from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

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


_TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def statements_run(container: Container) -> Iterator[list[str]]:
    """The SQL statements run while the block runs, transaction control left out: those
    through the engine, and the read side's (which on PostgreSQL bypass it)."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(_TRANSACTION_CONTROL):
            seen.append(statement)

    engine = container.engine().sync_engine
    read_database = container.read_database()
    read_database.listeners.append(seen.append)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
        read_database.listeners.remove(seen.append)
