"""Does list and search latency stay flat as the catalogue grows?

    python -m bench.scale          (what `make bench-scale` runs)

For each catalogue size in BENCH_SCALE_BOOKS (default 10,000 and 1,000,000 books, one
author per five books), the HTTP benchmark's own machinery (bench/http_bench.py) creates a
scratch database, loads it through COPY, starts the service with one worker and drives the
read endpoints with wrk: a book by id, title searches (a common word, a rare phrase), an
author's books and deep cursor paging. The table compares each endpoint's latency and
throughput across the sizes and goes to bench-results/scale.md. Other settings as for
`make bench` (BENCH_SECONDS, ...).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

from bench.http_bench import ENDPOINTS, Bench, Config, Row, _log, _signals_raise, http_get
from bench.prolific import Result, wrk

READS = ("get_book", "list_by_title", "list_by_phrase", "list_by_author", "page_deep")


def measure(books: int) -> tuple[dict[str, int], list[Row]]:
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
    finally:
        bench.children.stop_all()
        bench.drop_database()
        shutil.rmtree(bench.work_dir, ignore_errors=True)
    return bench.catalogue_counts, bench.rows


def report(results: list[tuple[int, dict[str, int], list[Row]]]) -> str:
    sizes = [books for books, _, _ in results]
    lines = [
        "# Scale benchmark: read latency as the catalogue grows",
        "",
        f"- when: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; one worker; "
        "wrk with 32 connections; lists with limit=20",
        *(
            f"- {books:,} books: {counts.get('authors', 0):,} authors, "
            f"{counts.get('book_authors', 0):,} book-author links"
            for books, counts, _ in results
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
        for _, _, rows in results:
            row = next((r for r in rows if r.endpoint.scenario == endpoint.scenario), None)
            if row is None:
                cells.append("–")
                continue
            p50s.append(row.result.p50_ms)
            cells.append(f"{row.result.rps:,.0f}, {row.result.p50_ms:.1f}, {row.result.p99_ms:.1f}")
        growth = f"{p50s[-1] / p50s[0]:.2f}×" if len(p50s) > 1 and p50s[0] else "–"
        lines.append(f"| {endpoint.label} | " + " | ".join(cells) + f" | {growth} |")
    lines.extend(sorted_page_rows(sizes))  # the block below
    return "\n".join(lines)


# --- Sorted pages (GET /books?sort=): this block alone measures them ---------------------
# Each order reads a page along its own index (migration 0013), so its first page and a
# page from the middle of the catalogue should cost the same at every size. Driven with
# bench/prolific.py's wrk runner against a service of their own, after the scenarios above.
SORTED_PAGES = (
    ("GET /books?sort=title", "/books?sort=title"),
    ("GET /books?sort=-publication_year", "/books?sort=-publication_year"),
    ("GET /books?sort=price", "/books?sort=price"),
    ("GET /books?sort=title&cursor=… (mid-catalogue)", "/books?sort=title&cursor={middle}"),
    (
        "GET /books?sort=-publication_year&publication_year_max=…",
        "/books?sort=-publication_year&publication_year_max=1990",
    ),
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
        results = {}
        for label, path in SORTED_PAGES:
            url = server.base_url + path.format(middle=cursor)
            status, body = http_get(url)
            if status != 200 or len(json.loads(body)["items"]) != 20:
                raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
            _log(f"{label}")
            wrk(url, 1, bench.config.connections)  # warm-up
            results[label] = wrk(url, bench.config.seconds, bench.config.connections)
        return results
    finally:
        server.stop()


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
            counts, rows = measure(books)
            results.append((books, counts, rows))
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
