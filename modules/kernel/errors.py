"""Typed errors of the domain and application layers.

The platform maps each family to one HTTP status in one place (error_handlers.py); the classes
carry what a client may see (a message, the failing field), never internals.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base for every error a client can cause."""

    title = "Domain rule violated"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidValue(DomainError):
    """A value object refused its value (maps to 422)."""

    title = "Invalid value"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field


class NotFound(DomainError):
    """Maps to 404."""

    title = "Not found"


class Conflict(DomainError):
    """The request contradicts the current state (maps to 409)."""

    title = "Conflict"


class AlreadyTaken(Conflict):
    """A value that must be unique belongs to another aggregate already (maps to 409
    naming that aggregate, so a client can go to it without searching). The id is None
    only when the holder went away again before it could be looked up."""

    title = "Already taken"

    def __init__(self, detail: str, *, existing_id: int | None) -> None:
        super().__init__(detail)
        self.existing_id = existing_id


class ConcurrentModification(Conflict):
    """Someone else changed the aggregate between our read and our write."""

    title = "Concurrent modification"


class VersionMismatch(DomainError):
    """The client changed a version it no longer has (a stale If-Match; maps to 412)."""

    title = "Precondition failed"
