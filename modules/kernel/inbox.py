"""The inbox port: makes an event handler take effect at most once per event."""

from __future__ import annotations

from typing import Protocol


class Inbox(Protocol):
    """Lives in the handler's unit of work, so the record commits with the handler's change."""

    async def record(self, event_id: int, handler: str) -> bool:
        """Record that `handler` applies the event; False, recording nothing, if it has
        already (a delivery racing this one waits for the other's outcome)."""
        ...
