"""Running the app: uvicorn, with a drain before it stops, and a supervisor for WORKERS>1.

On SIGTERM a server process
1. answers 503 on /health/ready at once and keeps serving everything for
   SHUTDOWN_DRAIN_SECONDS, so that the load balancer takes it out of rotation;
2. has the kernel start no new handshakes on its listening socket, accepts whatever is
   already queued, and only then closes the socket: closing a listening socket resets
   every connection still in its queue, which a client cannot tell from a lost request;
3. finishes the requests in flight (SHUTDOWN_GRACE_SECONDS), runs the app's shutdown and
   exits 0.
SIGINT (Ctrl-C) does the same without the drain. See docs/adr/0015-graceful-shutdown.md.

With WORKERS>1 this process binds the socket, spawns the workers (each one a server as
above, sharing the socket), restarts a worker that dies, and forwards the signal; on a
signal it closes its own copy of the socket first, so that the last worker's close is
the real one. The workers keep their Prometheus figures in one directory, which any of them reads
for /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

logger = logging.getLogger("uvicorn.error")

# Set by the first SIGTERM or SIGINT: /health/ready answers 503 from then on.
stopping = threading.Event()

# Handshakes under way when new ones are refused still complete (the client's last ACK is
# no SYN); this is longer than any round trip they need to reach the queue.
HANDSHAKE_ROUND_TRIP_SECONDS = 0.25
SO_ATTACH_FILTER = 26  # Linux; the socket module does not name it
# Classic BPF on the listening socket: drop a segment with SYN set and ACK clear, keep the
# rest. The filter sees the TCP header at offset 0; byte 13 holds the flags.
_DROP_SYN = (
    (0x30, 0, 0, 13),  # ldb [13]           A = flags
    (0x54, 0, 0, 0x12),  # and #0x12          A &= SYN|ACK
    (0x15, 0, 1, 0x02),  # jeq #0x02, 0, 1   only SYN?
    (0x06, 0, 0, 0),  # ret #0             drop
    (0x06, 0, 0, 0xFFFFFFFF),  # ret #-1            keep
)


def refuse_new_handshakes(sock: Any) -> bool:
    """Have the kernel drop new connection attempts (SYNs) to this listening socket, so
    that its queue can be emptied before it is closed. False where this is not Linux.

    A client whose SYN is dropped tries again about a second later and, by then, is
    refused by the closed port (or served by another instance)."""
    if not sys.platform.startswith("linux"):
        return False
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in _DROP_SYN)
    program = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("HL", len(_DROP_SYN), ctypes.addressof(program))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError:
        return False
    return True


def queued_connections(sock: Any) -> int:
    """Connections waiting in a listening socket's accept queue (Linux: tcpi_unacked)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return int(struct.unpack_from("I", info, 24)[0])


class GracefulServer(uvicorn.Server):
    """uvicorn's server, with the drain and the gentle close described above."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain_seconds = drain_seconds
        self._stop_at: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Only flags: a signal handler may interrupt anything; the loop acts on them.
        # Unlike uvicorn, no signal is raised again at the end, so the exit status is 0.
        if self._stop_at is None:
            stopping.set()
            drain = self.drain_seconds if sig == signal.SIGTERM else 0.0
            self._stop_at = time.monotonic() + drain
        elif sig == signal.SIGINT:  # Ctrl-C once more: no more waiting for the drain
            self._stop_at = 0.0

    async def on_tick(self, counter: int) -> bool:
        due = self._stop_at is not None and time.monotonic() >= self._stop_at
        if due and not self.should_exit:
            await self._empty_listen_queues()
            self.should_exit = True  # uvicorn closes the sockets and finishes requests
        return await super().on_tick(counter)

    async def _empty_listen_queues(self) -> None:
        listeners = [sock for server in self.servers for sock in server.sockets]
        if not all([refuse_new_handshakes(sock) for sock in listeners]):
            return  # not Linux: closing now is the best there is
        logger.info("Drained: no new connections; accepting the queued ones, then closing")
        await asyncio.sleep(HANDSHAKE_ROUND_TRIP_SECONDS)
        for _ in range(200):  # at most 2 s; the loop accepts them meanwhile
            if not any(queued_connections(sock) for sock in listeners):
                break
            await asyncio.sleep(0.01)


class _Worker:
    """What a spawned worker process runs (picklable, like uvicorn's own)."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        self.config = config
        self.drain_seconds = drain_seconds

    def __call__(self, sock: socket.socket) -> None:
        self.config.configure_logging()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before the server started
            GracefulServer(self.config, self.drain_seconds).run(sockets=[sock])


def prepare_metrics_directory(path: Path | None) -> tuple[Path, bool]:
    """Empty (or make) the directory where the workers keep their Prometheus figures and
    name it to prometheus_client, before any worker imports it; files of an earlier run
    would be added to this one's. Returns the directory and whether it is a temporary one."""
    temporary = path is None
    directory = Path(tempfile.mkdtemp(prefix="catalogue-metrics-")) if path is None else path
    if not temporary:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)  # inherited by the workers
    return directory, temporary


def run(
    config: uvicorn.Config,
    *,
    workers: int,
    drain_seconds: float,
    metrics_directory: Path | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT; the exit status."""
    if workers == 1:
        GracefulServer(config, drain_seconds).run()
        return 0
    directory, temporary = prepare_metrics_directory(metrics_directory)
    try:
        return _supervise(config, workers, drain_seconds)
    finally:
        if temporary:
            shutil.rmtree(directory, ignore_errors=True)


def _supervise(config: uvicorn.Config, workers: int, drain_seconds: float) -> int:
    from prometheus_client import multiprocess

    received: list[int] = []
    signalled = threading.Event()

    def on_signal(sig: int, _frame: FrameType | None) -> None:
        received.append(sig)
        signalled.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)

    sock = config.bind_socket()
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked state

    def start() -> multiprocessing.process.BaseProcess:
        process = spawn.Process(target=_Worker(config, drain_seconds), args=(sock,))
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    logger.info("Started %d workers: %s", workers, [p.pid for p in processes])
    status = 0
    while not signalled.wait(0.5):
        for index, process in enumerate(processes):
            if process.is_alive():
                continue
            multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]  # no hints
            if process.exitcode == STARTUP_FAILURE:  # it would fail the same way again
                logger.error("Worker %s failed to start; stopping", process.pid)
                status = STARTUP_FAILURE
                signalled.set()
                break
            logger.warning("Worker %s exited (%s); starting another", process.pid, process.exitcode)
            processes[index] = start()

    # The workers hold the socket now; the last of them to close it really closes it.
    sock.close()
    forwarded = received[0] if received else signal.SIGTERM
    for process in processes:
        if process.is_alive() and process.pid is not None:
            os.kill(process.pid, forwarded)
    for process in processes:
        process.join()
        multiprocess.mark_process_dead(process.pid)  # type: ignore[no-untyped-call]  # no hints
    logger.info("Stopped %d workers", workers)
    return status
