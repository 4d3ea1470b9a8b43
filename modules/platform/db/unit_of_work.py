"""A unit of work on SQLAlchemy's AsyncSession, one per context.

On commit, the events the aggregates recorded are written to the context's outbox in the
same transaction as the change - both are stored, or neither - and handed to the
publisher once the commit has succeeded. So is the outcome of an Idempotency-Key whose
request creates an aggregate (see db/idempotency.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from modules.kernel.aggregate import AggregateRoot
from modules.kernel.errors import ConcurrentModification
from modules.kernel.events import DomainEvent
from modules.kernel.unit_of_work import UniqueConstraintViolated
from modules.platform.db.idempotency import record_creation
from modules.platform.events.bus import EventPublisher
from modules.platform.events.outbox import OutboxStore


class SqlAlchemyUnitOfWork:
    """Opens a fresh session on every `async with`, so one instance may be reused in turn.

    Subclasses build their repositories on the session in `_open_repositories` and return
    the aggregates those handed out from `_seen_aggregates`: the events are collected from
    them.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        outbox: OutboxStore,
        event_publisher: EventPublisher,
    ) -> None:
        self._session_factory = session_factory
        self._outbox = outbox
        self._event_publisher = event_publisher
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._session

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already open")
        self._session = self._session_factory()
        self._open_repositories(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()  # rolls back whatever was not committed

    async def commit(self) -> None:
        pairs = self._collect_events()
        created = [o for o in self.session.new if isinstance(o, AggregateRoot)]
        try:
            await self.session.flush()
            if pairs:
                await self._outbox.stage(self.session, pairs)
            await record_creation(self.session, created)
            await self.session.commit()
        except IntegrityError as error:
            await self.session.rollback()
            raise UniqueConstraintViolated(str(error.orig)) from error
        except StaleDataError as error:
            await self.session.rollback()
            raise ConcurrentModification(
                "the resource was changed by another request; read it again and retry"
            ) from error
        # The connection is back in the pool by now: handlers open their own units of work.
        if pairs:
            await self._event_publisher.publish([event for _, event in pairs])

    def _open_repositories(self, session: AsyncSession) -> None:
        raise NotImplementedError

    def _seen_aggregates(self) -> Iterable[AggregateRoot]:
        raise NotImplementedError

    def _collect_events(self) -> list[tuple[int, DomainEvent]]:
        """(aggregate id, event) pairs, in the order in which they happened."""
        pairs = [
            (aggregate.id, event)
            for aggregate in self._seen_aggregates()
            for event in aggregate.pull_events()
        ]
        pairs.sort(key=lambda pair: pair[1].event_id)
        return pairs
