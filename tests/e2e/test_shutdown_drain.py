"""SIGTERM under continuous traffic on new connections, with one worker and with two:
readiness turns 503 at once, every request keeps being answered through the drain, then
the port refuses - and no connection the kernel accepted is ever reset without an answer.

Raw sockets, one request per connection, so each attempt is exactly one of: answered,
refused (the port was closed: the client knows nothing was sent), or reset/closed without
an answer (the case a client cannot tell from a lost POST)."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.slow  # real server processes, stopped with SIGTERM under traffic

DRAIN_SECONDS = 1.0
CLIENTS = 16


async def attempt(port: int, path: str) -> str:
    """One request on a new connection: "200", "503", ..., "refused", "reset" or "timeout"."""
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timeout"
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except TimeoutError:
        return "timeout"
    finally:
        writer.close()
    if not status_line:  # closed without a word: as bad as a reset for the client
        return "reset"
    return status_line.split()[1].decode()


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_drains_then_refuses_and_resets_no_connection(
    database_url: str, tmp_path: Path, workers: int
) -> None:
    server = ServerProcess(
        database_url,
        tmp_path / "server.log",
        workers=str(workers),
        shutdown_drain_seconds=str(DRAIN_SECONDS),
    )
    outcomes: list[tuple[float, str, str]] = []  # (when it started, path, outcome)
    stop_traffic = asyncio.Event()

    async def client(n: int) -> None:
        deadline = time.monotonic() + 30
        path = "/health/ready" if n % 2 else "/health/live"
        while time.monotonic() < deadline:
            started = time.monotonic()
            outcome = await attempt(server.port, path)
            outcomes.append((started, path, outcome))
            if stop_traffic.is_set():
                return
            if outcome == "refused":
                await asyncio.sleep(0.01)

    try:
        clients = [asyncio.create_task(client(n)) for n in range(CLIENTS)]
        while len(outcomes) < 200:  # traffic is flowing
            await asyncio.sleep(0.01)
        sigterm_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        exit_code = await asyncio.to_thread(server.process.wait, 30)
        stop_traffic.set()
        await asyncio.gather(*clients)
        after_exit = await attempt(server.port, "/health/live")
    finally:
        server.stop()

    counts = Counter(outcome for _, _, outcome in outcomes)
    print(f"workers={workers}: {dict(counts)}")
    assert counts["reset"] == 0, counts
    assert counts["timeout"] == 0, counts
    assert exit_code == 0, (tmp_path / "server.log").read_text()[-3000:]
    # Requests sent after the signal (with a moment for it to arrive): readiness says 503
    # at once, every other request is still served, through the whole drain.
    answered = [(at - sigterm_at, path, o) for at, path, o in outcomes if o.isdigit()]
    after = [(t, path, o) for t, path, o in answered if t > 0.2]
    assert {o for _, path, o in after if path == "/health/ready"} == {"503"}, counts
    assert {o for _, path, o in after if path == "/health/live"} == {"200"}, counts
    assert max(t for t, _, _ in after) >= DRAIN_SECONDS * 0.9
    # Then the port refuses: traffic went on into the closed port, and still does.
    assert counts["refused"] > 0, counts
    assert after_exit == "refused"
