"""The composition root: the only module that knows every context and wires them together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from dependency_injector import containers, providers
from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from modules.author.application.event_handlers.when_author_added_to_book_add_book_to_author import (
    WhenAuthorAddedToBookAddBookToAuthor,
)
from modules.author.application.event_handlers.when_author_removed_from_book_remove_book_from_author import (  # noqa: E501
    WhenAuthorRemovedFromBookRemoveBookFromAuthor,
)
from modules.author.application.event_handlers.when_book_deleted_remove_it_from_its_authors import (
    WhenBookDeletedRemoveItFromItsAuthors,
)
from modules.author.application.use_cases.create_author import CreateAuthor
from modules.author.application.use_cases.delete_author import DeleteAuthor
from modules.author.application.use_cases.update_author import UpdateAuthor
from modules.author.domain.events import AuthorDeleted
from modules.author.infrastructure.mapping import start_author_mappers
from modules.author.infrastructure.queries import SqlAuthorDirectory, SqlAuthorQueries
from modules.author.infrastructure.tables import author_outbox
from modules.author.infrastructure.unit_of_work import SqlAlchemyAuthorUnitOfWork
from modules.book.application.event_handlers.when_author_deleted_remove_them_from_their_books import (  # noqa: E501
    WhenAuthorDeletedRemoveThemFromTheirBooks,
)
from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.book.infrastructure.mapping import start_book_mappers
from modules.book.infrastructure.queries import SqlBookQueries
from modules.book.infrastructure.tables import book_outbox
from modules.book.infrastructure.unit_of_work import SqlAlchemyBookUnitOfWork
from modules.shared.application.event_bus import InProcessEventBus
from modules.shared.infrastructure.database import WRITE_INTENT, create_engine
from modules.shared.infrastructure.idempotency import IdempotencyStore
from modules.shared.infrastructure.nats_broker import (
    PUBLISHER_NAME,
    NatsConnection,
    NatsEventConsumer,
    NatsEventPublisher,
)
from modules.shared.infrastructure.outbox import OutboxPolicy, OutboxRelay, OutboxStore
from modules.shared.infrastructure.read_database import create_read_database
from modules.shared.infrastructure.settings import Settings
from modules.shared.infrastructure.worker_ids import LeasedIdGenerator, WorkerIdLease

# Each event type goes to the outbox of the context that raises it.
OUTBOX_OF = {
    AuthorAddedToBook: book_outbox,
    AuthorRemovedFromBook: book_outbox,
    BookDeleted: book_outbox,
    AuthorDeleted: author_outbox,
}
PUBLISHED_EVENTS = tuple(OUTBOX_OF)


def _read_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine for reads that serve the write side (does this author exist?). On
    PostgreSQL its connections run in autocommit: a query sees committed data as of each
    statement - what READ COMMITTED would give it anyway - without the BEGIN and ROLLBACK
    round trips around every read. Same pool; writes keep their transactions."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def _write_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # expire_on_commit=False: aggregates stay readable after commit (no lazy I/O in async code).
    return async_sessionmaker(
        engine.execution_options(**{WRITE_INTENT: True}),
        expire_on_commit=False,
        autoflush=False,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    # --- infrastructure shared by both contexts ---
    engine = providers.Singleton(
        create_engine,
        url=settings.provided.database_url,
        pool_size=settings.provided.db_pool_size,
        max_overflow=settings.provided.db_max_overflow,
        pool_timeout=settings.provided.db_pool_timeout_seconds,
        statement_timeout=settings.provided.db_statement_timeout_seconds,
        echo=settings.provided.db_echo,
    )
    read_engine = providers.Singleton(_read_engine, engine)
    # The query side's own path to the database (raw asyncpg on PostgreSQL).
    read_database = providers.Singleton(
        create_read_database,
        engine,
        pool_size=settings.provided.db_read_pool_size,
        pool_timeout=settings.provided.db_pool_timeout_seconds,
        statement_timeout=settings.provided.db_statement_timeout_seconds,
        echo=settings.provided.db_echo,
    )
    write_sessions = providers.Singleton(_write_session_factory, engine)
    worker_id_lease = providers.Singleton(
        WorkerIdLease, engine, ttl_seconds=settings.provided.worker_id_lease_seconds
    )
    leased_ids = providers.Singleton(LeasedIdGenerator, worker_id_lease)
    event_bus = providers.Singleton(InProcessEventBus)
    idempotency_store = providers.Singleton(
        IdempotencyStore,
        engine,
        ttl_seconds=settings.provided.idempotency_key_ttl_seconds,
        lock_seconds=settings.provided.idempotency_lock_seconds,
    )
    outbox_policy = providers.Singleton(
        OutboxPolicy,
        lease_seconds=settings.provided.outbox_lease_seconds,
        max_attempts=settings.provided.outbox_max_attempts,
        backoff_base_seconds=settings.provided.outbox_backoff_base_seconds,
        backoff_max_seconds=settings.provided.outbox_backoff_max_seconds,
        batch_size=settings.provided.outbox_batch_size,
    )
    outbox = providers.Singleton(
        OutboxStore,
        engine,
        outbox_of=providers.Object(OUTBOX_OF),
        policy=outbox_policy,
        lease_staged_rows=settings.provided.event_inline_delivery,
    )
    nats = providers.Singleton(
        NatsConnection,
        url=settings.provided.event_broker_url,
        stream=settings.provided.event_broker_stream,
        subject_prefix=settings.provided.event_broker_subject_prefix,
    )
    nats_publisher = providers.Factory(
        NatsEventPublisher, nats, serializer=outbox.provided.serializer
    )
    nats_consumer = providers.Factory(
        NatsEventConsumer, nats, serializer=outbox.provided.serializer, bus=event_bus
    )
    relay = providers.Singleton(
        OutboxRelay,
        outbox,
        event_bus,
        inline_delivery=settings.provided.event_inline_delivery,
        inline_wait_seconds=settings.provided.event_inline_wait_seconds,
        poll_interval_seconds=settings.provided.outbox_poll_interval_seconds,
        stats_interval_seconds=settings.provided.outbox_stats_interval_seconds,
        concurrency=settings.provided.outbox_relay_concurrency,
    )

    # --- Author context ---
    author_uow = providers.Factory(
        SqlAlchemyAuthorUnitOfWork, session_factory=write_sessions, outbox=outbox, publisher=relay
    )
    author_directory = providers.Singleton(SqlAuthorDirectory, read_engine)
    author_queries = providers.Singleton(SqlAuthorQueries, read_database)
    create_author = providers.Factory(CreateAuthor, uow=author_uow)
    update_author = providers.Factory(UpdateAuthor, uow=author_uow)
    delete_author = providers.Factory(DeleteAuthor, uow=author_uow)
    when_author_added_to_book = providers.Factory(
        WhenAuthorAddedToBookAddBookToAuthor, uow=author_uow
    )
    when_author_removed_from_book = providers.Factory(
        WhenAuthorRemovedFromBookRemoveBookFromAuthor, uow=author_uow
    )
    when_book_deleted = providers.Factory(WhenBookDeletedRemoveItFromItsAuthors, uow=author_uow)

    # --- Book context ---
    book_uow = providers.Factory(
        SqlAlchemyBookUnitOfWork, session_factory=write_sessions, outbox=outbox, publisher=relay
    )
    book_queries = providers.Singleton(SqlBookQueries, read_database)
    create_book = providers.Factory(CreateBook, uow=book_uow, authors=author_directory)
    update_book = providers.Factory(UpdateBook, uow=book_uow)
    delete_book = providers.Factory(DeleteBook, uow=book_uow)
    add_author_to_book = providers.Factory(AddAuthorToBook, uow=book_uow, authors=author_directory)
    remove_author_from_book = providers.Factory(RemoveAuthorFromBook, uow=book_uow)
    when_author_deleted = providers.Factory(WhenAuthorDeletedRemoveThemFromTheirBooks, uow=book_uow)


def start_mappers() -> None:
    start_book_mappers()
    start_author_mappers()


def subscribe_event_handlers(container: Container, *, consumer: bool = False) -> None:
    """Who reacts to which event, in this process.

    Book's events reach Author's handlers, and Author's AuthorDeleted reaches Book's, here
    unless EVENT_HANDLERS=broker, where the `consume-events` process (consumer=True) runs
    them from the stream instead. With a
    broker, a server also publishes every event to it. A handler is built per event, from
    the container, so a test's `override` of a handler or a unit of work takes effect."""
    settings: Settings = container.settings()
    bus = container.event_bus()

    def per_event(provider: providers.Factory[Any]) -> Callable[[Any], Awaitable[None]]:
        async def handle(event: Any) -> None:
            await provider()(event)

        return handle

    if consumer or settings.event_handlers == "in-process":
        for event_type, provider in (
            (AuthorAddedToBook, container.when_author_added_to_book),
            (AuthorRemovedFromBook, container.when_author_removed_from_book),
            (BookDeleted, container.when_book_deleted),
            (AuthorDeleted, container.when_author_deleted),
        ):
            bus.subscribe(event_type, per_event(provider), name=provider.cls.name)
    if settings.event_broker_url and not consumer:
        for event_type in PUBLISHED_EVENTS:
            bus.subscribe(event_type, per_event(container.nats_publisher), name=PUBLISHER_NAME)


def provide(provider: providers.Provider[Any]) -> Any:
    """`Depends` on a provider of the app's container.

    Routers name the provider on the Container class (`provide(Container.create_book)`);
    the request's app resolves it on its own container instance, so each app - and each
    test's overrides - is honoured. This async resolver replaces `Depends(Provide[...])`,
    whose sync marker FastAPI would run on the thread pool for every request.
    """
    name = next(n for n, p in Container.providers.items() if p is provider)

    async def resolve(request: Request) -> Any:
        return getattr(request.app.state.container, name)()

    resolve.__name__ = f"provide_{name}"
    return Depends(resolve)
