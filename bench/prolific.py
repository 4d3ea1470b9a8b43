"""Does a prolific author cost what a modest one does?

    python -m bench.prolific          (`make bench-scale` runs it after bench/scale.py)

An author shows only their newest books (RECENT_BOOKS) with a count of all of them, so
an author of 10,000 books should be read as fast as an author of 3. A scratch database
on BENCH_DATABASE_URL's server is migrated and loaded through COPY (bench/catalogue.py:
BENCH_PROLIFIC_CATALOGUE books, default 20,000, one author per five books); two of its
authors with 3 books each are picked from the middle of the list, and one of them is given
BENCH_PROLIFIC_BOOKS - 3 more books (default: 10,000 in all). The service runs with one
worker, and wrk (BENCH_CONNECTIONS connections, BENCH_PROLIFIC_SECONDS seconds per case
after a second of warm-up) drives, for each of the two authors: GET /authors/{id}, the page
of GET /authors that begins with them, and the first page of GET /books?author_id=. The
table goes to bench-results/prolific.md (BENCH_PROLIFIC_OUTPUT).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench import catalogue as seed
from bench.http_bench import Bench, Config, Server, _log, _signals_raise, http_get
from modules.author.application.queries import RECENT_BOOKS, AuthorFilter
from modules.kernel.identity import SnowflakeGenerator
from modules.kernel.paging import encode_position

PROLIFIC_WORKER_ID = 1022  # not the loader's (1023), nor any server's
MODEST_BOOKS = 3


@dataclass(frozen=True)
class Case:
    label: str
    path: str  # with {id} and {cursor} for the author's


CASES = (
    Case("GET /authors/{id}", "/authors/{id}"),
    Case("GET /authors (the page of 20 that begins with them)", "/authors?cursor={cursor}"),
    Case("GET /books?author_id=… (their first page)", "/books?author_id={id}"),
)


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    body_bytes: int
    failures: int


def catalogue(books: int, prolific_books: int) -> tuple[seed.Catalogue, int, int]:
    """The usual catalogue, with one of two authors of 3 books grown to `prolific_books`."""
    data = seed.generate(books, max(2, books // 5))
    listed: dict[int, int] = {}
    for author_id, _book_id, _version, _listed in data.author_books:
        listed[author_id] = listed.get(author_id, 0) + 1
    # Far apart, so that the page of authors beginning with one does not hold the other.
    candidates = [a for a in sorted(data.author_ids) if listed.get(a) == MODEST_BOOKS]
    modest, prolific = candidates[len(candidates) // 3], candidates[2 * len(candidates) // 3]
    ids = SnowflakeGenerator(PROLIFIC_WORKER_ID)
    extra = prolific_books - MODEST_BOOKS
    for n in range(extra):
        book_id = ids.next_id()
        # ISBNs from SEED_ISBN_LIMIT up: the catalogue's are all below it.
        isbn = seed.isbn13(seed.SEED_ISBN_LIMIT + n)
        data.books.append((book_id, f"Another Book {n}", isbn, 300, 15_000, 2001, 1))
        data.book_authors.append((book_id, prolific, 1))
        data.author_books.append((prolific, book_id, 1, True))
    for index, row in enumerate(data.authors):
        if row[0] == prolific:  # its version counts its books, as the loader's do
            data.authors[index] = (*row[:5], 1 + prolific_books, prolific_books)
    return data, modest, prolific


def wrk(url: str, seconds: float, connections: int) -> Result:
    """wrk's own report (`--latency`), parsed: requests/s, p50 and p99, non-2xx answers."""
    argv = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True)
    text = out.stdout
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}

    def percentile(name: str) -> float:
        match = re.search(rf"^\s+{name}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"no {name}th percentile in wrk's report:\n{text}")
        return float(match.group(1)) * units[match.group(2)]

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    failures = (int(bad.group(1)) if bad else 0) + (
        sum(int(n) for n in errors.groups()) if errors else 0
    )
    if rps is None:
        raise RuntimeError(f"no requests/s in wrk's report:\n{text}")
    return Result(float(rps.group(1)), percentile("50"), percentile("99"), 0, failures)


def check(server: Server, author_id: int, books: int) -> None:
    status, body = http_get(f"{server.base_url}/authors/{author_id}")
    author = json.loads(body)
    shown = min(books, RECENT_BOOKS)
    if status != 200 or author["books_total"] != books or len(author["books"]) != shown:
        raise RuntimeError(f"author {author_id} is not what was loaded: {status} {body[:300]!r}")


@dataclass(frozen=True)
class Run:
    counts: dict[str, int]
    modest: int
    prolific: int
    results: dict[tuple[str, int], Result]


def measure(config: Config, books: int, prolific_books: int, seconds: float) -> Run:
    bench = Bench(config)
    bench.create_database()
    try:
        _log(f"{books:,} books and an author of {prolific_books:,}: migrating and loading")
        bench.migrate()
        data, modest, prolific = catalogue(books, prolific_books)
        asyncio.run(seed.load(bench.dsn, data))
        counts = asyncio.run(seed.counts(bench.dsn))
        consistency = asyncio.run(seed.check_consistency(bench.dsn))
        if any(consistency.values()):
            raise RuntimeError(f"the loaded catalogue is inconsistent: {consistency}")
        server = bench.start_service(1)
        try:
            check(server, modest, MODEST_BOOKS)
            check(server, prolific, prolific_books)
            results: dict[tuple[str, int], Result] = {}
            for case in CASES:
                for author_id in (modest, prolific):
                    cursor = encode_position(
                        order="id", scope=AuthorFilter().scope(), key=None, after_id=author_id - 1
                    )
                    path = case.path.format(id=author_id, cursor=cursor)
                    url = server.base_url + path
                    _log(f"{case.label}, author {author_id}")
                    wrk(url, 1, config.connections)  # warm-up
                    result = wrk(url, seconds, config.connections)
                    size = len(http_get(url)[1])
                    results[(case.label, author_id)] = Result(
                        result.rps, result.p50_ms, result.p99_ms, size, result.failures
                    )
        finally:
            server.stop()
    finally:
        bench.children.stop_all()
        bench.drop_database()
        shutil.rmtree(bench.work_dir, ignore_errors=True)
    return Run(counts, modest, prolific, results)


def report(run: Run, prolific_books: int, seconds: float, connections: int) -> str:
    counts, results = run.counts, run.results
    lines = [
        "# Prolific author benchmark: an author of many books costs what one of 3 does",
        "",
        f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one worker; wrk with "
        f"{connections} connections, {seconds:g} s per case after 1 s of warm-up",
        f"- catalogue: {counts.get('books', 0):,} books, {counts.get('authors', 0):,} authors, "
        f"{counts.get('book_authors', 0):,} book-author links; an author shows "
        f"{RECENT_BOOKS} books at most",
        "",
        f"| request | author of {MODEST_BOOKS} books: req/s, p50, p99 ms, body bytes | author of "
        f"{prolific_books:,} books: req/s, p50, p99 ms, body bytes | p50 {prolific_books:,} / "
        f"{MODEST_BOOKS} |",
        "|---|---|---|---|",
    ]
    failures = 0
    for case in CASES:
        cells = []
        for author_id in (run.modest, run.prolific):
            r = results[(case.label, author_id)]
            failures += r.failures
            cells.append(f"{r.rps:,.0f}, {r.p50_ms:.1f}, {r.p99_ms:.1f}, {r.body_bytes:,}")
        small, big = results[(case.label, run.modest)], results[(case.label, run.prolific)]
        ratio = f"{big.p50_ms / small.p50_ms:.2f}×" if small.p50_ms else "–"
        lines.append(f"| {case.label} | {cells[0]} | {cells[1]} | {ratio} |")
    lines += ["", f"Answers other than 2xx, and socket errors: {failures}."]
    return "\n".join(lines)


def main() -> int:
    books = int(os.environ.get("BENCH_PROLIFIC_CATALOGUE", "20000"))
    prolific_books = int(os.environ.get("BENCH_PROLIFIC_BOOKS", "10000"))
    seconds = float(os.environ.get("BENCH_PROLIFIC_SECONDS", "5"))
    config = Config()
    with _signals_raise():
        run = measure(config, books, prolific_books, seconds)
    text = report(run, prolific_books, seconds, config.connections)
    print()
    print(text)
    output = Path(os.environ.get("BENCH_PROLIFIC_OUTPUT", "bench-results/prolific.md"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n")
    _log(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
