"""What Author tells the world (nothing subscribes yet; recorded for symmetry and audit)."""

from __future__ import annotations

from dataclasses import dataclass

from modules.shared.domain.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class AuthorDeleted(DomainEvent):
    author_id: int
