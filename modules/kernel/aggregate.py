"""The aggregate root building block."""

from __future__ import annotations

from dataclasses import dataclass

from modules.kernel.errors import VersionMismatch
from modules.kernel.events import DomainEvent


@dataclass(eq=False, kw_only=True)
class AggregateRoot:
    """An aggregate root: identity equality, a version, and the events it recorded.

    `version` starts at 1 and grows by one with every change; persistence uses it as an
    optimistic-concurrency check, and clients will see it. Events wait on the aggregate
    until the unit of work pulls them after (or, with an outbox, atomically with) commit.
    """

    id: int
    version: int = 1

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self) and isinstance(other, AggregateRoot) and other.id == self.id
        )

    def __hash__(self) -> int:
        return hash((type(self), self.id))

    def expect_version(self, expected: int | None) -> None:
        """Refuse to go on if the caller's view of this aggregate is out of date."""
        if expected is not None and expected != self.version:
            raise VersionMismatch(
                f"the resource is at version {self.version}, not {expected}: "
                "read it again, then retry"
            )

    def _changed(self) -> None:
        self.version += 1

    def _record(self, event: DomainEvent) -> None:
        # The ORM does not call __init__ when it loads an aggregate, so the list is made lazily.
        self.__dict__.setdefault("_pending_events", []).append(event)

    def pull_events(self) -> list[DomainEvent]:
        events: list[DomainEvent] = self.__dict__.pop("_pending_events", [])
        return events
