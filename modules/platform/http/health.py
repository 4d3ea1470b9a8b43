"""Liveness and readiness, for orchestrators and load balancers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from modules.platform.http.dependencies import provide
from modules.platform.http.openapi import problem_responses
from modules.platform.http.problems import problem
from modules.platform.server import stopping

router = APIRouter(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/live", summary="The process is up (no I/O)")
async def live() -> Health:
    return Health(status="ok")


@router.get(
    "/ready",
    summary="The service takes traffic: not stopping, the database answers, the relay runs",
    responses=problem_responses(503),
)
async def ready(request: Request, engine: Annotated[AsyncEngine, provide("engine")]) -> Health:
    container = request.app.state.container
    problem_detail = None
    if stopping.is_set():  # draining before a shutdown: the balancer sends elsewhere
        problem_detail = "the service is shutting down"
    else:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            problem_detail = "the database does not answer"
    relay_expected = container.settings().outbox_relay_enabled
    if problem_detail is None and relay_expected and not container.relay().running:
        problem_detail = "the event relay is not running"
    if problem_detail is not None:
        return problem(  # type: ignore[return-value]  # a Response; FastAPI sends it as is
            request,
            503,
            detail=problem_detail,
            headers={"Retry-After": "2"},
        )
    return Health(status="ok")
