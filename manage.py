"""Command line of the service.

    python manage.py migrate                 apply the Alembic migrations
    python manage.py serve                   run the API (uvicorn + uvloop) on HOST:PORT,
                                             with WORKERS processes; SIGTERM drains first
    python manage.py consume-events          run the event handlers from NATS JetStream
    python manage.py outbox status           outbox lag, pending and dead events
    python manage.py outbox retry ID|--all   send dead events back for another try

Settings are read and validated first, so a bad DATABASE_URL or PORT stops here with a
clear message instead of a traceback from deep inside the server.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from modules.platform.settings import ConfigurationError, Settings, get_settings

PROJECT_DIR = Path(__file__).resolve().parent


def migrate(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["database_url"] = settings.database_url
    command.upgrade(config, "head")


def serve(settings: Settings) -> int:
    import uvicorn

    from modules.platform import server
    from modules.platform.observability import configure_logging

    configure_logging(settings)  # the supervisor's own lines, with WORKERS>1
    config = uvicorn.Config(
        "app:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,  # each worker process leases its own Snowflake worker id
        loop="uvloop",
        # httptools, with bounded request heads (see server_limits.py).
        http="modules.platform.http.server_limits:BoundedHttpToolsProtocol",
        proxy_headers=False,
        log_config=None,  # the app configures logging (structured, with request ids)
        access_log=False,  # the app writes its own (AccessLog), with route and duration
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds) or None,
    )
    # A drain before closing, and a close that resets no queued connection (server.py).
    return server.run(
        config,
        workers=settings.workers,
        drain_seconds=settings.shutdown_drain_seconds,
        metrics_directory=settings.prometheus_multiproc_dir,
    )


async def consume_events(settings: Settings) -> int:
    """Feed the event handlers from JetStream until SIGTERM or SIGINT."""
    import signal

    from modules.container import (
        build_container,
        start_mappers,
        subscribe_event_handlers,
        take_worker_id,
    )
    from modules.platform.observability import configure_logging

    if not settings.event_broker_url:
        print("error: consume-events needs EVENT_BROKER_URL", file=sys.stderr)
        return 2
    configure_logging(settings)
    start_mappers()
    container = build_container(settings)
    subscribe_event_handlers(container, consumer=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    give_back_worker_id = await take_worker_id(container)  # its handlers record events
    try:
        await container.nats_consumer().run(stop)
    finally:
        await container.relay().stop(grace_seconds=settings.shutdown_grace_seconds)
        await give_back_worker_id()
        await container.nats().close()
        await container.read_database().close()
        await container.engine().dispose()
    return 0


async def outbox(settings: Settings, action: str, event_id: int | None) -> int:
    from modules.container import build_container

    container = build_container(settings)
    store = container.outbox()
    try:
        if action == "status":
            stats = await store.stats()
            lag = stats.oldest_pending_age_seconds
            print(f"pending: {stats.pending}")
            print(f"dead:    {stats.dead}")
            age = "-" if lag is None else f"{lag:.1f}s"
            print(f"lag:     {age} (age of the oldest pending event)")
            for dead in await store.dead_events():
                print(
                    f"  dead {dead.event_id} {dead.event_type} (aggregate {dead.aggregate_id}, "
                    f"{dead.attempts} attempts, since {dead.dead_at:%Y-%m-%d %H:%M:%S}): "
                    f"{dead.last_error}"
                )
        else:
            revived = await store.retry_dead(event_id)
            print(f"sent {revived} dead event(s) back for delivery")
            if event_id is not None and revived == 0:
                print(f"no dead event with id {event_id}", file=sys.stderr)
                return 1
    finally:
        await container.engine().dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="manage.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("serve", help="run the API server")
    commands.add_parser("consume-events", help="run the event handlers from NATS JetStream")
    outbox_parser = commands.add_parser("outbox", help="inspect and repair event delivery")
    outbox_actions = outbox_parser.add_subparsers(dest="action", required=True)
    outbox_actions.add_parser("status", help="lag, pending and dead events")
    retry = outbox_actions.add_parser("retry", help="send dead events back for delivery")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("event_id", nargs="?", type=int, help="the dead event's id")
    which.add_argument("--all", action="store_true", help="every dead event")
    args = parser.parse_args(argv)

    try:
        settings = get_settings()
    except ConfigurationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate(settings)
    elif args.command == "serve":
        return serve(settings)
    elif args.command == "consume-events":
        return asyncio.run(consume_events(settings))
    else:
        return asyncio.run(outbox(settings, args.action, getattr(args, "event_id", None)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
