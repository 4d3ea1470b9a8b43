"""Events travel under declared, versioned type names, and stored events stay readable.

An outbox row (or a broker message) written by an older release must still decode: a
renamed class, a renamed or removed field, a new required field would strand it. Each
payload below is written out as it sits in an outbox table, so such a change fails here
and has to ship as a new version of the type name instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import pytest

from modules.container import PUBLISHED_EVENTS
from modules.kernel.events import TYPE_NAME, DomainEvent
from modules.platform.events.serializer import EventSerializer

STORED_PAYLOADS = {
    "book.author_added.v1": (
        '{"event_id":388385506926264320,"occurred_at":"2026-12-07T17:45:20.705218Z",'
        '"book_id":388385506926264001,"author_id":388385506926263001,"book_version":2}'
    ),
    "book.author_removed.v1": (
        '{"event_id":388385506926264321,"occurred_at":"2026-12-07T17:45:21.000000Z",'
        '"book_id":388385506926264001,"author_id":388385506926263001,"book_version":3}'
    ),
    "book.deleted.v1": (
        '{"event_id":388385506926264322,"occurred_at":"2026-12-07T17:45:22.5Z",'
        '"book_id":388385506926264001,"author_ids":[388385506926263001,7],"book_version":4}'
    ),
    "author.deleted.v1": (
        '{"event_id":388385506926264323,"occurred_at":"2026-12-07T17:45:23Z",'
        '"author_id":388385506926263001}'
    ),
}


def all_event_classes() -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_event_class_is_published_under_a_unique_versioned_name() -> None:
    classes = [c for c in all_event_classes() if c.__module__.startswith("modules.")]
    names = [c.type_name for c in classes]
    assert len(names) == len(set(names)), names
    assert all(TYPE_NAME.fullmatch(name) for name in names)
    assert sorted(PUBLISHED_EVENTS, key=lambda c: c.type_name) == sorted(
        classes, key=lambda c: c.type_name
    )


def test_there_is_a_stored_payload_for_every_published_event() -> None:
    assert set(STORED_PAYLOADS) == {c.type_name for c in PUBLISHED_EVENTS}


@pytest.mark.parametrize("type_name", sorted(STORED_PAYLOADS))
def test_a_stored_payload_still_decodes_to_the_same_event(type_name: str) -> None:
    serializer = EventSerializer(PUBLISHED_EVENTS)
    stored = STORED_PAYLOADS[type_name]
    event = serializer.load(type_name, stored)
    assert event.type_name == type_name
    # Every stored field was read into the event, and nothing new is required of it.
    again = json.loads(serializer.dump(event))
    original = json.loads(stored)
    assert again.keys() == original.keys()
    assert {k: v for k, v in again.items() if k != "occurred_at"} == {
        k: v for k, v in original.items() if k != "occurred_at"
    }
    assert event.occurred_at == datetime.fromisoformat(original["occurred_at"])


def test_the_serializer_refuses_two_events_under_one_name() -> None:
    @dataclass(frozen=True, kw_only=True)
    class Copy(DomainEvent):
        type_name: ClassVar[str] = PUBLISHED_EVENTS[0].type_name

    with pytest.raises(ValueError, match="share the type name"):
        EventSerializer([*PUBLISHED_EVENTS, Copy])
    with pytest.raises(LookupError):  # nor does it write an event it does not know
        EventSerializer(PUBLISHED_EVENTS).dump(Copy())


def test_an_event_without_a_versioned_name_is_refused_when_it_is_declared() -> None:
    with pytest.raises(TypeError, match="type_name"):

        @dataclass(frozen=True, kw_only=True)
        class Unnamed(DomainEvent):
            pass

    with pytest.raises(TypeError, match="type_name"):

        @dataclass(frozen=True, kw_only=True)
        class Unversioned(DomainEvent):
            type_name: ClassVar[str] = "book.renamed"
