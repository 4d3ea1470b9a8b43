"""The event bus: who handles which domain event, and running them for one event.

Delivery itself - when, how often, what happens on failure - belongs to the relay
(relay.py), which calls `deliver` for every event it takes out of an outbox table. The
contexts see only `subscribe` and the `EventPublisher` port their units of work hand
committed events to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from modules.kernel.events import DomainEvent

E = TypeVar("E", bound=DomainEvent)
EventHandler = Callable[[E], Awaitable[None]]


class EventPublisher(Protocol):
    """Takes the events of a transaction that has just committed."""

    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


class HandlersFailed(Exception):
    """One or more handlers of an event raised; the others ran (handlers are idempotent)."""

    def __init__(self, event: DomainEvent, failures: list[tuple[str, BaseException]]) -> None:
        self.failures = failures
        summary = "; ".join(f"{name}: {type(error).__name__}: {error}" for name, error in failures)
        super().__init__(f"{event.type_name} {event.event_id}: {summary}")


class InProcessEventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[tuple[str, EventHandler[Any]]]] = defaultdict(
            list
        )

    def subscribe(self, event_type: type[E], handler: EventHandler[E], *, name: str) -> None:
        """`name` identifies the handler in the inbox and in error reports: keep it stable."""
        self._handlers[event_type].append((name, handler))

    async def deliver(self, event: DomainEvent) -> None:
        """Run every handler of the event in turn; raise HandlersFailed if any failed."""
        failures: list[tuple[str, BaseException]] = []
        for name, handler in self._handlers.get(type(event), ()):
            try:
                await handler(event)
            except Exception as error:
                failures.append((name, error))
        if failures:
            raise HandlersFailed(event, failures)
