"""Snowflake identifiers, made in the domain when an aggregate is created.

Layout of the 64-bit id (the sign bit stays 0, so ids fit a signed BIGINT):

    | 41 bits: milliseconds since EPOCH | 10 bits: worker id | 12 bits: sequence |

41 bits of milliseconds last 69 years from the fixed epoch (until 2093). The worker id
(0-1023) tells processes apart; it must be chosen after the process forks. Within a
process the generator is guarded by a lock, so concurrent tasks and threads never get the
same id, and ids strictly increase.

A clock that moves backwards is the classic way to make a duplicate: a small step back
(NTP slewing, a VM pause) is waited out; a large one is refused loudly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

EPOCH_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z, fixed forever: never "now at import"
WORKER_ID_BITS = 10
SEQUENCE_BITS = 12
MAX_WORKER_ID = (1 << WORKER_ID_BITS) - 1
MAX_SEQUENCE = (1 << SEQUENCE_BITS) - 1
MAX_TIMESTAMP = (1 << 41) - 1
MAX_ID = (1 << 63) - 1


class IdGenerationUnavailable(RuntimeError):
    """No id can be made right now without risking a duplicate."""


class ClockMovedBackwardsError(IdGenerationUnavailable):
    """The wall clock went back further than the generator is willing to wait."""


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class SnowflakeGenerator:
    def __init__(
        self,
        worker_id: int,
        *,
        clock_ms: Callable[[], int] = _wall_clock_ms,
        sleep: Callable[[float], None] = time.sleep,
        max_backwards_wait_ms: int = 2_000,
        guard: Callable[[], None] | None = None,
    ) -> None:
        """`guard` is called before every id and may raise IdGenerationUnavailable: a
        worker id held under a lease stops being used the moment the lease may be gone."""
        if not 0 <= worker_id <= MAX_WORKER_ID:
            raise ValueError(f"worker id must be between 0 and {MAX_WORKER_ID}, got {worker_id}")
        self.worker_id = worker_id
        self._clock_ms = clock_ms
        self._sleep = sleep
        self._max_backwards_wait_ms = max_backwards_wait_ms
        self._guard = guard
        self._lock = threading.Lock()
        self._last_ms = -1
        self._sequence = 0

    def next_id(self) -> int:
        if self._guard is not None:
            self._guard()
        with self._lock:
            now = self._current_ms()
            if now == self._last_ms:
                self._sequence = (self._sequence + 1) & MAX_SEQUENCE
                if self._sequence == 0:  # 4096 ids in this millisecond: wait for the next one
                    now = self._wait_until_after(self._last_ms)
            else:
                self._sequence = 0
            self._last_ms = now
            return ((now - EPOCH_MS) << 22) | (self.worker_id << 12) | self._sequence

    def _current_ms(self) -> int:
        now = self._clock_ms()
        if now < self._last_ms:
            behind = self._last_ms - now
            if behind > self._max_backwards_wait_ms:
                raise ClockMovedBackwardsError(
                    f"clock moved backwards by {behind} ms; refusing to make ids "
                    f"until it passes {self._last_ms}"
                )
            now = self._wait_until_after(self._last_ms - 1)
        if now - EPOCH_MS > MAX_TIMESTAMP:
            raise ClockMovedBackwardsError("clock is beyond the 41-bit range of the id epoch")
        if now < EPOCH_MS:
            raise ClockMovedBackwardsError("clock is before the id epoch")
        return now

    def _wait_until_after(self, last_ms: int) -> int:
        now = self._clock_ms()
        while now <= last_ms:
            self._sleep((last_ms - now + 1) / 1000)
            now = self._clock_ms()
        return now


def timestamp_ms_of(snowflake: int) -> int:
    """When an id was made (ms since the Unix epoch)."""
    return (snowflake >> 22) + EPOCH_MS


def worker_id_of(snowflake: int) -> int:
    return (snowflake >> 12) & MAX_WORKER_ID


_generator = SnowflakeGenerator(worker_id=0)


def use_generator(generator: SnowflakeGenerator) -> None:
    """Install the process-wide generator; the composition root calls this after fork."""
    global _generator
    _generator = generator


def new_id() -> int:
    """A fresh id from the process-wide generator."""
    return _generator.next_id()
