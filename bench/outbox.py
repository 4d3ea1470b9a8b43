"""Outbox benchmark: events relayed per second and outbox lag under a steady write load.

    python -m bench.outbox [--seconds 20] [--rate 100] [--database-url postgresql+asyncpg://...]

Runs on PostgreSQL (a scratch database is created and dropped on the server named by
--database-url, BENCH_DATABASE_URL or TEST_DATABASE_URL). A writer creates books with two
authors each at a steady rate - every book is two AuthorAddedToBook events - through the
real use cases, while the relay delivers. Two modes are measured:

* relay only: inline delivery off, so every event waits for the background relay
  (the worst case after a crash or a failing handler);
* inline: the default, delivery right after each commit, with the relay as a safety net.

Lag is the age of the oldest pending event, sampled every 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules.author.application.use_cases.create_author import CreateAuthorCommand  # noqa: E402
from modules.book.application.use_cases.create_book import CreateBookCommand  # noqa: E402
from modules.container import build_container, start_mappers, subscribe_event_handlers  # noqa: E402
from modules.platform.settings import Settings  # noqa: E402

MAX_IN_FLIGHT = 16


def isbn13(n: int) -> str:
    body = f"978{n % 10**9:09d}"
    total = sum((1 if i % 2 == 0 else 3) * int(d) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


async def admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


async def run_mode(
    url: str, *, inline: bool, seconds: float, rate: float, first_isbn: int
) -> dict[str, float]:
    settings = Settings(
        database_url=url,
        event_inline_delivery=inline,
        outbox_poll_interval_seconds=0.05,
        db_pool_size=20,
    )
    container = build_container(settings)
    subscribe_event_handlers(container)
    relay = container.relay()
    store = container.outbox()
    authors = [
        await container.create_author()(
            CreateAuthorCommand(first_name=f"A{i}", last_name="B", age=40)
        )
        for i in range(50)
    ]
    delivered_before = relay.delivered
    relay.start()
    lags: list[float] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            stats = await store.stats()
            lags.append(stats.oldest_pending_age_seconds or 0.0)
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    interval = 1.0 / rate
    started = time.perf_counter()
    written = 0
    in_flight: set[asyncio.Task[int]] = set()
    while time.perf_counter() - started < seconds:
        n = first_isbn + written
        command = CreateBookCommand(
            title=f"Book {n}",
            isbn=isbn13(n),
            pages=100,
            price=1000,
            publication_year=2000,
            author_ids=[authors[n % 50], authors[(n + 1) % 50]],
        )
        if len(in_flight) >= MAX_IN_FLIGHT:  # closed loop: never more writers than this
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(container.create_book()(command))  # a use case per call
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
        written += 1
        next_at = started + written * interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.gather(*in_flight)
    write_seconds = time.perf_counter() - started
    # Let the relay finish what is left, then stop.
    while (await store.stats()).pending:  # noqa: ASYNC110  (polling the database)
        await asyncio.sleep(0.05)
    total_seconds = time.perf_counter() - started
    done.set()
    await sampler
    await relay.stop()
    await container.engine().dispose()
    events = written * 2
    return {
        "books": written,
        "events": events,
        "write_rate": written / write_seconds,
        "events_per_second": events / total_seconds,
        "relay_delivered": relay.delivered - delivered_before,
        "lag_p50": statistics.median(lags) if lags else 0.0,
        "lag_p99": sorted(lags)[int(len(lags) * 0.99) - 1] if lags else 0.0,
        "lag_max": max(lags, default=0.0),
    }


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument(
        "--rate", type=float, default=100.0, help="books per second (2 events each)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL"),
    )
    parser.add_argument("--output", default="bench-results/outbox.md")
    args = parser.parse_args()
    if not args.database_url or "postgresql" not in args.database_url:
        print("needs PostgreSQL: pass --database-url or set BENCH_DATABASE_URL", file=sys.stderr)
        return 2

    server = make_url(Settings(database_url=args.database_url).database_url)
    admin_url = server.render_as_string(hide_password=False)
    name = f"catalogue_bench_{uuid.uuid4().hex[:8]}"
    await admin(admin_url, f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        from manage import migrate

        await asyncio.to_thread(migrate, Settings(database_url=url))
        start_mappers()
        rows = []
        for index, inline in enumerate((False, True)):
            result = await run_mode(
                url, inline=inline, seconds=args.seconds, rate=args.rate, first_isbn=index * 10**6
            )
            rows.append(("inline + relay" if inline else "relay only", result))
    finally:
        await admin(admin_url, f'DROP DATABASE "{name}" WITH (FORCE)')

    lines = [
        f"Outbox benchmark: {args.rate:.0f} books/s offered for {args.seconds:.0f} s "
        f"(2 events per book), PostgreSQL, one process.",
        "",
        "| mode | books written/s | events relayed/s | lag p50 | lag p99 | lag max |",
        "|---|---|---|---|---|---|",
    ]
    for mode, r in rows:
        lines.append(
            f"| {mode} | {r['write_rate']:.0f} | {r['events_per_second']:.0f} | "
            f"{r['lag_p50'] * 1000:.0f} ms | {r['lag_p99'] * 1000:.0f} ms | "
            f"{r['lag_max'] * 1000:.0f} ms |"
        )
    report = "\n".join(lines)
    print(report)
    output = Path(args.output)
    await asyncio.to_thread(output.parent.mkdir, parents=True, exist_ok=True)
    await asyncio.to_thread(output.write_text, report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
