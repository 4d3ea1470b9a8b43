"""The floor the service is measured against: a bare FastAPI app on raw asyncpg.

    BASELINE_DATABASE_URL=postgresql://... uvicorn bench.baseline_app:app \
        --loop uvloop --http httptools --no-access-log

No ORM, no dependency injection, no domain, no events: the same work a hand-written
service would do for the same answers, on the same tables.

* GET /books/{id}: the book by primary key with its authors' names (the service's
  representation, minus the ETag), in one round trip.
* POST /books: the same JSON body as the service's. Without authors: one INSERT. With
  authors: one transaction that inserts the book, its links, and the authors' side of the
  links (`author_books`, author versions and book counts), leaving the catalogue as the
  service would; it answers the created book with its authors' names. Duplicate ISBN: 409.

Pool: 10 to 20 connections, as the service's default pool (10 + 10 overflow).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from modules.kernel.identity import SnowflakeGenerator
from modules.kernel.text import folded, normalised

BASELINE_WORKER_ID = 1022  # no server of the benchmark leases it (they take the lowest free)

GET_BOOK = """
SELECT b.id, b.title, b.isbn, b.pages, b.price, b.publication_year, b.version,
       a.id AS author_id, a.first_name, a.last_name
FROM books b
LEFT JOIN book_authors ba ON ba.book_id = b.id
LEFT JOIN authors a ON a.id = ba.author_id
WHERE b.id = $1
ORDER BY ba.position
"""
INSERT_BOOK = """
INSERT INTO books (id, title, isbn, pages, price, publication_year, version, title_folded)
VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
ON CONFLICT (isbn) DO NOTHING
RETURNING id
"""
INSERT_BOOK_AUTHORS = """
INSERT INTO book_authors (book_id, author_id, position)
SELECT $1, author_id, position
FROM unnest($2::bigint[]) WITH ORDINALITY AS t(author_id, position)
"""
LIST_ON_AUTHORS = """
INSERT INTO author_books (author_id, book_id, book_version, listed)
SELECT author_id, $1, 1, true FROM unnest($2::bigint[]) AS t(author_id)
"""
BUMP_AUTHORS = """
UPDATE authors SET version = version + 1, book_count = book_count + 1 WHERE id = ANY($1::bigint[])
RETURNING id, first_name, last_name
"""


class BookIn(BaseModel):
    title: str = Field(min_length=1, max_length=255)
    isbn: str = Field(min_length=10, max_length=17)
    pages: int = Field(ge=1)
    price: int = Field(ge=0)
    publication_year: int = Field(ge=1, le=9999)
    author_ids: list[int] = Field(default_factory=list, max_length=50)


def _dsn() -> str:
    url = os.environ.get("BASELINE_DATABASE_URL") or os.environ["DATABASE_URL"]
    return url.replace("postgresql+asyncpg://", "postgresql://")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(_dsn(), min_size=10, max_size=20)
    app.state.ids = SnowflakeGenerator(BASELINE_WORKER_ID)
    try:
        yield
    finally:
        await app.state.pool.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/books/{book_id}")
async def get_book(book_id: int, request: Request) -> JSONResponse:
    rows = await request.app.state.pool.fetch(GET_BOOK, book_id)
    if not rows:
        return JSONResponse({"detail": "not found"}, status_code=404)
    first = rows[0]
    return JSONResponse(
        {
            "id": str(first["id"]),
            "title": first["title"],
            "isbn": first["isbn"],
            "pages": first["pages"],
            "price": first["price"],
            "publication_year": first["publication_year"],
            "authors": [
                {
                    "id": str(row["author_id"]),
                    "first_name": row["first_name"],
                    "last_name": row["last_name"],
                }
                for row in rows
                if row["author_id"] is not None
            ],
            "version": first["version"],
        }
    )


@app.post("/books", status_code=201)
async def create_book(body: BookIn, request: Request) -> JSONResponse:
    book_id = request.app.state.ids.next_id()
    isbn = body.isbn.replace("-", "").replace(" ", "")
    title = normalised(body.title)  # stored as the service stores it, and folded for searches
    author_ids = list(dict.fromkeys(body.author_ids))
    authors: list[asyncpg.Record] = []
    async with request.app.state.pool.acquire() as connection:
        if not author_ids:
            inserted = await connection.fetchval(
                INSERT_BOOK,
                book_id,
                title,
                isbn,
                body.pages,
                body.price,
                body.publication_year,
                folded(title),
            )
        else:
            async with connection.transaction():
                inserted = await connection.fetchval(
                    INSERT_BOOK,
                    book_id,
                    title,
                    isbn,
                    body.pages,
                    body.price,
                    body.publication_year,
                    folded(title),
                )
                if inserted is not None:
                    await connection.execute(INSERT_BOOK_AUTHORS, book_id, author_ids)
                    await connection.execute(LIST_ON_AUTHORS, book_id, author_ids)
                    authors = await connection.fetch(BUMP_AUTHORS, author_ids)
    if inserted is None:
        return JSONResponse({"detail": "duplicate ISBN"}, status_code=409)
    names = {row["id"]: row for row in authors}
    return JSONResponse(
        {
            "id": str(book_id),
            "title": body.title,
            "isbn": isbn,
            "pages": body.pages,
            "price": body.price,
            "publication_year": body.publication_year,
            "authors": [
                {
                    "id": str(a),
                    "first_name": names[a]["first_name"],
                    "last_name": names[a]["last_name"],
                }
                for a in author_ids
                if a in names
            ],
            "version": 1,
        },
        status_code=201,
        headers={"Location": f"/books/{book_id}"},
    )
