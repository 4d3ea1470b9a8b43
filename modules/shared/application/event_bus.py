"""The in-process event bus: after a unit of work commits, its events reach the handlers.

The surface is deliberately narrow - `subscribe` and `publish` - so that a durable outbox
can later sit underneath without touching the contexts.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar

from modules.shared.domain.events import DomainEvent

logger = logging.getLogger(__name__)

E = TypeVar("E", bound=DomainEvent)
EventHandler = Callable[[E], Awaitable[None]]


class EventPublisher(Protocol):
    async def publish(self, events: Sequence[DomainEvent]) -> None: ...


class InProcessEventBus:
    def __init__(self) -> None:
        self._handlers: dict[type[DomainEvent], list[EventHandler]] = defaultdict(list)  # type: ignore[type-arg]

    def subscribe(self, event_type: type[E], handler: EventHandler[E]) -> None:
        self._handlers[event_type].append(handler)

    def handlers_for(self, event_type: type[DomainEvent]) -> list[EventHandler]:  # type: ignore[type-arg]
        return list(self._handlers.get(event_type, ()))

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Run every handler of every event, in order, each in its own unit of work.

        The change that raised the events is already committed, so a failing handler must
        not turn the client's answer into an error: it is logged, and the other handlers
        still run. (Making such a failure recoverable is the outbox's job.)
        """
        for event in events:
            for handler in self._handlers.get(type(event), ()):
                try:
                    await handler(event)
                except Exception:
                    logger.exception(
                        "event handler %s failed for %s %s",
                        getattr(handler, "__qualname__", handler),
                        type(event).__name__,
                        event.event_id,
                    )
