"""Domain events: immutable records, named in the past tense, of what happened."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from modules.kernel.identity import new_id

# `<context>.<what_happened>.v<N>`: lower-case words, valid as NATS subject tokens.
TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v[1-9][0-9]*")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Every event declares `type_name`, the name it travels under outside the process
    (outbox rows, broker subjects). It is part of the published contract, not derived
    from the class name, so renaming the class strands no stored event; a change to the
    fields that old payloads cannot satisfy gets a new version of the name."""

    type_name: ClassVar[str]
    # Names it travelled under before (on a broker's stream, say), still read as this event.
    former_type_names: ClassVar[tuple[str, ...]] = ()

    event_id: int = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=_utcnow)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type_name")
        if not isinstance(name, str) or not TYPE_NAME.fullmatch(name):
            raise TypeError(
                f"{cls.__name__} must declare type_name = '<context>.<event>.v<N>', got {name!r}"
            )
