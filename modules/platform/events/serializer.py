"""Domain events <-> (type name, JSON): how events are stored and sent."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import TypeAdapter

from modules.kernel.events import DomainEvent


class EventSerializer:
    """Domain events <-> (type name, JSON), for the event types the service knows.

    The name is the event's declared `type_name`, never its class name: it is stored in
    the outbox and put on the broker's subject, so it must outlive refactorings."""

    def __init__(self, event_types: Iterable[type[DomainEvent]]) -> None:
        self._types: dict[str, type[DomainEvent]] = {}
        for event_type in event_types:
            taken = self._types.setdefault(event_type.type_name, event_type)
            if taken is not event_type:
                raise ValueError(
                    f"{event_type.__name__} and {taken.__name__} "
                    f"share the type name {event_type.type_name}"
                )
        self._adapters = {name: TypeAdapter(t) for name, t in self._types.items()}
        self._current_name = {
            former: t.type_name for t in self._types.values() for former in t.former_type_names
        }

    def name_of(self, event: DomainEvent) -> str:
        name = event.type_name
        if self._types.get(name) is not type(event):
            raise LookupError(f"event type {name} is not registered with the serializer")
        return name

    def dump(self, event: DomainEvent) -> str:
        return self._adapters[self.name_of(event)].dump_json(event).decode()

    def load(self, name: str, payload: str) -> DomainEvent:
        """The event stored or sent under `name`, its current type name or a former one."""
        name = self._current_name.get(name, name)
        if name not in self._adapters:
            raise LookupError(f"unknown event type {name}")
        return self._adapters[name].validate_json(payload)
