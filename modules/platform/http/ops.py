"""Operators' view of event delivery: outbox lag, pending and dead events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from modules.platform.events.relay import OutboxRelay
from modules.platform.http.dependencies import provide
from modules.platform.http.openapi import problem_responses
from modules.platform.http.schemas import SnowflakeId

router = APIRouter(prefix="/ops", tags=["ops"])


class DeadEventOut(BaseModel):
    table: str
    event_id: SnowflakeId
    event_type: str
    aggregate_id: SnowflakeId
    attempts: int
    occurred_at: datetime
    dead_at: datetime
    last_error: str | None


class OutboxOut(BaseModel):
    relay_running: bool
    pending: int = Field(description="Events not yet delivered (retrying ones included)")
    dead: int = Field(description="Events parked after too many failed attempts")
    oldest_pending_age_seconds: float | None = Field(
        description="Outbox lag: age of the oldest pending event"
    )
    delivered_by_this_process: int
    dead_events: list[DeadEventOut]


@router.get(
    "/outbox",
    summary="Event delivery: lag, pending and dead events",
    responses=problem_responses(422, 503),
)
async def outbox_status(
    relay: Annotated[OutboxRelay, provide("relay")],
    dead_limit: Annotated[int, Query(ge=0, le=1000, description="Dead events to list")] = 50,
) -> OutboxOut:
    """Dead events are sent back for another try with `python manage.py outbox retry`."""
    stats = await relay.store.stats()
    dead = await relay.store.dead_events(dead_limit) if dead_limit else []
    return OutboxOut(
        relay_running=relay.running,
        pending=stats.pending,
        dead=stats.dead,
        oldest_pending_age_seconds=stats.oldest_pending_age_seconds,
        delivered_by_this_process=relay.delivered,
        dead_events=[DeadEventOut(**d.__dict__) for d in dead],
    )
