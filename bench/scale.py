"""Does list and search latency stay flat as the catalogue grows?

    python -m bench.scale          (what `make bench-scale` runs)

For each catalogue size in BENCH_SCALE_BOOKS (default 10,000 and 1,000,000 books, one
author per five books), the HTTP benchmark's own machinery (bench/http_bench.py) creates a
scratch database, loads it through COPY, starts the service with one worker and drives the
read endpoints with wrk: a book by id, title searches (a common word, a rare phrase), an
author's books and deep cursor paging. Then, with the service stopped, it measures the
title search on its own: the size of its index beside the books table's, each of
SEARCHES run BENCH_SCALE_SEARCHES times one after the other through the service's read
code (the statement the service prepares, on one connection), and the cost per book
written of keeping the index (BENCH_SCALE_WRITES books inserted in one statement, with
the index and without it, rolled back). A search's time is also given as the CPU its
PostgreSQL backend spent on it, which other load on the machine disturbs less than the
clock. The tables compare the sizes and go to
bench-results/scale.md. Other settings as for `make bench` (BENCH_SECONDS, ...).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select

from bench.http_bench import (
    ENDPOINTS,
    Bench,
    Config,
    Row,
    _log,
    _signals_raise,
    cpu_seconds,
    http_get,
)
from bench.prolific import Result, wrk
from modules.book.application.queries import BookFilter, BookOrder
from modules.book.domain.value_objects import Isbn
from modules.book.infrastructure.queries import SqlBookQueries
from modules.kernel.paging import Key
from modules.kernel.text import folded
from modules.platform.db.read_database import AsyncpgReadDatabase

READS = ("get_book", "list_by_title", "list_by_phrase", "list_by_author", "page_deep")
TITLE_INDEX = "ix_books_title_pieces"  # migration 0012
PAGE = 20

# What people type, and what is hard for an index: (what it is, the text). None is the
# title of the book in the middle of the catalogue.
SEARCHES: tuple[tuple[str, str | None], ...] = (
    ("a common word", "father"),
    ("a rare phrase", "sea of the fox"),
    ("a phrase of common parts", "of the sea"),
    ("too rare for the walk, many matches", "the fox"),
    ("three characters across words", "a b"),
    ("common pieces, in no title", "the the"),
    ("in no title", "zanzibar"),
    ("two letters in no title", "zq"),
    ("two Hangul syllables", "바다"),
    ("one Hangul syllable", "섬"),
    ("the whole title of the middle book", None),  # each catalogue's own
)


# Pages in the other orders, and the ISBN lookup, read one at a time like the searches:
# (what it is, its filters given the middle book, the order, from the middle book on).
def _no_filter(_: Any) -> BookFilter:
    return BookFilter()


ORDERED_READS: tuple[tuple[str, Callable[[Any], BookFilter], BookOrder, bool], ...] = (
    *((f"sort={order}", _no_filter, order, False) for order in BookOrder),
    ("sort=title from the middle book", _no_filter, BookOrder.TITLE, True),
    (
        "sort=-publication_year, publication_year_max=1990",
        lambda _: BookFilter(publication_year_max=1990),
        BookOrder.YEAR_DESC,
        False,
    ),
    *(
        (f'sort={order}, title="{text}"', lambda _, t=text: BookFilter(title=t), order, False)
        for text in ("father", "the fox", "zanzibar")
        for order in (BookOrder.TITLE, BookOrder.PRICE)
    ),
    (
        "isbn= (the middle book's)",
        lambda book: BookFilter(isbn=Isbn(book["isbn"])),
        BookOrder.ID,
        False,
    ),
)


# A sample of the catalogue's own titles, as new books (ids and ISBNs no book has).
INSERT_BOOKS = """
INSERT INTO books (id, title, title_folded, isbn, pages, price, publication_year, version)
SELECT 9000000000000000000 - n, title, title_folded, '979' || lpad(n::text, 10, '0'),
       100, 1000, 2000, 1
FROM (SELECT title, title_folded, row_number() OVER () AS n FROM books LIMIT $1) AS sample
"""


@dataclass
class Search:
    label: str
    text: str
    matches: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    postgres_cpu_ms: float  # the backend's CPU per search: what other load disturbs least


@dataclass
class TitleFigures:
    books_bytes: int  # the table alone
    books_total_bytes: int  # with all its indexes (the title index among them)
    index_bytes: int
    searches: list[Search]
    ordered_reads: list[Search]  # ORDERED_READS, one at a time (no text, no matches)
    write_ms_with_index: float  # per book
    write_ms_without_index: float


Read = Callable[[], Awaitable[object]]


async def _timed(read: Read, backend_pid: int, runs: int) -> tuple[float, float, float, float]:
    """p50, p99 and max ms of `runs` calls of `read`, and its PostgreSQL backend's CPU ms
    per call; after five calls to warm up and to reach the generic plan."""
    for _ in range(5):
        await read()
    cpu_before = cpu_seconds(backend_pid)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await read()
        times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (cpu_seconds(backend_pid) - cpu_before) * 1000 / runs
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99, times[-1], cpu_ms


async def _searches(dsn: str, runs: int) -> tuple[list[Search], list[Search]]:
    """The title searches (SEARCHES), then the ordered reads (ORDERED_READS), each through
    the service's read code on one connection."""
    database = AsyncpgReadDatabase(dsn, pool_size=1)
    queries = SqlBookQueries(database)
    connection = await asyncpg.connect(dsn)
    searches, ordered = [], []
    try:
        # The one connection's backend, a process of this machine's PostgreSQL.
        (backend,) = await database.rows(select(func.pg_backend_pid().label("pid")), {})
        middle = await connection.fetchrow(
            "SELECT id, title, isbn, price, publication_year FROM books ORDER BY id"
            " OFFSET (SELECT count(*) / 2 FROM books) LIMIT 1"
        )
        for label, wanted in SEARCHES:
            text = middle["title"] if wanted is None else wanted
            matches = await connection.fetchval(
                "SELECT count(*) FROM books WHERE strpos(title_folded, $1) > 0", folded(text)
            )

            def search(text: str = text) -> Awaitable[object]:
                return queries.list(BookFilter(title=text), after_id=None, limit=PAGE)

            timing = await _timed(search, backend["pid"], runs)
            searches.append(Search(label, text, matches, *timing))
        for label, make_filter, order, from_middle in ORDERED_READS:
            book_filter = make_filter(middle)
            after_id = middle["id"] if from_middle else None
            after_key = middle[order.field] if from_middle and order.field != "id" else None

            def read(
                book_filter: BookFilter = book_filter,
                order: BookOrder = order,
                after_id: int | None = after_id,
                after_key: Key = after_key,
            ) -> Awaitable[object]:
                return queries.list(
                    book_filter, after_id=after_id, limit=PAGE, order=order, after_key=after_key
                )

            timing = await _timed(read, backend["pid"], runs)
            ordered.append(Search(label, "", 0, *timing))
    finally:
        await connection.close()
        await database.close()
    return searches, ordered


async def _write_ms_per_book(dsn: str, books: int, *, with_index: bool) -> float:
    """The median of three inserts of `books` books in one statement, each rolled back."""
    connection = await asyncpg.connect(dsn)
    times = []
    try:
        for _ in range(3):
            transaction = connection.transaction()
            await transaction.start()
            try:
                if not with_index:
                    await connection.execute(f"DROP INDEX {TITLE_INDEX}")  # back at the rollback
                started = time.perf_counter()
                await connection.execute(INSERT_BOOKS, books)
                times.append(time.perf_counter() - started)
            finally:
                await transaction.rollback()
    finally:
        await connection.close()
    return statistics.median(times) * 1000 / books


async def title_figures(dsn: str) -> TitleFigures:
    connection = await asyncpg.connect(dsn)
    try:
        sizes = await connection.fetchrow(
            "SELECT pg_relation_size('books') AS books,"
            " pg_total_relation_size('books') AS books_total,"
            f" pg_relation_size('{TITLE_INDEX}') AS title_index"
        )
    finally:
        await connection.close()
    runs = int(os.environ.get("BENCH_SCALE_SEARCHES", "100"))
    writes = int(os.environ.get("BENCH_SCALE_WRITES", "10000"))
    searches, ordered_reads = await _searches(dsn, runs)
    return TitleFigures(
        books_bytes=sizes["books"],
        books_total_bytes=sizes["books_total"],
        index_bytes=sizes["title_index"],
        searches=searches,
        ordered_reads=ordered_reads,
        write_ms_with_index=await _write_ms_per_book(dsn, writes, with_index=True),
        write_ms_without_index=await _write_ms_per_book(dsn, writes, with_index=False),
    )


def measure(books: int) -> tuple[dict[str, int], list[Row], TitleFigures]:
    config = Config()
    config.books = books
    config.authors = max(1, books // 5)
    config.workers = [1]
    config.endpoints = list(READS)
    bench = Bench(config)
    bench.create_database()
    try:
        _log(f"{books:,} books: migrating and loading")
        bench.migrate()
        bench.load()
        bench.run_service(1)
        SORTED_RESULTS[books] = measure_sorted_pages(bench)  # the block below
        _log(f"{books:,} books: the title search on its own")
        figures = asyncio.run(title_figures(bench.dsn))
    finally:
        bench.children.stop_all()
        bench.drop_database()
        shutil.rmtree(bench.work_dir, ignore_errors=True)
    return bench.catalogue_counts, bench.rows, figures


def _mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def _growth(values: list[float]) -> str:
    return f"{values[-1] / values[0]:.2f}×" if len(values) > 1 and values[0] else "–"


def _one_at_a_time(
    title: str,
    asked: str,
    labels: list[str],
    per_size: list[list[Search]],
    sizes: list[int],
    *,
    matches: bool,
) -> list[str]:
    """A table of reads timed one at a time: a row per label, a column per size."""
    figures = "matches, " * matches + "p50, p99, max ms, PostgreSQL CPU ms"
    lines = [
        "",
        f"## {title} one at a time (the service's statement, one connection)",
        "",
        f"| {asked} | "
        + " | ".join(f"{s:,} books: {figures}" for s in sizes)
        + " | p50 largest / smallest | CPU largest / smallest |",
        "|---|" + "---|" * len(sizes) + "---|---|",
    ]
    for index, label in enumerate(labels):
        reads = [timings[index] for timings in per_size]
        cells = [
            f"{r.matches:,}, " * matches
            + f"{r.p50_ms:.1f}, {r.p99_ms:.1f}, {r.max_ms:.1f}, {r.postgres_cpu_ms:.2f}"
            for r in reads
        ]
        p50s, cpus = [r.p50_ms for r in reads], [r.postgres_cpu_ms for r in reads]
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {_growth(p50s)} | {_growth(cpus)} |"
        )
    return lines


def report(results: list[tuple[int, dict[str, int], list[Row], TitleFigures]]) -> str:
    sizes = [books for books, _, _, _ in results]
    lines = [
        "# Scale benchmark: read latency as the catalogue grows",
        "",
        f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one worker; "
        "wrk with 32 connections; lists with limit=20",
        *(
            f"- {books:,} books: {counts.get('authors', 0):,} authors, "
            f"{counts.get('book_authors', 0):,} book-author links"
            for books, counts, _, _ in results
        ),
        "",
        "| endpoint | "
        + " | ".join(f"{s:,} books: req/s, p50, p99 ms" for s in sizes)
        + " | p50 largest / smallest |",
        "|---|" + "---|" * len(sizes) + "---|",
    ]
    for endpoint in (e for e in ENDPOINTS if e.scenario in READS):
        cells = []
        p50s = []
        for _, _, rows, _ in results:
            row = next((r for r in rows if r.endpoint.scenario == endpoint.scenario), None)
            if row is None:
                cells.append("–")
                continue
            p50s.append(row.result.p50_ms)
            cells.append(f"{row.result.rps:,.0f}, {row.result.p50_ms:.1f}, {row.result.p99_ms:.1f}")
        lines.append(f"| {endpoint.label} | " + " | ".join(cells) + f" | {_growth(p50s)} |")
    lines.extend(sorted_page_rows(sizes))  # the block below

    lines += [
        "",
        "## The title search's index",
        "",
        "| books | books table | books with all its indexes | title index "
        "| index / table | ms per book written, with the index | without | difference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for books, _, _, figures in results:
        lines.append(
            f"| {books:,} | {_mib(figures.books_bytes)} | {_mib(figures.books_total_bytes)} "
            f"| {_mib(figures.index_bytes)} | {figures.index_bytes / figures.books_bytes:.2f} "
            f"| {figures.write_ms_with_index:.3f} | {figures.write_ms_without_index:.3f} "
            f"| {figures.write_ms_with_index - figures.write_ms_without_index:.3f} |"
        )
    lines += _one_at_a_time(
        "Title searches",
        "`title=`",
        [label if text is None else f'"{text}" ({label})' for label, text in SEARCHES],
        [figures.searches for _, _, _, figures in results],
        sizes,
        matches=True,
    )
    lines += _one_at_a_time(
        "Orders and the ISBN lookup",
        "`GET /books?`",
        [label for label, _, _, _ in ORDERED_READS],
        [figures.ordered_reads for _, _, _, figures in results],
        sizes,
        matches=False,
    )
    return "\n".join(lines)


# --- Sorted pages (GET /books?sort=): this block alone measures them ---------------------
# Each order reads a page along its own index (migrations 0013, 0015), so its first page
# and a page from the middle of the catalogue should cost the same at every size; so
# should the ISBN lookup, from the unique index. Driven with
# bench/prolific.py's wrk runner against a service of their own, after the scenarios above.
SORTED_PAGES = (
    ("GET /books?sort=title", "/books?sort=title"),
    ("GET /books?sort=-title", "/books?sort=-title"),
    ("GET /books?sort=publication_year", "/books?sort=publication_year"),
    ("GET /books?sort=-publication_year", "/books?sort=-publication_year"),
    ("GET /books?sort=price", "/books?sort=price"),
    ("GET /books?sort=-price", "/books?sort=-price"),
    ("GET /books?sort=-id", "/books?sort=-id"),
    ("GET /books?sort=title&cursor=… (mid-catalogue)", "/books?sort=title&cursor={middle}"),
    (
        "GET /books?sort=-publication_year&publication_year_max=…",
        "/books?sort=-publication_year&publication_year_max=1990",
    ),
    # The title search in other orders (ADR 0023): a common word, and a text too rare for
    # the walk (SEARCHES), which the title index answers.
    ("GET /books?sort=title&title=father", "/books?sort=title&title=father"),
    ("GET /books?sort=price&title=father", "/books?sort=price&title=father"),
    ("GET /books?sort=title&title=the fox", "/books?sort=title&title=the%20fox"),
    ("GET /books?sort=price&title=the fox", "/books?sort=price&title=the%20fox"),
    # The ISBN lookup, from the unique index: the middle book's, typed as ISBN-10 if it has one.
    ("GET /books?isbn=…", "/books?isbn={isbn}"),
)
SORTED_RESULTS: dict[int, dict[str, Result]] = {}


def measure_sorted_pages(bench: Bench) -> dict[str, Result]:
    from modules.book.application.queries import BookFilter, BookOrder
    from modules.kernel.paging import encode_position

    server = bench.start_service(1)
    try:
        middle_id = bench.book_ids[len(bench.book_ids) // 2]
        middle = json.loads(http_get(f"{server.base_url}/books/{middle_id}")[1])
        cursor = encode_position(
            order=BookOrder.TITLE,
            scope=BookFilter().scope(),
            key=middle["title"],
            after_id=middle_id,
        )
        isbn = _typed(middle["isbn"])
        results = {}
        for label, path in SORTED_PAGES:
            url = server.base_url + path.format(middle=cursor, isbn=isbn)
            status, body = http_get(url)
            if status != 200 or not json.loads(body)["items"]:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
            _log(f"{label}")
            wrk(url, 1, bench.config.connections)  # warm-up
            results[label] = wrk(url, bench.config.seconds, bench.config.connections)
        return results
    finally:
        server.stop()


def _typed(isbn13: str) -> str:
    """An ISBN as a person would type it: ISBN-10 with hyphens where there is one."""
    from stdnum import isbn

    return isbn.format(isbn.to_isbn10(isbn13) if isbn13.startswith("978") else isbn13)


def sorted_page_rows(sizes: list[int]) -> list[str]:
    lines = []
    for label, _ in SORTED_PAGES:
        measured = [SORTED_RESULTS[s][label] for s in sizes if label in SORTED_RESULTS.get(s, {})]
        cells = [f"{r.rps:,.0f}, {r.p50_ms:.1f}, {r.p99_ms:.1f}" for r in measured]
        cells += ["–"] * (len(sizes) - len(cells))
        growth = (
            f"{measured[-1].p50_ms / measured[0].p50_ms:.2f}×"
            if len(measured) > 1 and measured[0].p50_ms
            else "–"
        )
        failed = sum(r.failures for r in measured)
        note = f" ({failed} failed)" if failed else ""
        lines.append(f"| {label}{note} | " + " | ".join(cells) + f" | {growth} |")
    return lines


# --- end of the sorted pages' block ----------------------------------------------------


def main() -> int:
    sizes = [int(s) for s in os.environ.get("BENCH_SCALE_BOOKS", "10000,1000000").split(",") if s]
    results = []
    with _signals_raise():
        for books in sizes:
            counts, rows, figures = measure(books)
            results.append((books, counts, rows, figures))
    text = report(results)
    print()
    print(text)
    output = Path(os.environ.get("BENCH_SCALE_OUTPUT", "bench-results/scale.md"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n")
    _log(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
