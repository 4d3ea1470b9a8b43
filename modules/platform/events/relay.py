"""The relay: delivers outbox rows to the in-process handlers - inline right after each
commit (with a bounded wait), and in the background for whatever is left. Delivered rows
are deleted in batches, off the requests' path."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from modules.kernel.events import DomainEvent
from modules.platform.events.bus import InProcessEventBus
from modules.platform.events.outbox import OutboxEntry, OutboxStore
from modules.platform.events.outbox_admin import OutboxStats

logger = logging.getLogger(__name__)

# How long delivered rows wait to be deleted together. Until then they stay leased to this
# process; should it die first, they are delivered again, which the inboxes make harmless.
COMPLETION_BATCH_SECONDS = 0.05


class OutboxRelay:
    """Delivers outbox rows to the in-process handlers: inline after each commit (bounded
    wait), and in the background for the rest. Implements the `EventPublisher` port."""

    def __init__(
        self,
        store: OutboxStore,
        bus: InProcessEventBus,
        *,
        inline_delivery: bool = True,
        inline_wait_seconds: float = 1.0,
        poll_interval_seconds: float = 1.0,
        stats_interval_seconds: float = 10.0,
        concurrency: int = 8,
    ) -> None:
        self.store = store
        self._bus = bus
        self._inline_delivery = inline_delivery
        self._inline_wait = inline_wait_seconds
        self._poll_interval = poll_interval_seconds
        self._stats_interval = stats_interval_seconds
        self.last_stats: OutboxStats | None = None  # refreshed by the background loop
        self._last_logged = float("-inf")
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._delivered_rows: list[OutboxEntry] = []
        self._completing: asyncio.Task[None] | None = None
        self._completion_lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self.delivered = 0

    # --- EventPublisher: right after a commit -------------------------------------------
    async def publish(self, events: Sequence[DomainEvent]) -> None:
        """Deliver a just-committed transaction's events; wait at most `inline_wait`.

        The request answers after that even if a handler is still busy; the delivery goes
        on in the background, and if this process dies first, the relay redelivers."""
        if not self._inline_delivery or not events:
            return
        pairs: list[tuple[OutboxEntry, DomainEvent | None]] = [
            (OutboxEntry(self.store.table_of(e), e.event_id, e.type_name, "", 0), e) for e in events
        ]
        task = asyncio.create_task(self._deliver_events(pairs))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.wait({task}, timeout=self._inline_wait)

    # --- background ------------------------------------------------------------------------
    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name="outbox-relay")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Let the current batch and inline deliveries finish (up to the grace period);
        whatever is cut off keeps its outbox row and is redelivered later."""
        self._stopping.set()
        pending = set(self._in_flight)
        pending |= {task for task in (self._task, self._completing) if task is not None}
        if pending:
            _, late = await asyncio.wait(pending, timeout=grace_seconds)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._task = None
        await self.complete_delivered()

    async def run(self) -> None:
        next_stats = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                handled = await self.run_once()
                if loop.time() >= next_stats:
                    await self._refresh_stats(loop.time())
                    next_stats = loop.time() + self._stats_interval
            except Exception:
                logger.exception("outbox relay round failed; retrying after the poll interval")
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_interval)

    async def run_once(self) -> int:
        """Claim and deliver one batch per outbox table; the number of rows handled."""
        handled = 0
        for table in self.store.tables:
            entries = await self.store.claim(table, self.store.policy.batch_size)
            pairs: list[tuple[OutboxEntry, DomainEvent | None]] = []
            for entry in entries:
                try:
                    pairs.append(
                        (entry, self.store.serializer.load(entry.event_type, entry.payload))
                    )
                except Exception as error:  # unknown type or unreadable payload: park it
                    await self.store.fail(entry, f"undecodable event: {error}")
            await self._deliver_events(pairs)
            handled += len(entries)
        return handled

    async def _deliver_events(
        self, pairs: Sequence[tuple[OutboxEntry, DomainEvent | None]]
    ) -> None:
        """Deliver side by side (handlers are idempotent and order-tolerant), then delete
        the delivered rows in one statement per table. One semaphore bounds all deliveries
        of this process, inline and background, so a burst queues here instead of
        exhausting the connection pool."""

        async def deliver(entry: OutboxEntry, event: DomainEvent) -> OutboxEntry | None:
            async with self._slots:
                try:
                    await self._bus.deliver(event)
                except Exception as error:
                    dead = await self.store.fail(entry, str(error))
                    log = logger.error if dead else logger.warning
                    log(
                        "event %s %s failed (attempt %d)%s: %s",
                        entry.event_type,
                        entry.event_id,
                        entry.attempts + 1,
                        " and is now dead" if dead else "; it will be retried",
                        error,
                    )
                    return None
                return entry

        results = await asyncio.gather(
            *(deliver(entry, event) for entry, event in pairs if event is not None)
        )
        delivered = [entry for entry in results if entry is not None]
        self.delivered += len(delivered)
        self._delivered_rows.extend(delivered)
        if delivered and (self._completing is None or self._completing.done()):
            self._completing = asyncio.create_task(self._complete_soon())

    async def _complete_soon(self) -> None:
        while self._delivered_rows and not self._stopping.is_set():
            await asyncio.sleep(COMPLETION_BATCH_SECONDS)  # let the batch gather
            await self.complete_delivered()

    async def complete_delivered(self) -> None:
        """Delete the rows delivered so far (once it returns, all are gone), in one
        transaction; on failure they stay leased and are delivered again when it ends."""
        async with self._completion_lock:
            rows, self._delivered_rows = self._delivered_rows, []
            if not rows:
                return
            try:
                await self.store.complete(rows)
            except Exception:
                logger.exception("deleting %d delivered outbox rows failed", len(rows))

    async def _refresh_stats(self, now: float) -> None:
        """Keep the figures for /metrics fresh; log them once a minute while not all is well."""
        stats = self.last_stats = await self.store.stats()
        if (stats.pending or stats.dead) and now - self._last_logged >= 60:
            self._last_logged = now
            logger.info(
                "outbox: %d pending, %d dead, oldest pending %.1fs old",
                stats.pending,
                stats.dead,
                stats.oldest_pending_age_seconds or 0.0,
            )
