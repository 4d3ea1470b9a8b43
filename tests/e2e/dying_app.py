"""The app, with units of work that stop forever at one point of a commit: for the tests
that kill -9 a server there. The point is the environment's HANG_AT:

* before-commit: the rows are written (flushed) in the open transaction, not committed;
* after-commit: the commit is done, the answer not yet sent.

On reaching it, the server touches the file HANG_MARKER, so the test knows when to kill.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from dependency_injector import providers

from app import app
from modules.author.infrastructure.unit_of_work import SqlAlchemyAuthorUnitOfWork
from modules.book.infrastructure.unit_of_work import SqlAlchemyBookUnitOfWork
from modules.platform.db.unit_of_work import SqlAlchemyUnitOfWork

HANG_AT = os.environ["HANG_AT"]
assert HANG_AT in ("before-commit", "after-commit"), HANG_AT


async def hang() -> None:
    await asyncio.to_thread(Path(os.environ["HANG_MARKER"]).touch)
    await asyncio.Event().wait()


class Hangs(SqlAlchemyUnitOfWork):
    async def commit(self) -> None:
        if HANG_AT == "before-commit":
            await self.session.flush()
        else:
            await super().commit()
        await hang()


class HangingAuthorUnitOfWork(Hangs, SqlAlchemyAuthorUnitOfWork):
    pass


class HangingBookUnitOfWork(Hangs, SqlAlchemyBookUnitOfWork):
    pass


container = app.state.container
for provider, cls in (
    (container.author_uow, HangingAuthorUnitOfWork),
    (container.book_uow, HangingBookUnitOfWork),
):
    provider.override(
        providers.Factory(
            cls,
            session_factory=container.write_sessions,
            outbox=container.outbox,
            event_publisher=container.relay,
        )
    )
