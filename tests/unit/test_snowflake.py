"""Snowflake ids: layout, uniqueness, ordering, and what happens when the clock misbehaves.

Most tests drive the generator with a fake clock and a fake sleep, so they are exact and
instant; two use the real clock to prove the defaults work under load.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from modules.kernel import identity
from modules.kernel.identity import (
    EPOCH_MS,
    MAX_SEQUENCE,
    MAX_TIMESTAMP,
    MAX_WORKER_ID,
    ClockMovedBackwardsError,
    SnowflakeGenerator,
    timestamp_ms_of,
    worker_id_of,
)

SIGNED_64_MAX = 2**63 - 1
SEQUENCE_MASK = 0xFFF  # the low 12 bits
# Some moment well inside the id range: 2025-06-01T12:00:00Z.
SOME_MS = int(datetime(2025, 6, 1, 12, tzinfo=UTC).timestamp() * 1000)


class FakeClock:
    """A settable millisecond clock; its sleep advances time by what was asked (>= 1 ms)."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms
        self.sleeps: list[float] = []

    def __call__(self) -> int:
        return self.now_ms

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the generator asked to sleep for a non-positive time"
        self.sleeps.append(seconds)
        self.now_ms += max(1, round(seconds * 1000))


def make(clock: FakeClock, worker_id: int = 1, **kwargs: int) -> SnowflakeGenerator:
    return SnowflakeGenerator(worker_id, clock_ms=clock, sleep=clock.sleep, **kwargs)


def sequence_of(snowflake: int) -> int:
    return snowflake & SEQUENCE_MASK


# --- layout --------------------------------------------------------------------------


def test_epoch_is_fixed_at_2024_01_01_utc() -> None:
    assert datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000 == EPOCH_MS
    assert datetime.fromtimestamp(EPOCH_MS / 1000, tz=UTC).isoformat() == (
        "2024-01-01T00:00:00+00:00"
    )


def test_epoch_does_not_depend_on_import_time() -> None:
    # A generator made now encodes time relative to the fixed epoch, so an id made at a
    # known instant has a known timestamp part regardless of when the module was loaded.
    clock = FakeClock(EPOCH_MS + 86_400_000)  # one day after the epoch
    snowflake = make(clock, worker_id=0).next_id()
    assert snowflake >> 22 == 86_400_000


def test_layout_timestamp_worker_sequence_round_trip() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock, worker_id=123)

    first, second, third = (generator.next_id() for _ in range(3))

    for snowflake in (first, second, third):
        assert timestamp_ms_of(snowflake) == SOME_MS
        assert worker_id_of(snowflake) == 123
    assert [sequence_of(s) for s in (first, second, third)] == [0, 1, 2]
    # | 41 bits ms since epoch | 10 bits worker | 12 bits sequence |
    assert first == ((SOME_MS - EPOCH_MS) << 22) | (123 << 12)


def test_sequence_restarts_at_zero_in_a_new_millisecond() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock)
    for _ in range(5):
        generator.next_id()

    clock.now_ms += 1
    snowflake = generator.next_id()

    assert timestamp_ms_of(snowflake) == SOME_MS + 1
    assert sequence_of(snowflake) == 0


@pytest.mark.parametrize("worker_id", [0, 1, 512, MAX_WORKER_ID])
def test_worker_ids_in_range_are_accepted_and_encoded(worker_id: int) -> None:
    snowflake = make(FakeClock(SOME_MS), worker_id=worker_id).next_id()
    assert worker_id_of(snowflake) == worker_id
    assert timestamp_ms_of(snowflake) == SOME_MS


def test_worker_id_range_is_0_to_1023() -> None:
    assert MAX_WORKER_ID == 1023


@pytest.mark.parametrize("worker_id", [-1, 1024, 10_000])
def test_worker_ids_out_of_range_are_refused(worker_id: int) -> None:
    with pytest.raises(ValueError, match="worker id"):
        SnowflakeGenerator(worker_id)


def test_ids_fit_a_signed_64_bit_integer_even_at_the_extremes() -> None:
    # The last millisecond of the 41-bit range, the largest worker, the last sequence.
    clock = FakeClock(EPOCH_MS + MAX_TIMESTAMP)
    generator = make(clock, worker_id=MAX_WORKER_ID)
    ids = [generator.next_id() for _ in range(MAX_SEQUENCE + 1)]

    assert all(0 < s <= SIGNED_64_MAX for s in ids)
    assert max(ids) == SIGNED_64_MAX  # every bit but the sign bit in use, none beyond
    assert timestamp_ms_of(max(ids)) == EPOCH_MS + MAX_TIMESTAMP
    assert worker_id_of(max(ids)) == MAX_WORKER_ID


def test_a_clock_beyond_the_41_bit_range_is_refused() -> None:
    generator = make(FakeClock(EPOCH_MS + MAX_TIMESTAMP + 1))
    with pytest.raises(ClockMovedBackwardsError):
        generator.next_id()


def test_a_clock_before_the_epoch_is_refused() -> None:
    generator = make(FakeClock(EPOCH_MS - 1))
    with pytest.raises(ClockMovedBackwardsError):
        generator.next_id()


def test_the_default_clock_is_the_wall_clock() -> None:
    before = time.time_ns() // 1_000_000
    snowflake = SnowflakeGenerator(7).next_id()
    after = time.time_ns() // 1_000_000
    assert before <= timestamp_ms_of(snowflake) <= after
    assert worker_id_of(snowflake) == 7


# --- uniqueness and order --------------------------------------------------------------


def test_100_000_ids_from_one_generator_are_unique_and_strictly_increasing() -> None:
    generator = SnowflakeGenerator(3)
    ids = [generator.next_id() for _ in range(100_000)]

    assert len(set(ids)) == len(ids)
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))
    assert all(worker_id_of(s) == 3 for s in ids)


def test_ids_made_by_many_threads_at_once_are_all_unique() -> None:
    generator = SnowflakeGenerator(5)
    threads, per_thread = 8, 20_000
    results: list[list[int]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def work(slot: list[int]) -> None:
        start.wait()
        for _ in range(per_thread):
            slot.append(generator.next_id())

    workers = [threading.Thread(target=work, args=(slot,)) for slot in results]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    every_id = [s for slot in results for s in slot]
    assert len(every_id) == threads * per_thread
    assert len(set(every_id)) == len(every_id)
    # Each thread saw its own ids strictly increase, too.
    for slot in results:
        assert all(a < b for a, b in zip(slot, slot[1:], strict=False))


def test_another_thread_cannot_slip_in_while_one_waits_for_the_next_millisecond() -> None:
    # The one place where the generator gives up the CPU half-way through an update is the
    # wait after a sequence overflow. Another thread asking for an id right then must wait
    # for the lock; without it, it would reuse the old millisecond's sequence numbers.
    # (The thread test above cannot show this: under the GIL the race window is too small.)
    clock = FakeClock(SOME_MS)
    other_ids: list[int] = []
    other = threading.Thread(target=lambda: other_ids.append(generator.next_id()))

    def sleep_while_another_thread_asks(seconds: float) -> None:
        if not other.is_alive() and not other_ids:
            other.start()
            other.join(timeout=0.05)  # give it every chance to run now
        clock.sleep(seconds)

    generator = SnowflakeGenerator(1, clock_ms=clock, sleep=sleep_while_another_thread_asks)
    ids = [generator.next_id() for _ in range(MAX_SEQUENCE + 2)]  # the last one overflows
    other.join(timeout=5)

    assert not other.is_alive()
    assert len(other_ids) == 1
    every_id = ids + other_ids
    assert len(set(every_id)) == len(every_id)
    assert other_ids[0] > ids[-1]  # it got its turn after the overflowing call


def test_generators_with_different_workers_never_collide_in_the_same_millisecond() -> None:
    clock = FakeClock(SOME_MS)
    one, two = make(clock, worker_id=1), make(clock, worker_id=2)

    ids_one = [one.next_id() for _ in range(MAX_SEQUENCE + 1)]
    ids_two = [two.next_id() for _ in range(MAX_SEQUENCE + 1)]

    assert clock.sleeps == []  # all 4096 ids of each really were in one millisecond
    assert {timestamp_ms_of(s) for s in ids_one + ids_two} == {SOME_MS}
    assert set(ids_one).isdisjoint(ids_two)
    assert {worker_id_of(s) for s in ids_one} == {1}
    assert {worker_id_of(s) for s in ids_two} == {2}


def test_ids_still_increase_after_a_restart() -> None:
    clock = FakeClock(SOME_MS)
    before_restart = make(clock, worker_id=9)
    old_ids = [before_restart.next_id() for _ in range(10)]

    clock.now_ms += 1  # the new process starts later
    after_restart = make(clock, worker_id=9)  # same worker id, fresh state
    new_ids = [after_restart.next_id() for _ in range(10)]

    assert min(new_ids) > max(old_ids)
    assert all(a < b for a, b in zip(new_ids, new_ids[1:], strict=False))


def test_ids_are_ordered_by_creation_time_across_workers() -> None:
    # Paging orders by id: an id made a millisecond later sorts later, whatever the worker.
    clock = FakeClock(SOME_MS)
    high_worker = make(clock, worker_id=MAX_WORKER_ID)
    low_worker = make(clock, worker_id=0)
    early = high_worker.next_id()
    clock.now_ms += 1
    late = low_worker.next_id()
    assert late > early


# --- sequence overflow -------------------------------------------------------------------


def test_sequence_overflow_waits_for_the_next_millisecond() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock)

    in_one_ms = [generator.next_id() for _ in range(MAX_SEQUENCE + 1)]
    assert clock.sleeps == []
    assert [sequence_of(s) for s in in_one_ms] == list(range(MAX_SEQUENCE + 1))

    overflow = generator.next_id()

    assert clock.sleeps, "the 4097th id in one millisecond must wait"
    assert timestamp_ms_of(overflow) == SOME_MS + 1
    assert sequence_of(overflow) == 0
    assert overflow > in_one_ms[-1]
    assert overflow not in in_one_ms


def test_overflow_keeps_waiting_until_the_clock_really_moves() -> None:
    # A sleep may return early (or the clock may be coarse): the generator checks again.
    clock = FakeClock(SOME_MS)
    stalls = 3

    def lazy_sleep(seconds: float) -> None:
        nonlocal stalls
        clock.sleeps.append(seconds)
        if stalls:
            stalls -= 1  # time did not move this time
        else:
            clock.now_ms += 1

    generator = SnowflakeGenerator(1, clock_ms=clock, sleep=lazy_sleep)
    last = [generator.next_id() for _ in range(MAX_SEQUENCE + 1)][-1]
    overflow = generator.next_id()

    assert len(clock.sleeps) == 4
    assert overflow > last
    assert timestamp_ms_of(overflow) == SOME_MS + 1


# --- a clock that goes backwards ---------------------------------------------------------


def test_a_small_step_back_is_waited_out() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock, max_backwards_wait_ms=2_000)
    before = generator.next_id()

    clock.now_ms -= 5  # NTP slewing, a VM pause...
    after = generator.next_id()

    assert clock.sleeps, "the generator must wait rather than reuse old timestamps"
    assert after > before
    assert timestamp_ms_of(after) >= timestamp_ms_of(before)
    assert clock.now_ms >= SOME_MS


def test_a_step_back_of_exactly_the_limit_is_still_waited_out() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock, max_backwards_wait_ms=10)
    before = generator.next_id()

    clock.now_ms -= 10
    after = generator.next_id()

    assert after > before


def test_a_large_step_back_is_refused_without_making_an_id() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock, max_backwards_wait_ms=10)
    issued = [generator.next_id() for _ in range(3)]

    clock.now_ms -= 11
    with pytest.raises(ClockMovedBackwardsError, match="backwards"):
        generator.next_id()
    with pytest.raises(ClockMovedBackwardsError):  # and again, while the clock is behind
        generator.next_id()
    assert clock.sleeps == []  # refused at once, not after a long wait

    clock.now_ms = SOME_MS  # the clock catches up: ids resume, above everything issued
    resumed = generator.next_id()
    assert resumed > max(issued)
    assert resumed not in issued


def test_the_default_backwards_limit_is_two_seconds() -> None:
    clock = FakeClock(SOME_MS)
    generator = make(clock)
    before = generator.next_id()

    clock.now_ms -= 2_000
    assert generator.next_id() > before  # waited out

    clock.now_ms -= 2_001  # now more than two seconds behind the last id
    with pytest.raises(ClockMovedBackwardsError):
        generator.next_id()


# --- the process-wide generator ----------------------------------------------------------


def test_use_generator_installs_the_generator_new_id_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity, "_generator", identity._generator)  # restored afterwards
    clock = FakeClock(SOME_MS)
    identity.use_generator(make(clock, worker_id=77))

    first, second = identity.new_id(), identity.new_id()

    assert worker_id_of(first) == 77
    assert timestamp_ms_of(first) == SOME_MS
    assert second > first
