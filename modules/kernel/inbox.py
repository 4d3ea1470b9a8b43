"""The inbox port: makes an event handler take effect at most once per event."""

from __future__ import annotations

from typing import Protocol


class Inbox(Protocol):
    """Lives in the handler's unit of work, so the record commits with the handler's change."""

    async def already_processed(self, event_id: int, handler: str) -> bool: ...

    def record(self, event_id: int, handler: str) -> None: ...
