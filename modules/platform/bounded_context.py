"""How a bounded context declares itself to the composition root.

Each context has a `context.py` that builds one `BoundedContext`; `modules/contexts.py`
lists them, and the root (app, container, migrations, tests) walks that list. Adding a
context is a package of its own, one line in the list and one migration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dependency_injector import containers
from fastapi import APIRouter
from sqlalchemy import Table

from modules.kernel.events import DomainEvent


@dataclass(frozen=True)
class Subscription:
    """`handler` - a provider of the context's container - reacts to every `event`."""

    event: type[DomainEvent]
    handler: str


@dataclass(frozen=True)
class BoundedContext:
    name: str
    # Its use cases, queries and handlers. A `platform = DependenciesContainer()` in it
    # receives the root's providers; a `Dependency()` is a port another context exports.
    providers: type[containers.DeclarativeContainer]
    router: APIRouter
    start_mappers: Callable[[], None]
    # The events it records, stored in its own outbox table in the same transaction.
    publishes: tuple[type[DomainEvent], ...] = ()
    outbox: Table | None = None
    subscribes: tuple[Subscription, ...] = ()
    # Providers other contexts may use as ports, by the same name.
    exports: tuple[str, ...] = ()
    # Tables its migrations make and SQL keeps (triggers), which no mapping declares.
    migration_only_tables: tuple[str, ...] = ()
