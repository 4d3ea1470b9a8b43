"""The composition root: the platform's providers, and every context plugged into them.

Each context declares itself in its own `context.py` (modules/contexts.py lists them);
`build_container` puts the platform and each context's providers into one container,
connects the ports contexts export to those that need them, and `subscribe_event_handlers`
lets each context's handlers follow the events it subscribes to.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from dependency_injector import containers, providers
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from modules.contexts import CONTEXTS
from modules.kernel.events import DomainEvent
from modules.kernel.identity import SnowflakeGenerator, use_generator
from modules.platform.bounded_context import BoundedContext
from modules.platform.db.database import WRITE_INTENT, autogenerate_filter, create_engine
from modules.platform.db.idempotency import IdempotencyStore
from modules.platform.db.read_database import create_read_database
from modules.platform.db.worker_ids import LeasedIdGenerator, WorkerIdLease
from modules.platform.events.bus import InProcessEventBus
from modules.platform.events.nats_broker import (
    PUBLISHER_NAME,
    NatsConnection,
    NatsEventConsumer,
    NatsEventPublisher,
)
from modules.platform.events.outbox import OutboxPolicy, OutboxStore
from modules.platform.events.relay import OutboxRelay
from modules.platform.settings import Settings

# What `build_container` returns: the platform's providers and every context's, by name.
Container = containers.Container


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


class Platform(containers.DeclarativeContainer):
    """What runs every context; it knows none of them."""

    settings = providers.Dependency(instance_of=Settings)
    # Each published event type -> the outbox table of the context that records it.
    outbox_of = providers.Dependency(instance_of=dict)

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
    # The worker-id lease is renewed on a connection of its own: a pool busy with
    # requests must not let a live process's lease lapse.
    lease_engine = providers.Singleton(
        create_engine,
        url=settings.provided.database_url,
        pool_size=1,
        max_overflow=0,
        pool_timeout=settings.provided.db_pool_timeout_seconds,
        statement_timeout=settings.provided.db_statement_timeout_seconds,
    )
    worker_id_lease = providers.Singleton(
        WorkerIdLease, lease_engine, ttl_seconds=settings.provided.worker_id_lease_seconds
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
        outbox_of=outbox_of,
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


def outbox_tables(contexts: Iterable[BoundedContext]) -> dict[type[DomainEvent], Table]:
    """Each event type goes to the outbox of the context that records it."""
    for context in contexts:
        if context.publishes and context.outbox is None:
            raise ValueError(f"{context.name} publishes events but declares no outbox for them")
    return {
        event: context.outbox
        for context in contexts
        if context.outbox is not None
        for event in context.publishes
    }


PUBLISHED_EVENTS = tuple(outbox_tables(CONTEXTS))
# Alembic's filter: what the contexts' migrations keep that no mapping declares.
_migration_only = autogenerate_filter(
    {table for context in CONTEXTS for table in context.migration_only_tables}
)
# The platform's filter knows those tables and the trigram indexes; Book's title search
# index (migration 0014) is a GIN index over a function of the title that no mapping
# declares either.
_MIGRATION_ONLY_INDEXES = frozenset({"ix_books_title_pieces"})


def include_in_autogenerate(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "index" and name in _MIGRATION_ONLY_INDEXES:
        return False
    return _migration_only(obj, name, type_, reflected, compare_to)


def build_container(settings: Settings, contexts: Iterable[BoundedContext] = CONTEXTS) -> Container:
    """The platform and every context's providers in one container, each under its own
    name (a name two contexts share is an error), so tests override any of them alike."""
    contexts = tuple(contexts)
    container = Platform(settings=settings, outbox_of=outbox_tables(contexts))
    ports: list[tuple[BoundedContext, str, providers.Dependency[Any]]] = []
    for context in contexts:
        own = context.providers(platform=container)
        for name, provider in own.providers.items():
            if isinstance(provider, providers.DependenciesContainer):
                continue
            if isinstance(provider, providers.Dependency):
                ports.append((context, name, provider))
            elif name in container.providers:
                raise ValueError(f"{context.name} redefines the provider {name!r}")
            else:
                container.set_provider(name, provider)
    exported = {name for context in contexts for name in context.exports}
    for context, name, port in ports:
        if name not in exported:
            raise ValueError(f"{context.name} needs {name!r}, which no context exports")
        port.override(container.providers[name])
    return container


async def take_worker_id(container: Container) -> Callable[[], Awaitable[None]]:
    """Give this process - after any fork - a Snowflake worker id of its own: fixed by
    SNOWFLAKE_WORKER_ID, or leased in the database while the process lives. Every process
    that makes ids (a server worker, the event consumer) calls it; it returns what gives
    the id back."""
    settings: Settings = container.settings()
    if settings.snowflake_worker_id is not None:
        use_generator(SnowflakeGenerator(settings.snowflake_worker_id))

        async def keep() -> None:
            return None

        return keep
    leased: LeasedIdGenerator = container.leased_ids()
    await leased.start()

    async def give_back() -> None:
        await leased.stop()
        await container.lease_engine().dispose()

    return give_back


def start_mappers(contexts: Iterable[BoundedContext] = CONTEXTS) -> None:
    for context in contexts:
        context.start_mappers()


def subscribe_event_handlers(
    container: Container,
    *,
    consumer: bool = False,
    contexts: Iterable[BoundedContext] = CONTEXTS,
) -> None:
    """Who reacts to which event, in this process.

    Each context's handlers follow the events it subscribes to, here unless
    EVENT_HANDLERS=broker, where the `consume-events` process (consumer=True) runs them
    from the stream instead. With a broker, a server also publishes every event to it. A
    handler is built per event, from the container, so a test's `override` of a handler or
    a unit of work takes effect."""
    contexts = tuple(contexts)
    settings: Settings = container.settings()
    bus = container.event_bus()

    def per_event(provider: providers.Provider[Any]) -> Callable[[Any], Awaitable[None]]:
        async def handle(event: Any) -> None:
            await provider()(event)

        return handle

    if consumer or settings.event_handlers == "in-process":
        for context in contexts:
            for subscription in context.subscribes:
                provider = container.providers[subscription.handler]
                assert isinstance(provider, providers.Factory), subscription
                bus.subscribe(subscription.event, per_event(provider), name=provider.cls.name)
    if settings.event_broker_url and not consumer:
        for event_type in outbox_tables(contexts):
            bus.subscribe(event_type, per_event(container.nats_publisher), name=PUBLISHER_NAME)
