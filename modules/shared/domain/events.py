"""Domain events: immutable records, named in the past tense, of what happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from modules.shared.domain.identity import new_id


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    event_id: int = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=_utcnow)
