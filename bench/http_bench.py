"""HTTP benchmark: the real service on PostgreSQL, driven by wrk, against a bare baseline.

    python -m bench.http_bench            (what `make bench` runs)
    python -m bench.http_bench --soak     (what `make soak` runs: the soak test only)

1. A scratch database is created on the server named by BENCH_DATABASE_URL, migrated with
   `python manage.py migrate`, and loaded with a catalogue through COPY (bench/catalogue.py:
   100k books, 20k authors, 2.55 authors per book, both contexts' links in agreement).
2. A bare FastAPI + asyncpg app (bench/baseline_app.py) is served with the same uvicorn
   settings and measured on a primary-key read and an insert; then a plain FastAPI +
   SQLAlchemy ORM app (bench/orm_app.py) on the writes, each doing the same work as ours.
3. The service is served as `manage.py serve` would (uvloop, httptools, no access log),
   with one worker and with N workers, and every endpoint is driven by wrk on loopback
   (bench/wrk/scenario.lua: random ids, unique valid ISBNs), after a short warm-up.
   Then the access log's cost: one worker with ACCESS_LOG=true (the default) and one with
   false, both up, take turns on GET /books/{id} for BENCH_ACCESS_LOG_ROUNDS rounds.
4. The table (req/s, p50, p99, ratios to both baselines, PASS/MISS per target, each worker's
   resident memory at rest and at peak) is printed and written to bench-results/http.md.
5. Optionally (BENCH_SOAK_SECONDS > 0, or --soak), a soak test: a steady mix of reads and
   writes, resident memory sampled every few seconds; growth after warm-up beyond noise
   is a LEAK, and the exit status is then 1. A target MISS never fails the run.

The scratch database, the servers and wrk are stopped and dropped on every exit path.
Every setting is an environment variable; see `Config`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench import catalogue as seed  # noqa: E402
from bench.baseline_app import BASELINE_WORKER_ID  # noqa: E402
from bench.orm_app import ORM_WORKER_ID  # noqa: E402
from modules.book.application.queries import BookFilter, BookOrder  # noqa: E402
from modules.kernel.paging import encode_position  # noqa: E402

LUA_SCRIPT = PROJECT_DIR / "bench" / "wrk" / "scenario.lua"
MIB = 1024 * 1024


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    return int(_env_float(name, default))


@dataclass
class Config:
    database_url: str = field(
        default_factory=lambda: (
            os.environ.get("BENCH_DATABASE_URL")
            or os.environ.get("TEST_DATABASE_URL")
            or "postgresql://postgres@127.0.0.1:5432/test"
        )
    )
    books: int = field(default_factory=lambda: _env_int("BENCH_BOOKS", 100_000))
    authors: int = field(default_factory=lambda: _env_int("BENCH_AUTHORS", 20_000))
    seconds: float = field(default_factory=lambda: _env_float("BENCH_SECONDS", 10))
    warmup_seconds: float = field(default_factory=lambda: _env_float("BENCH_WARMUP_SECONDS", 2))
    pause_seconds: float = field(default_factory=lambda: _env_float("BENCH_PAUSE_SECONDS", 1))
    connections: int = field(default_factory=lambda: _env_int("BENCH_CONNECTIONS", 32))
    wrk_threads: int = field(default_factory=lambda: _env_int("BENCH_WRK_THREADS", 1))
    workers: list[int] = field(
        default_factory=lambda: [
            int(w) for w in os.environ.get("BENCH_WORKERS", "1,2").split(",") if w.strip()
        ]
    )
    endpoints: list[str] = field(
        default_factory=lambda: [
            e.strip() for e in os.environ.get("BENCH_ENDPOINTS", "").split(",") if e.strip()
        ]
    )
    page_limit: int = field(default_factory=lambda: _env_int("BENCH_PAGE_LIMIT", 20))
    rss_interval: float = field(default_factory=lambda: _env_float("BENCH_RSS_INTERVAL", 0.5))
    output: Path = field(
        default_factory=lambda: Path(os.environ.get("BENCH_OUTPUT", "bench-results/http.md"))
    )
    soak_seconds: float = field(default_factory=lambda: _env_float("BENCH_SOAK_SECONDS", 0))
    soak_rate: float = field(default_factory=lambda: _env_float("BENCH_SOAK_RATE", 150))
    soak_connections: int = field(default_factory=lambda: _env_int("BENCH_SOAK_CONNECTIONS", 8))
    soak_workers: int = field(default_factory=lambda: _env_int("BENCH_SOAK_WORKERS", 1))
    soak_sample_seconds: float = field(
        default_factory=lambda: _env_float("BENCH_SOAK_SAMPLE_SECONDS", 5)
    )
    soak_warmup_seconds: float | None = field(
        default_factory=lambda: (
            _env_float("BENCH_SOAK_WARMUP_SECONDS", 0)
            if os.environ.get("BENCH_SOAK_WARMUP_SECONDS")
            else None
        )
    )
    leak_tolerance_mib: float = field(
        default_factory=lambda: _env_float("BENCH_LEAK_TOLERANCE_MIB", 8)
    )
    idle_wait_seconds: float = field(
        default_factory=lambda: _env_float("BENCH_IDLE_WAIT_SECONDS", 90)
    )
    keep_database: bool = field(default_factory=lambda: os.environ.get("BENCH_KEEP_DB") == "1")
    # Rounds of GET /books/{id} with the access log on and off, taking turns (0: skip).
    access_log_rounds: int = field(default_factory=lambda: _env_int("BENCH_ACCESS_LOG_ROUNDS", 3))

    @property
    def asyncpg_dsn(self) -> str:
        return re.sub(r"^postgres(ql)?(\+asyncpg)?://", "postgresql://", self.database_url)


# --- targets --------------------------------------------------------------------------------
READ_RATIO_TARGET = 0.6  # of the raw baseline's primary-key read
READ_P99_TARGET_MS = 50.0
WRITE_P99_TARGET_MS = 100.0
RSS_TARGET_MIB = 150.0
ACCESS_LOG_RATIO_TARGET = 0.95  # req/s with the access log on over off
OTHER_LOAD_WARNING_CORES = 0.2
OTHER_LOAD_RETRY_CORES = 0.25
IDLE_CORES = 0.15


@dataclass(frozen=True)
class Endpoint:
    scenario: str  # the name in bench/wrk/scenario.lua
    label: str
    kind: str  # "read" or "write"
    baseline: str  # the baseline scenario it is compared with
    orm: str = ""  # the ORM baseline's scenario doing the same write (writes only)
    orm_target: float | None = None  # the least ratio to it, for one worker


ENDPOINTS = [
    Endpoint("get_book", "GET /books/{id}", "read", "get_book"),
    Endpoint("get_book_big_head", "GET /books/{id} (40 headers, 8.6 KiB)", "read", "get_book"),
    Endpoint("list_by_title", "GET /books?title=… (a common word)", "read", "get_book"),
    Endpoint("list_by_phrase", "GET /books?title=… (a rare phrase)", "read", "get_book"),
    Endpoint("list_by_author", "GET /books?author_id=…", "read", "get_book"),
    Endpoint("page_deep", "GET /books?cursor=… (deep paging)", "read", "get_book"),
    Endpoint("get_author", "GET /authors/{id}", "read", "get_book"),
    Endpoint("post_author", "POST /authors", "write", "post_book_bare", "post_author", 0.9),
    Endpoint("post_book", "POST /books (2 authors)", "write", "post_book", "post_book", 0.5),
    Endpoint(
        "post_book_bare", "POST /books (no authors)", "write", "post_book_bare", "post_book_bare"
    ),
    Endpoint(
        "add_author",
        "POST /books/{id}/authors/{author_id}",
        "write",
        "post_book_bare",
        "add_author",
        0.5,
    ),
]
BASELINE_ENDPOINTS = [
    Endpoint("get_book", "baseline GET /books/{id} (read)", "read", ""),
    Endpoint("post_book_bare", "baseline POST /books, no authors (insert)", "write", ""),
    Endpoint("post_book", "baseline POST /books, 2 authors", "write", ""),
]
ORM_ENDPOINTS = [
    Endpoint("post_author", "ORM baseline POST /authors", "write", ""),
    Endpoint("post_book", "ORM baseline POST /books, 2 authors", "write", ""),
    Endpoint("post_book_bare", "ORM baseline POST /books, no authors", "write", ""),
    Endpoint("add_author", "ORM baseline POST /books/{id}/authors/{author_id}", "write", ""),
]


# --- processes we start ----------------------------------------------------------------------
class Children:
    """Every process this run starts, so that each is stopped on every exit path."""

    def __init__(self) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        # Its own session: the process and whatever it forks (uvicorn workers) form one
        # process group, whose id is the pid we get back.
        process = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self._processes.append(process)
        return process

    def stop(self, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=timeout)
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        # Whatever is left of its process group (a worker that outlived its parent).
        for pid in group_members(process.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        if process in self._processes:
            self._processes.remove(process)

    def stop_all(self) -> None:
        for process in list(reversed(self._processes)):
            self.stop(process, timeout=10)


def group_members(pgid: int) -> list[int]:
    """The processes of a process group (field 5 of /proc/<pid>/stat)."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read_proc(f"/proc/{entry}/stat")
            fields = stat.rsplit(")", 1)[-1].split() if stat else []
            if len(fields) > 2 and int(fields[2]) == pgid:
                members.append(int(entry))
    return members


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _read_proc(path: str) -> str | None:
    try:
        return Path(path).read_text()
    except OSError:
        return None


def rss_kib(pid: int) -> int | None:
    status = _read_proc(f"/proc/{pid}/status")
    if status is None:
        return None
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _read_proc(f"/proc/{entry}/stat")
        if stat is None:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ")".
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def cmdline(pid: int) -> str:
    return (_read_proc(f"/proc/{pid}/cmdline") or "").replace("\0", " ")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads)."""
    stat = _read_proc(f"/proc/{pid}/stat")
    if stat is None:
        return 0.0
    fields = stat.rsplit(")", 1)[-1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores), from /proc/stat."""
    values = [int(v) for v in (_read_proc("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


@dataclass
class CpuSnapshot:
    at: float
    busy: float
    server: float
    postgres: dict[int, float]  # backend pid -> CPU seconds
    children: float  # reaped children of this process: wrk
    harness: float


class CpuMeter:
    """Where the machine's CPU went during a run: the server's workers, the PostgreSQL
    backends serving the scratch database, wrk, this harness - and everything else, which
    is load the benchmark did not make (another job on the machine skews the figures)."""

    def __init__(self, database: str) -> None:
        self._marker = f" {database} "

    def _postgres(self) -> dict[int, float]:
        """The backends serving the scratch database, and PostgreSQL's shared processes
        (postmaster, WAL writer, checkpointer, ...); not other databases' backends."""
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            line = cmdline(int(entry))
            if line.startswith("postgres:"):
                backend = "(" in line or "[local]" in line
                if not backend or self._marker in line:
                    found[int(entry)] = cpu_seconds(int(entry))
            elif "/bin/postgres " in line or line.startswith("postgres "):
                found[int(entry)] = cpu_seconds(int(entry))
        return found

    def snapshot(self, server: Server) -> CpuSnapshot:
        children = os.times()
        return CpuSnapshot(
            at=time.monotonic(),
            busy=machine_busy_seconds(),
            server=sum(cpu_seconds(pid) for pid in server.worker_pids()),
            postgres=self._postgres(),
            children=children.children_user + children.children_system,
            harness=children.user + children.system,
        )

    @staticmethod
    def usage(before: CpuSnapshot, after: CpuSnapshot, requests: int) -> CpuUsage:
        elapsed = max(after.at - before.at, 1e-9)
        server = after.server - before.server
        # Backends that started during the run count in full; one that ended is missed.
        postgres = sum(cpu - before.postgres.get(pid, 0.0) for pid, cpu in after.postgres.items())
        ours = server + postgres + (after.children - before.children)
        ours += after.harness - before.harness
        other = max(0.0, (after.busy - before.busy) - ours)
        per_request = 1000.0 / requests if requests else 0.0
        return CpuUsage(
            server_ms_per_request=server * per_request,
            postgres_ms_per_request=postgres * per_request,
            other_cores=other / elapsed,
        )


@dataclass
class CpuUsage:
    server_ms_per_request: float
    postgres_ms_per_request: float
    other_cores: float  # CPU used by processes that are not part of the benchmark


# --- servers ---------------------------------------------------------------------------------
class Server:
    def __init__(
        self,
        children: Children,
        name: str,
        argv: list[str],
        env: dict[str, str],
        log_path: Path,
        *,
        ready_path: str,
        workers: int,
    ) -> None:
        self.children = children
        self.name = name
        self.workers = workers
        self.port = int(env["PORT"])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.process = children.start(
            argv, cwd=PROJECT_DIR, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._ready_path = ready_path
        self._worker_pids: list[int] = []

    def worker_pids(self, *, refresh: bool = False) -> list[int]:
        """uvicorn's worker processes: the spawned children, or the process itself."""
        if refresh or not self._worker_pids:
            spawned = [
                pid
                for pid in children_of(self.process.pid)
                if "spawn_main" in cmdline(pid) and "resource_tracker" not in cmdline(pid)
            ]
            self._worker_pids = spawned or [self.process.pid]
        return self._worker_pids

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Ready: the readiness endpoint answers 200, all workers exist, and each logged the
        end of its start-up (or, should the log level hide that, 5 s have passed)."""
        deadline = time.monotonic() + timeout
        answered_at = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with status {self.process.returncode}:\n" + self.log_tail()
                )
            if len(self.worker_pids(refresh=True)) == self.workers:
                with contextlib.suppress(OSError):
                    if http_get(self.base_url + self._ready_path)[0] == 200:
                        answered_at = answered_at or time.monotonic()
                started = self.log_path.read_text(errors="replace").count(
                    "Application startup complete"
                )
                if answered_at and (started >= self.workers or time.monotonic() - answered_at > 5):
                    return
            time.sleep(0.2)
        raise TimeoutError(
            f"{self.name} did not become ready in {timeout:.0f} s:\n" + self.log_tail()
        )

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        self.children.stop(self.process)
        self._log.close()


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


# --- memory ----------------------------------------------------------------------------------
class RssSampler:
    """Samples VmRSS of a server's worker processes in a background thread."""

    def __init__(self, server: Server, interval: float) -> None:
        self.server = server
        self.interval = interval
        self.samples: list[tuple[float, int, int]] = []  # (monotonic, pid, KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.started = time.monotonic()
        self.at_rest: dict[int, int] = {}

    def start(self) -> RssSampler:
        self.at_rest = self.sample()
        self._thread.start()
        return self

    def sample(self) -> dict[int, int]:
        now = time.monotonic()
        taken = {}
        pids = self.server.worker_pids()
        for pid in pids:
            kib = rss_kib(pid)
            if kib is not None:
                self.samples.append((now, pid, kib))
                taken[pid] = kib
        if len(taken) < len(pids):  # a worker went away (and may have been replaced)
            self.server.worker_pids(refresh=True)
        return taken

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def by_pid(self, since: float = 0.0) -> dict[int, list[tuple[float, int]]]:
        result: dict[int, list[tuple[float, int]]] = {}
        for t, pid, kib in self.samples:
            if t >= since:
                result.setdefault(pid, []).append((t, kib))
        return result


# --- wrk -------------------------------------------------------------------------------------
@dataclass
class WrkResult:
    scenario: str
    seconds: float
    requests: int
    ok: int
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    deepest_id: str = ""
    chain_ends: int = 0
    cpu: CpuUsage | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ok_rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return self.requests - self.ok + sum(self.socket_errors.values())

    def failure_summary(self) -> str:
        parts = [f"{n}×{s}" for s, n in sorted(self.statuses.items()) if not s.startswith("2")]
        parts += [f"{n} {kind}" for kind, n in self.socket_errors.items() if n]
        return ", ".join(parts) or "0"


class Wrk:
    def __init__(self, children: Children, data_dir: Path, config: Config) -> None:
        self.children = children
        self.data_dir = data_dir
        self.config = config
        self._runs = 0

    def _next_isbn_base(self) -> int:
        # 10^7 ISBNs per wrk run (10^6 per thread): no two runs of this database collide.
        base = seed.SEED_ISBN_LIMIT + self._runs * 10**7
        self._runs += 1
        if base + 10**7 > 10**9:
            raise RuntimeError("out of ISBN numbers for this run")
        return base

    def run(
        self,
        url: str,
        scenario: str,
        seconds: float,
        *,
        connections: int | None = None,
        delay_ms: float = 0.0,
    ) -> WrkResult:
        connections = connections or self.config.connections
        threads = max(1, min(self.config.wrk_threads, connections, 10))
        env = dict(
            os.environ,
            BENCH_SCENARIO=scenario,
            BENCH_DATA_DIR=str(self.data_dir),
            BENCH_ISBN_BASE=str(self._next_isbn_base()),
            BENCH_PAGE_LIMIT=str(self.config.page_limit),
            BENCH_DELAY_MS=f"{delay_ms:.3f}",
        )
        argv = [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA_SCRIPT),
            url,
        ]
        process = self.children.start(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = process.communicate(timeout=seconds + 60)
        finally:
            self.children.stop(process, timeout=5)
        text = out.decode(errors="replace")
        line = next((li for li in text.splitlines() if li.startswith("BENCH_RESULT ")), None)
        if process.returncode != 0 or line is None:
            raise RuntimeError(
                f"wrk {scenario} failed (status {process.returncode}):\n{text}\n"
                + err.decode(errors="replace")
            )
        data = json.loads(line.removeprefix("BENCH_RESULT "))
        statuses = {str(k): int(v) for k, v in (data.get("statuses") or {}).items()}
        ok = sum(n for s, n in statuses.items() if s.startswith("2"))
        errors = {k: int(v) for k, v in data["errors"].items() if k != "status"}
        latency = data["latency_us"]
        return WrkResult(
            scenario=scenario,
            seconds=data["duration_us"] / 1e6,
            requests=int(data["requests"]),
            ok=ok,
            statuses=statuses,
            socket_errors=errors,
            p50_ms=latency["p50"] / 1000,
            p90_ms=latency["p90"] / 1000,
            p99_ms=latency["p99"] / 1000,
            max_ms=latency["max"] / 1000,
            deepest_id=data.get("deepest_id") or "",
            chain_ends=int(data.get("chain_ends") or 0),
        )


# --- the run ---------------------------------------------------------------------------------
@dataclass
class Row:
    server: str
    workers: int
    endpoint: Endpoint
    result: WrkResult
    note: str = ""


@dataclass
class MemoryRow:
    server: str
    workers: int
    pid: int
    worker_id: str
    rest_kib: int
    peak_kib: int
    after_kib: int


@dataclass
class SoakReport:
    seconds: float
    workers: int
    result: WrkResult
    per_worker: list[dict[str, Any]]
    leak: bool


def _log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def _admin(dsn: str, statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _settings_fields() -> set[str]:
    """The service's settings, as the code in this checkout defines them."""
    from modules.platform.settings import Settings

    return set(Settings.model_fields)


class Bench:
    def __init__(self, config: Config) -> None:
        self.config = config
        self.children = Children()
        self.work_dir = Path(tempfile.mkdtemp(prefix="catalogue-bench-"))
        self.data_dir = self.work_dir / "data"
        self.data_dir.mkdir()
        self.wrk = Wrk(self.children, self.data_dir, config)
        self.database = f"catalogue_bench_http_{uuid.uuid4().hex[:8]}"
        self.dsn = re.sub(r"/[^/]*$", f"/{self.database}", config.asyncpg_dsn)
        self.rows: list[Row] = []
        self.memory: list[MemoryRow] = []
        self.soak: SoakReport | None = None
        self.access_log: dict[bool, list[WrkResult]] = {}  # access log on? -> its rounds
        self.notes: list[str] = []
        self.catalogue_counts: dict[str, int] = {}
        self.consistency_before: dict[str, int] = {}
        self.consistency_after: dict[str, int] = {}
        self.book_ids: list[int] = []
        self.sample_book: tuple[int, list[tuple[int, str, str]]] | None = None
        self.fields = _settings_fields()
        self.cpu = CpuMeter(self.database)
        self.idle_budget = config.idle_wait_seconds
        self.retries = 0
        self.environment: list[str] = []
        self.started = time.monotonic()

    # -- database -----------------------------------------------------------------------------
    def create_database(self) -> None:
        _admin(self.config.asyncpg_dsn, f'CREATE DATABASE "{self.database}"')
        _log(f"scratch database {self.database}")

    def drop_database(self) -> None:
        if self.config.keep_database:
            _log(f"kept database {self.database} (BENCH_KEEP_DB=1)")
            return
        _admin(self.config.asyncpg_dsn, f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def migrate(self) -> None:
        env = dict(os.environ, DATABASE_URL=self.dsn)
        completed = subprocess.run(
            [sys.executable, "manage.py", "migrate"],
            cwd=PROJECT_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{completed.stdout}\n{completed.stderr}")

    def load(self) -> None:
        started = time.perf_counter()
        data = seed.generate(self.config.books, self.config.authors)
        asyncio.run(seed.load(self.dsn, data))
        self.catalogue_counts = asyncio.run(seed.counts(self.dsn))
        self.consistency_before = asyncio.run(seed.check_consistency(self.dsn))
        _log(f"catalogue loaded in {time.perf_counter() - started:.1f} s: {self.catalogue_counts}")
        if any(self.consistency_before.values()):
            raise RuntimeError(f"the loaded catalogue is inconsistent: {self.consistency_before}")
        # A book with several authors, to check what the service answers.
        authors = {row[0]: row for row in data.authors}
        links: dict[int, list[int]] = {}
        for book_id, author_id, _position in data.book_authors:
            links.setdefault(book_id, []).append(author_id)
        books_of: dict[int, int] = {}
        for author_ids in links.values():
            for author_id in author_ids:
                books_of[author_id] = books_of.get(author_id, 0) + 1
        # Its first author has few books: an author shows only their 20 newest, and the
        # writes of a run may give them a few more.
        sample = next(b for b, a in links.items() if len(a) >= 3 and books_of[a[0]] <= 5)
        self.sample_book = (
            sample,
            [(a, str(authors[a][1]), str(authors[a][2])) for a in links[sample]],
        )
        # Files for the wrk script. Not the sample book: an add-author run (the ORM
        # baseline's, or one worker count's) must not change what the next smoke check expects.
        self.book_ids = sorted(data.book_ids)
        drawn = [b for b in data.book_ids if b != sample]
        (self.data_dir / "book_ids.txt").write_text("\n".join(map(str, drawn)) + "\n")
        (self.data_dir / "author_ids.txt").write_text("\n".join(map(str, data.author_ids)) + "\n")
        (self.data_dir / "words.txt").write_text("\n".join(seed.TITLE_WORDS) + "\n")
        step = max(1, len(self.book_ids) // 256)
        # Chains start spread over the list; the first page is the one after id 0 (every id is).
        starts = [
            encode_position(order=BookOrder.ID, scope=BookFilter().scope(), key=None, after_id=b)
            for b in [0, *self.book_ids[step::step]]
        ]
        (self.data_dir / "cursors.txt").write_text("\n".join(starts) + "\n")

    # -- servers -------------------------------------------------------------------------------
    def _base_env(self, port: int) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DATABASE_URL=self.dsn, HOST="127.0.0.1", PORT=str(port))
        # JSON lines, as in production (development's default is readable console lines).
        env.setdefault("LOG_FORMAT", "json")
        return env

    def start_service(self, workers: int, *, access_log: bool = False) -> Server:
        port = free_port()
        env = self._base_env(port)
        log_path = self.work_dir / f"service-{workers}w{'-access-log' if access_log else ''}.log"
        if "workers" in self.fields:
            # The service's own entry point; each worker leases its own Snowflake worker id.
            env["WORKERS"] = str(workers)
            if "access_log" in self.fields:
                env["ACCESS_LOG"] = "true" if access_log else "false"
            if workers > 1:
                env.pop("SNOWFLAKE_WORKER_ID", None)
            argv = [sys.executable, "manage.py", "serve"]
        else:
            # Older checkouts: uvicorn as manage.py serve runs it, plus --workers. The shim
            # gives every worker process its own SNOWFLAKE_WORKER_ID.
            app = "app:app"
            if workers > 1:
                claims = self.work_dir / f"worker-ids-{workers}w"
                claims.mkdir()
                env["BENCH_WORKER_ID_DIR"] = str(claims)
                app = "bench.worker_app:app"
            argv = [
                str(Path(sys.executable).with_name("uvicorn")),
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--no-proxy-headers",
                "--timeout-graceful-shutdown",
                "10",
            ]
        name = f"service ({workers} worker{'s' if workers > 1 else ''})"
        if access_log:
            name += " with the access log"
        server = Server(
            self.children,
            name,
            argv,
            env,
            log_path,
            ready_path="/health/ready",
            workers=workers,
        )
        server.wait_ready()
        return server

    def start_baseline(self, name: str, app: str) -> Server:
        port = free_port()
        env = self._base_env(port)
        env["BASELINE_DATABASE_URL"] = self.dsn
        argv = [
            str(Path(sys.executable).with_name("uvicorn")),
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--no-proxy-headers",
        ]
        server = Server(
            self.children,
            name,
            argv,
            env,
            self.work_dir / f"{name}.log",
            ready_path="/health",
            workers=1,
        )
        server.wait_ready()
        return server

    def smoke_check(self, server: Server) -> None:
        """The service answers the loaded data as the catalogue has it, in both contexts."""
        assert self.sample_book is not None
        book_id, authors = self.sample_book
        status, body = http_get(f"{server.base_url}/books/{book_id}")
        if status != 200:
            raise RuntimeError(f"GET /books/{book_id}: {status} {body[:300]!r}")
        book = json.loads(body)
        got = [(int(a["id"]), a["first_name"], a["last_name"]) for a in book["authors"]]
        if got != authors:
            raise RuntimeError(f"book {book_id}: service answers {got}, catalogue has {authors}")
        status, body = http_get(f"{server.base_url}/authors/{authors[0][0]}")
        if status != 200 or str(book_id) not in {b["id"] for b in json.loads(body)["books"]}:
            raise RuntimeError(f"author {authors[0][0]} does not list book {book_id}")

    def access_log_lines(self, server: Server) -> int:
        """Access-log lines about /books: uvicorn's ("GET /books/1 HTTP/1.1") or the app's JSON."""
        text = server.log_path.read_text(errors="replace")
        return len(re.findall(r'"(GET|POST) /books[^"]* HTTP/1\.1|"path": ?"/books', text))

    def worker_ids(self, server: Server) -> dict[int, str]:
        """pid -> Snowflake worker id, from the leases (or the shim's claims)."""
        found: dict[int, str] = {}
        claims = self.work_dir / f"worker-ids-{server.workers}w"
        if claims.is_dir():
            for path in claims.iterdir():
                found[int(path.read_text() or 0)] = path.name.removeprefix("worker-")
            return found

        async def leases() -> list[asyncpg.Record]:
            connection = await asyncpg.connect(self.dsn)
            try:
                return await connection.fetch(
                    "SELECT worker_id, owner FROM snowflake_workers WHERE owner IS NOT NULL"
                )
            finally:
                await connection.close()

        with contextlib.suppress(Exception):  # no lease table: ids come from the settings
            for row in asyncio.run(leases()):
                parts = (row["owner"] or "").split(":")
                if len(parts) >= 2 and parts[-2].isdigit():
                    found[int(parts[-2])] = str(row["worker_id"])
        return found

    # -- measuring -----------------------------------------------------------------------------
    def measure(self, server: Server, endpoints: list[Endpoint], label: str) -> None:
        for endpoint in endpoints:
            chosen = self.config.endpoints
            if label != "baseline" and chosen and endpoint.scenario not in chosen:
                continue
            if self.config.warmup_seconds > 0:
                self.wrk.run(server.base_url, endpoint.scenario, self.config.warmup_seconds)
                self.drain(endpoint)
            result = self.measure_once(server, endpoint)
            note = ""
            other = result.cpu.other_cores if result.cpu else 0.0
            if other > OTHER_LOAD_RETRY_CORES and self.idle_budget > 0:
                # Another job on the machine took CPU during the run: once more, when quiet.
                _log(f"other processes used {other:.2f} cores during the run: measuring again")
                self.retries += 1
                self.drain(endpoint)
                again = self.measure_once(server, endpoint)
                if again.cpu and again.cpu.other_cores < other:
                    result = again
            if endpoint.scenario == "page_deep" and result.deepest_id:
                deepest = int(result.deepest_id)
                position = bisect.bisect_right(self.book_ids, deepest)
                note = f"reached row {position:,} of {len(self.book_ids):,}"
            drained = self.drain(endpoint)
            if drained is None:
                note = "; ".join(filter(None, [note, "events still undelivered 60 s later"]))
            elif drained > 1:
                note = "; ".join(filter(None, [note, f"events delivered {drained:.0f} s later"]))
            self.rows.append(Row(label, server.workers, endpoint, result, note))
            _log(
                f"{label:>9} {server.workers}w {endpoint.label:<40} {result.rps:8.0f} req/s  "
                f"p50 {result.p50_ms:6.1f} ms  p99 {result.p99_ms:6.1f} ms  "
                f"server CPU {result.cpu.server_ms_per_request:5.2f} ms/req  "
                f"other load {result.cpu.other_cores:4.2f} cores  "
                f"non-2xx/errors {result.failure_summary()}"
            )
            time.sleep(self.config.pause_seconds)

    def measure_once(self, server: Server, endpoint: Endpoint) -> WrkResult:
        self.wait_for_idle()
        before = self.cpu.snapshot(server)
        result = self.wrk.run(server.base_url, endpoint.scenario, self.config.seconds)
        result.cpu = self.cpu.usage(before, self.cpu.snapshot(server), result.requests)
        return result

    def wait_for_idle(self) -> None:
        """Before a measurement: wait until other processes leave the cores alone (the
        servers are idle now), within the run's overall budget BENCH_IDLE_WAIT_SECONDS."""
        while True:
            before = machine_busy_seconds()
            time.sleep(0.5)
            busy_cores = (machine_busy_seconds() - before) / 0.5
            if busy_cores < IDLE_CORES or self.idle_budget <= 0:
                return
            self.idle_budget -= 0.5

    def drain(self, endpoint: Endpoint) -> float | None:
        """After writes: wait until every event is delivered, so that no run pays for the
        previous one's deliveries. Seconds waited, or None if they were not all delivered."""
        if endpoint.kind != "write":
            return 0.0
        started = time.monotonic()
        return time.monotonic() - started if self.wait_for_outboxes(timeout=60) else None

    def record_memory(
        self, server: Server, sampler: RssSampler, label: str, ids: dict[int, str]
    ) -> None:
        for pid, samples in sampler.by_pid().items():
            values = [kib for _, kib in samples]
            rest = sampler.at_rest.get(pid, values[0])
            self.memory.append(
                MemoryRow(
                    label, server.workers, pid, ids.get(pid, "?"), rest, max(values), values[-1]
                )
            )

    def run_service(self, workers: int) -> None:
        _log(f"starting the service with {workers} worker(s)")
        server = self.start_service(workers)
        sampler = None
        try:
            self.smoke_check(server)
            ids = self.worker_ids(server)
            sampler = RssSampler(server, self.config.rss_interval).start()
            before = self.access_log_lines(server)
            self.measure(server, ENDPOINTS, "service")
            time.sleep(2)  # idle: what stays resident after the load
            sampler.sample()
            if self.access_log_lines(server) - before > 100:
                self.notes.append(
                    f"the service ({workers} worker(s)) wrote access-log lines although "
                    "ACCESS_LOG=false was set: its figures include access logging"
                )
        finally:
            if sampler is not None:
                sampler.stop()
            server.stop()
        if sampler is not None:
            self.record_memory(server, sampler, "service", ids)

    def run_access_log(self) -> None:
        """GET /books/{id} on one worker with the access log on and off: both servers up,
        taking turns (who goes first alternates), so that a slow spell of a shared machine
        falls on both; the ratio of their medians is the access log's cost."""
        endpoint = ENDPOINTS[0]
        chosen = self.config.endpoints
        if self.config.access_log_rounds <= 0 or (chosen and endpoint.scenario not in chosen):
            return
        if "access_log" not in self.fields:
            self.notes.append("this checkout has no ACCESS_LOG setting: its cost was not measured")
            return
        _log("the access log's cost: one worker with it and one without, taking turns")
        servers = {on: self.start_service(1, access_log=on) for on in (False, True)}
        try:
            for server in servers.values():
                self.smoke_check(server)
                if self.config.warmup_seconds > 0:
                    self.wrk.run(server.base_url, endpoint.scenario, self.config.warmup_seconds)
            lines_before = {on: self.access_log_lines(s) for on, s in servers.items()}
            for round_ in range(self.config.access_log_rounds):
                for on in (False, True) if round_ % 2 == 0 else (True, False):
                    result = self.measure_once(servers[on], endpoint)
                    other = result.cpu.other_cores if result.cpu else 0.0
                    if other > OTHER_LOAD_RETRY_CORES and self.idle_budget > 0:
                        _log(f"other processes used {other:.2f} cores: measuring again")
                        self.retries += 1
                        again = self.measure_once(servers[on], endpoint)
                        if again.cpu and again.cpu.other_cores < other:
                            result = again
                    self.access_log.setdefault(on, []).append(result)
                    cpu = result.cpu.server_ms_per_request if result.cpu else 0.0
                    _log(
                        f"access log {'on ' if on else 'off'} round {round_ + 1}: "
                        f"{result.ok_rps:8.0f} req/s  p99 {result.p99_ms:6.1f} ms  "
                        f"server CPU {cpu:5.3f} ms/req  other load {other:4.2f} cores"
                    )
                    time.sleep(self.config.pause_seconds)
            for on, server in servers.items():
                written = self.access_log_lines(server) - lines_before[on]
                requests = sum(r.requests for r in self.access_log[on])
                if on and written < 0.9 * requests:
                    self.notes.append(
                        f"with ACCESS_LOG=true the service wrote {written:,} access-log lines for "
                        f"{requests:,} requests: its figures are not the access log's"
                    )
                if not on and written > 100:
                    self.notes.append(
                        f"with ACCESS_LOG=false the service wrote {written:,} access-log lines"
                    )
        finally:
            for server in servers.values():
                server.stop()

    def run_baseline(self, label: str, app: str, endpoints: list[Endpoint], worker_id: int) -> None:
        _log(f"starting the {label} baseline")
        server = self.start_baseline(label, app)
        sampler = None
        try:
            sampler = RssSampler(server, self.config.rss_interval).start()
            self.measure(server, endpoints, label)
            sampler.sample()
        finally:
            if sampler is not None:
                sampler.stop()
            server.stop()
        if sampler is not None:
            fixed = f"{worker_id} (fixed)"
            self.record_memory(server, sampler, label, {pid: fixed for pid in server.worker_pids()})

    def run_soak(self) -> None:
        config = self.config
        workers = config.soak_workers
        _log(
            f"soak: {config.soak_seconds:.0f} s of mixed reads and writes at about "
            f"{config.soak_rate:.0f} req/s, {workers} worker(s)"
        )
        server = self.start_service(workers)
        sampler = None
        try:
            ids = self.worker_ids(server)
            sampler = RssSampler(server, config.soak_sample_seconds).start()
            # Each connection waits `delay` before each request: connections / (delay +
            # latency) requests per second. A short run measures the latency to subtract.
            delay_ms = config.soak_connections * 1000.0 / config.soak_rate
            probe = self.wrk.run(
                server.base_url,
                "mixed",
                5,
                connections=config.soak_connections,
                delay_ms=delay_ms,
            )
            cycle_ms = probe.seconds * config.soak_connections * 1000 / max(probe.requests, 1)
            delay_ms = max(0.0, 2 * delay_ms - cycle_ms)
            result = self.wrk.run(
                server.base_url,
                "mixed",
                config.soak_seconds,
                connections=config.soak_connections,
                delay_ms=delay_ms,
            )
            sampler.sample()
        finally:
            if sampler is not None:
                sampler.stop()
            server.stop()
        warmup = (
            config.soak_warmup_seconds
            if config.soak_warmup_seconds is not None
            else min(60.0, config.soak_seconds / 5)
        )
        per_worker = []
        for pid, samples in sampler.by_pid().items():
            per_worker.append(
                {"pid": pid, "worker_id": ids.get(pid, "?")}
                | analyse_growth(samples, sampler.started + warmup, config.leak_tolerance_mib)
            )
        leak = any(w["leak"] for w in per_worker)
        self.soak = SoakReport(config.soak_seconds, workers, result, per_worker, leak)
        for w in per_worker:
            _log(
                f"soak worker {w['pid']}: {w['start_mib']:.1f} -> {w['end_mib']:.1f} MiB after "
                f"warm-up, growth {w['growth_mib']:+.1f} MiB (noise {w['noise_mib']:.1f}), "
                f"peak {w['peak_mib']:.1f} MiB: {'LEAK' if w['leak'] else 'ok'}"
            )

    def wait_for_outboxes(self, timeout: float = 30.0) -> bool:
        """Book's events are delivered: True once no event is pending (dead ones aside)."""

        async def wait() -> bool:
            deadline = time.monotonic() + timeout
            connection = await asyncpg.connect(self.dsn)
            try:
                while True:
                    pending = await connection.fetchval(
                        "SELECT (SELECT count(*) FROM book_outbox WHERE dead_at IS NULL)"
                        " + (SELECT count(*) FROM author_outbox WHERE dead_at IS NULL)"
                    )
                    if not pending:
                        return True
                    if time.monotonic() >= deadline:
                        return False
                    await asyncio.sleep(0.2)
            finally:
                await connection.close()

        return asyncio.run(wait())

    # -- the whole run ----------------------------------------------------------------------------
    def run(self, *, soak_only: bool) -> int:
        if shutil.which("wrk") is None:
            print(
                "wrk is not installed: run `make bench` as root (it installs the Debian "
                "package), or `sudo apt-get install -y wrk`",
                file=sys.stderr,
            )
            return 2
        self.environment = describe_environment(self.config)
        self.create_database()
        try:
            _log("migrating")
            self.migrate()
            self.load()
            if not soak_only:
                self.run_baseline(
                    "baseline", "bench.baseline_app:app", BASELINE_ENDPOINTS, BASELINE_WORKER_ID
                )
                self.run_baseline("orm", "bench.orm_app:app", ORM_ENDPOINTS, ORM_WORKER_ID)
                for workers in self.config.workers:
                    self.run_service(workers)
                self.run_access_log()
            if soak_only or self.config.soak_seconds > 0:
                if self.config.soak_seconds <= 0:
                    self.config.soak_seconds = 600
                self.run_soak()
            self.wait_for_outboxes()
            self.consistency_after = asyncio.run(seed.check_consistency(self.dsn))
        finally:
            self.children.stop_all()
            try:
                self.drop_database()
            except Exception as error:  # noqa: BLE001
                _log(f"could not drop {self.database}: {error}")
            shutil.rmtree(self.work_dir, ignore_errors=True)
        report = self.report(soak_only=soak_only)
        print()
        print(report)
        output = self.config.output
        if soak_only:
            output = output.with_name("soak.md")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report + "\n")
        _log(f"written to {output} in {time.monotonic() - self.started:.0f} s")
        return 1 if self.soak is not None and self.soak.leak else 0

    # -- the report -------------------------------------------------------------------------------
    def report(self, *, soak_only: bool) -> str:
        config = self.config
        lines = [
            "# HTTP benchmark",
            "",
            *self.environment,
            f"- catalogue: {self.catalogue_counts.get('books', 0):,} books, "
            f"{self.catalogue_counts.get('authors', 0):,} authors, "
            f"{self.catalogue_counts.get('book_authors', 0):,} book-author links (both sides)",
            f"- load: wrk, {config.connections} connections, {config.wrk_threads} thread(s), "
            f"{config.seconds:.0f} s per endpoint after {config.warmup_seconds:.0f} s warm-up; "
            f"lists with limit={config.page_limit}",
            f"- quiet machine: waited {config.idle_wait_seconds - self.idle_budget:.0f} s for "
            f"other processes to leave the cores (budget {config.idle_wait_seconds:.0f} s), "
            f"measured {self.retries} endpoint(s) again after other load during the run",
            "",
        ]
        if not soak_only:
            lines += self._throughput_table()
            lines += self._access_log_section()
            lines += self._memory_table()
        if self.soak is not None:
            lines += self._soak_section()
        problems = {k: v for k, v in self.consistency_after.items() if v}
        lines.append(
            "Consistency after the run (Book's and Author's links, versions, outboxes): "
            + ("OK" if not problems else f"**BROKEN** {problems}")
        )
        for note in self.notes:
            lines.append(f"\n**Note:** {note}")
        return "\n".join(lines)

    def _baseline(self, scenario: str, server: str = "baseline") -> WrkResult | None:
        return next(
            (r.result for r in self.rows if r.server == server and r.endpoint.scenario == scenario),
            None,
        )

    def _throughput_table(self) -> list[str]:
        lines = [
            "## Throughput and latency",
            "",
            "Ratios: successful req/s over the baseline's (reads over its primary-key read, "
            "POST /books with authors over its same-body insert, other writes over its "
            "plain insert). Ratio to ORM: each write over the plain SQLAlchemy ORM app's same "
            "write (bench/orm_app.py: both sides of every link in one transaction, no events). "
            f"Targets apply to one worker: reads ≥ {READ_RATIO_TARGET} of the baseline with "
            f"p99 < {READ_P99_TARGET_MS:.0f} ms; POST /authors ≥ 0.9 of the ORM app, POST "
            "/books with authors and adding an author ≥ 0.5; every write's p99 < "
            f"{WRITE_P99_TARGET_MS:.0f} ms. CPU ms/req: CPU time of the server's workers and "
            "of the PostgreSQL backends serving them, per request. Other load: cores busy "
            "with processes outside the benchmark while it ran (should be near 0).",
            "",
            _header(
                "endpoint",
                "workers",
                "req/s",
                "p50 ms",
                "p99 ms",
                "non-2xx / errors",
                "ratio",
                "ratio to ORM",
                "ratio target",
                "p99 target",
                "CPU ms/req server, PG",
                "other load",
                "note",
            ),
        ]
        one_worker = {
            r.endpoint.scenario: r.result
            for r in self.rows
            if r.server == "service" and r.workers == 1
        }
        passes = misses = 0
        for row in self.rows:
            result = row.result
            ratio_text = orm_text = ratio_target = p99_target = "–"
            note = row.note
            if row.server == "service":
                base = self._baseline(row.endpoint.baseline)
                if base and base.ok_rps:
                    ratio = result.ok_rps / base.ok_rps
                    ratio_text = f"{ratio:.2f}"
                    if row.workers == 1 and row.endpoint.kind == "read":
                        ok = ratio >= READ_RATIO_TARGET
                        passes, misses = passes + ok, misses + (not ok)
                        ratio_target = f"≥ {READ_RATIO_TARGET}: {'PASS' if ok else '**MISS**'}"
                orm = self._baseline(row.endpoint.orm, "orm") if row.endpoint.orm else None
                if orm and orm.ok_rps:
                    orm_ratio = result.ok_rps / orm.ok_rps
                    orm_text = f"{orm_ratio:.2f}"
                    if row.workers == 1 and row.endpoint.orm_target is not None:
                        ok = orm_ratio >= row.endpoint.orm_target
                        passes, misses = passes + ok, misses + (not ok)
                        ratio_target = (
                            f"≥ {row.endpoint.orm_target} of ORM: {'PASS' if ok else '**MISS**'}"
                        )
                if row.workers == 1:
                    limit = (
                        READ_P99_TARGET_MS if row.endpoint.kind == "read" else WRITE_P99_TARGET_MS
                    )
                    ok = result.p99_ms < limit
                    passes, misses = passes + ok, misses + (not ok)
                    p99_target = f"< {limit:.0f} ms: {'PASS' if ok else '**MISS**'}"
                if row.workers > 1 and row.endpoint.scenario in one_worker:
                    single = one_worker[row.endpoint.scenario].ok_rps
                    if single:
                        scaling = f"{result.ok_rps / single:.2f}× one worker"
                        note = f"{scaling}; {note}" if note else scaling
            workers = {"baseline": "baseline", "orm": "ORM baseline"}.get(row.server, row.workers)
            cpu = result.cpu
            cpu_text = (
                f"{cpu.server_ms_per_request:.2f}, {cpu.postgres_ms_per_request:.2f}"
                if cpu
                else "–"
            )
            other_text = f"{cpu.other_cores:.2f}" if cpu else "–"
            lines.append(
                f"| {row.endpoint.label} | {workers} "
                f"| {result.ok_rps:,.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} "
                f"| {result.failure_summary()} | {ratio_text} | {orm_text} | {ratio_target} "
                f"| {p99_target} "
                f"| {cpu_text} | {other_text} | {note} |"
            )
        lines += ["", f"Targets (one worker): {passes} PASS, {misses} MISS.", ""]
        busiest = max((r.result.cpu.other_cores for r in self.rows if r.result.cpu), default=0)
        if busiest > OTHER_LOAD_WARNING_CORES:
            lines += [
                f"**Warning:** other processes kept up to {busiest:.2f} cores busy during some "
                'runs (see "other load"): on a shared machine the req/s and latencies of those '
                "rows are understated; CPU ms/req is the steadier figure.",
                "",
            ]
        return lines

    def _access_log_section(self) -> list[str]:
        off, on = self.access_log.get(False, []), self.access_log.get(True, [])
        pairs = list(zip(off, on, strict=False))  # each round's two runs, back to back
        if not pairs:
            return []
        ratios = [b.ok_rps / a.ok_rps for a, b in pairs if a.ok_rps]
        cpu_ratios = [
            b.cpu.server_ms_per_request / a.cpu.server_ms_per_request
            for a, b in pairs
            if a.cpu and b.cpu and a.cpu.server_ms_per_request
        ]
        ratio = statistics.median(ratios) if ratios else 0.0
        cpu_added = statistics.median(cpu_ratios) - 1 if cpu_ratios else 0.0
        verdict = "PASS" if ratio >= ACCESS_LOG_RATIO_TARGET else "**MISS**"
        lines = [
            "## The access log's cost",
            "",
            f"GET /books/{{id}}, one worker, {len(pairs)} rounds of {self.config.seconds:.0f} s "
            "with ACCESS_LOG=false and with ACCESS_LOG=true (the default), both servers up and "
            "taking turns. Ratio: each round's req/s with the access log over its req/s "
            f"without, the median over the rounds (target ≥ {ACCESS_LOG_RATIO_TARGET}); "
            "likewise the server's CPU per request. Two server processes can differ by a "
            "few per cent by themselves: on a busy machine (other load) this ratio cannot "
            "resolve the target.",
            "",
            _header(
                "access log",
                "req/s per round",
                "median req/s",
                "median p99 ms",
                "median CPU ms/req server",
                "most other load",
            ),
        ]
        for label, results in (("off", off), ("on", on)):
            cpu = [r.cpu.server_ms_per_request for r in results if r.cpu]
            lines.append(
                f"| {label} | {', '.join(f'{r.ok_rps:,.0f}' for r in results)} "
                f"| {statistics.median(r.ok_rps for r in results):,.0f} "
                f"| {statistics.median(r.p99_ms for r in results):.1f} "
                f"| {statistics.median(cpu) if cpu else 0:.3f} "
                f"| {max(r.cpu.other_cores if r.cpu else 0.0 for r in results):.2f} |"
            )
        lines += [
            "",
            f"Access log on/off: **{ratio:.2f}** (≥ {ACCESS_LOG_RATIO_TARGET}: {verdict}); "
            f"server CPU per request {cpu_added:+.1%} with it.",
            "",
        ]
        return lines

    def _memory_table(self) -> list[str]:
        lines = [
            "## Resident memory per worker (VmRSS)",
            "",
            f"At rest: after start-up, before any load; peak: highest sample (every "
            f"{self.config.rss_interval:g} s) during the run; after: idle, after the last "
            f"endpoint. Target: < {RSS_TARGET_MIB:.0f} MiB per worker at peak.",
            "",
            _header(
                "server",
                "workers",
                "pid",
                "snowflake worker id",
                "at rest MiB",
                "peak MiB",
                "after MiB",
                "target",
            ),
        ]
        for m in self.memory:
            peak = m.peak_kib / 1024
            verdict = (
                "–" if m.server != "service" else ("PASS" if peak < RSS_TARGET_MIB else "**MISS**")
            )
            lines.append(
                f"| {m.server} | {m.workers} | {m.pid} | {m.worker_id} | {m.rest_kib / 1024:.1f} "
                f"| {peak:.1f} | {m.after_kib / 1024:.1f} | {verdict} |"
            )
        lines.append("")
        return lines

    def _soak_section(self) -> list[str]:
        soak = self.soak
        assert soak is not None
        result = soak.result
        lines = [
            "## Soak",
            "",
            f"{soak.seconds:.0f} s of mixed reads and writes (bench/wrk/scenario.lua `mixed`), "
            f"{self.config.soak_connections} connections paced to about "
            f"{self.config.soak_rate:.0f} req/s, {soak.workers} worker(s): achieved "
            f"{result.ok_rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
            f"non-2xx/errors {result.failure_summary()}. RSS sampled every "
            f"{self.config.soak_sample_seconds:g} s; growth is the least-squares line across the "
            "samples after warm-up; LEAK when it exceeds the larger of "
            f"{self.config.leak_tolerance_mib:g} MiB and 3× the samples' noise.",
            "",
            _header(
                "pid",
                "snowflake worker id",
                "after warm-up MiB",
                "end MiB",
                "growth MiB",
                "MiB/hour",
                "noise MiB",
                "peak MiB",
                "verdict",
            ),
        ]
        for w in soak.per_worker:
            verdict = "**LEAK**" if w["leak"] else "ok"
            if w["peak_mib"] >= RSS_TARGET_MIB:
                verdict += f", peak **MISS** (≥ {RSS_TARGET_MIB:.0f} MiB)"
            lines.append(
                f"| {w['pid']} | {w['worker_id']} | {w['start_mib']:.1f} | {w['end_mib']:.1f} "
                f"| {w['growth_mib']:+.1f} | {w['slope_mib_per_hour']:+.1f} | {w['noise_mib']:.1f} "
                f"| {w['peak_mib']:.1f} | {verdict} |"
            )
        lines += ["", f"Soak verdict: {'**LEAK**' if soak.leak else 'no leak'}.", ""]
        return lines


def _header(*names: str) -> str:
    return "| " + " | ".join(names) + " |\n" + "|---" * len(names) + "|"


def analyse_growth(
    samples: list[tuple[float, int]], after: float, tolerance_mib: float
) -> dict[str, Any]:
    """Growth of resident memory after warm-up: a least-squares line through the samples."""
    peak = max(kib for _, kib in samples) / 1024
    window = [(t, kib / 1024) for t, kib in samples if t >= after]
    if len(window) < 4:
        window = [(t, kib / 1024) for t, kib in samples]
    if len(window) < 2:
        value = window[0][1] if window else 0.0
        return {
            "start_mib": value,
            "end_mib": value,
            "growth_mib": 0.0,
            "slope_mib_per_hour": 0.0,
            "noise_mib": 0.0,
            "peak_mib": peak,
            "leak": False,
        }
    ts = [t for t, _ in window]
    ys = [y for _, y in window]
    mean_t, mean_y = statistics.fmean(ts), statistics.fmean(ys)
    var_t = sum((t - mean_t) ** 2 for t in ts)
    slope = sum((t - mean_t) * (y - mean_y) for t, y in window) / var_t if var_t else 0.0
    start = mean_y + slope * (ts[0] - mean_t)
    end = mean_y + slope * (ts[-1] - mean_t)
    residuals = [y - (mean_y + slope * (t - mean_t)) for t, y in window]
    noise = statistics.pstdev(residuals)
    growth = end - start
    return {
        "start_mib": start,
        "end_mib": end,
        "growth_mib": growth,
        "slope_mib_per_hour": slope * 3600,
        "noise_mib": noise,
        "peak_mib": peak,
        "leak": growth > max(tolerance_mib, 3 * noise),
    }


def describe_environment(config: Config) -> list[str]:
    memory = _read_proc("/proc/meminfo") or ""
    total = re.search(r"MemTotal:\s+(\d+)", memory)
    cpu = re.search(r"model name\s*:\s*(.+)", _read_proc("/proc/cpuinfo") or "")
    load = (_read_proc("/proc/loadavg") or "").split()[:3]
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    commit = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=PROJECT_DIR, capture_output=True, text=True
    ).stdout.strip()
    service_env = sorted(
        f"{k}={v}"
        for k, v in os.environ.items()
        if k.startswith(("DB_", "OUTBOX_", "EVENT_", "LOG_", "SNOWFLAKE_", "OTEL_"))
        or k in ("APP_ENV", "API_KEYS", "ACCESS_LOG")
    )
    lines = [
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit or '?'}",
        f"- machine: nproc {os.cpu_count()}, {int(total.group(1)) / 1024 / 1024:.1f} GiB RAM, "
        f"{cpu.group(1).strip() if cpu else platform.processor()}; load average at start "
        f"{' '.join(load)}; server, PostgreSQL and wrk share the cores",
        f"- software: Python {platform.python_version()}, "
        f"{(wrk_version.splitlines() or ['wrk ?'])[0].split(' [')[0]}, "
        f"PostgreSQL on {re.sub(r'//[^@]*@', '//', config.asyncpg_dsn).rsplit('/', 1)[0]}",
        "- servers: uvicorn, uvloop, httptools, no access log (but where its cost is measured); "
        "service defaults unless listed: "
        + (", ".join(service_env) if service_env else "none overridden"),
    ]
    return lines


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """SIGTERM and SIGHUP end the run like Ctrl-C, so that cleanup runs."""

    def interrupt(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--soak", action="store_true", help="run the soak test only")
    args = parser.parse_args()
    config = Config()
    if "postgresql" not in config.database_url and "postgres://" not in config.database_url:
        print("needs PostgreSQL: set BENCH_DATABASE_URL", file=sys.stderr)
        return 2
    bench = Bench(config)
    with _signals_raise():
        return bench.run(soak_only=args.soak)


if __name__ == "__main__":
    sys.exit(main())
