"""The unit-of-work port shared by every context."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self


class UnitOfWork(Protocol):
    """One business transaction on one context's aggregates.

    `async with uow:` opens it; `await uow.commit()` makes the change durable and then
    hands the recorded domain events on; leaving the block without commit rolls back.
    """

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


class UniqueConstraintViolated(Exception):
    """The database refused the commit on a unique constraint; the caller names the rule."""
