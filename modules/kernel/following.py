"""Following another context's events: each event changes one aggregate at most once.

Delivery is at least once and in any order. The aggregate itself makes the order harmless
(it keeps what it last applied and ignores older news); this makes repeats harmless: the
handler's inbox record commits in the same transaction as the change.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from modules.kernel.inbox import Inbox
from modules.kernel.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)

A = TypeVar("A")


class FollowingUnitOfWork(UnitOfWork, Protocol):
    inbox: Inbox


async def apply_once(
    uow: FollowingUnitOfWork,
    *,
    event_id: int,
    handler: str,
    load: Callable[[], Awaitable[A | None]],
    change: Callable[[A], object],
) -> None:
    """In one transaction: `load` the aggregate (locking it), record that this handler
    applies the event, and unless it had already, `change` the aggregate."""
    async with uow:
        # Load - and lock - first: deliveries about one aggregate then queue, and the
        # inbox sees what the one before committed.
        aggregate = await load()
        if not await uow.inbox.record(event_id, handler):
            return
        if aggregate is None:
            logger.info("event %s names an aggregate that no longer exists", event_id)
        else:
            change(aggregate)
        await uow.commit()
