"""The everyday yardstick for writes: a plain FastAPI app on the SQLAlchemy ORM.

    BASELINE_DATABASE_URL=postgresql+asyncpg://... uvicorn bench.orm_app:app \
        --loop uvloop --http httptools --no-access-log

What most teams would write: declarative models, one AsyncSession per request, one
transaction per write that ends by reading the resource back as the answer. No DDD layers, no
events, no outbox: each write changes both sides of a link itself, so the catalogue ends
as the service leaves it (book_authors and author_books agree, author versions and
book_count count the books they list), on the service's own migrated tables.

* POST /authors: insert an author; 201 with the author.
* POST /books: insert a book, its links and the authors' side of them (author rows locked,
  versions bumped); 201 with the book and its authors' names. Unknown author: 422;
  duplicate ISBN: 409.
* POST /books/{id}/authors/{author_id}: add one link on both sides; 200 with the book.
  Unknown book or author: 404; an author the book already has: 409.

Pool: 10 + 10 overflow, as the service's default.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, ForeignKey, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from bench.baseline_app import BookIn  # the same body, checked the same way
from modules.kernel.identity import SnowflakeGenerator

ORM_WORKER_ID = 1021  # not the raw baseline's, and no server of the benchmark leases it


class Base(DeclarativeBase):
    type_annotation_map = {int: BigInteger}


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str]
    isbn: Mapped[str] = mapped_column(unique=True)
    pages: Mapped[int]
    price: Mapped[int]
    publication_year: Mapped[int]
    version: Mapped[int]
    # lazy="raise": every load is spelled out in the query, as async sessions need.
    links: Mapped[list[BookAuthor]] = relationship(order_by="BookAuthor.position", lazy="raise")


class BookAuthor(Base):
    __tablename__ = "book_authors"
    book_id: Mapped[int] = mapped_column(ForeignKey("books.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int]
    # The schema has no foreign key across contexts: the join is spelled out.
    author: Mapped[Author] = relationship(
        primaryjoin="foreign(BookAuthor.author_id) == Author.id", viewonly=True, lazy="raise"
    )


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_name: Mapped[str]
    last_name: Mapped[str]
    age: Mapped[int]
    biography: Mapped[str | None]
    version: Mapped[int]
    book_count: Mapped[int]
    links: Mapped[list[AuthorBook]] = relationship(order_by="AuthorBook.book_id", lazy="raise")


class AuthorBook(Base):
    __tablename__ = "author_books"
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"), primary_key=True)
    book_id: Mapped[int] = mapped_column(primary_key=True)
    book_version: Mapped[int]
    listed: Mapped[bool]
    book: Mapped[Book] = relationship(
        primaryjoin="foreign(AuthorBook.book_id) == Book.id", viewonly=True, lazy="raise"
    )


class AuthorIn(BaseModel):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    age: int = Field(ge=1, le=150)
    biography: str | None = Field(default=None, max_length=3000)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    url = os.environ.get("BASELINE_DATABASE_URL") or os.environ["DATABASE_URL"]
    url = url.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_async_engine(url, pool_size=10, max_overflow=10)
    # As the SQLAlchemy docs advise for asyncio: what a request read stays readable after commit.
    app.state.sessions = async_sessionmaker(engine, expire_on_commit=False)
    app.state.ids = SnowflakeGenerator(ORM_WORKER_ID)
    try:
        yield
    finally:
        await engine.dispose()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as s:
        yield s


Session = Annotated[AsyncSession, Depends(session)]


async def book_out(s: AsyncSession, book_id: int) -> dict[str, Any]:
    """The book as the database now has it (flushed, not yet committed)."""
    book = await s.scalar(
        select(Book)
        .where(Book.id == book_id)
        .options(selectinload(Book.links).selectinload(BookAuthor.author))
        .execution_options(populate_existing=True)
    )
    assert book is not None
    authors = [link.author for link in book.links]
    return {
        "id": str(book.id),
        "title": book.title,
        "isbn": book.isbn,
        "pages": book.pages,
        "price": book.price,
        "publication_year": book.publication_year,
        "authors": [
            {"id": str(a.id), "first_name": a.first_name, "last_name": a.last_name} for a in authors
        ],
        "version": book.version,
    }


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/authors", status_code=201)
async def create_author(body: AuthorIn, s: Session, request: Request) -> dict[str, Any]:
    author_id = request.app.state.ids.next_id()
    async with s.begin():
        s.add(Author(id=author_id, version=1, book_count=0, **body.model_dump()))
        await s.flush()
        author = await s.scalar(
            select(Author)
            .where(Author.id == author_id)
            .options(
                selectinload(Author.links.and_(AuthorBook.listed)).selectinload(AuthorBook.book)
            )
            .execution_options(populate_existing=True)
        )
    assert author is not None
    return {
        "id": str(author.id),
        "first_name": author.first_name,
        "last_name": author.last_name,
        "age": author.age,
        "biography": author.biography,
        "books": [{"id": str(link.book_id), "title": link.book.title} for link in author.links],
        "version": author.version,
    }


@app.post("/books", status_code=201)
async def create_book(body: BookIn, s: Session, request: Request) -> dict[str, Any]:
    book_id = request.app.state.ids.next_id()
    author_ids = list(dict.fromkeys(body.author_ids))
    fields = body.model_dump(exclude={"author_ids", "isbn"})
    try:
        async with s.begin():
            # Locked: two books taking one author at once would otherwise lose a version.
            chosen = select(Author).where(Author.id.in_(author_ids)).with_for_update()
            authors = list(await s.scalars(chosen)) if author_ids else []
            if len(authors) != len(author_ids):
                raise HTTPException(422, "unknown author")
            isbn = body.isbn.replace("-", "").replace(" ", "")
            s.add(Book(id=book_id, isbn=isbn, version=1, **fields))
            for position, author_id in enumerate(author_ids, start=1):
                s.add(BookAuthor(book_id=book_id, author_id=author_id, position=position))
                s.add(AuthorBook(author_id=author_id, book_id=book_id, book_version=1, listed=True))
            for author in authors:
                author.version += 1
                author.book_count += 1
            await s.flush()
            return await book_out(s, book_id)
    except IntegrityError:  # at the flush: the ISBN's unique index
        raise HTTPException(409, "duplicate ISBN") from None


@app.post("/books/{book_id}/authors/{author_id}")
async def add_author(book_id: int, author_id: int, s: Session) -> dict[str, Any]:
    async with s.begin():
        book = await s.get(Book, book_id, with_for_update=True, options=[selectinload(Book.links)])
        author = await s.get(Author, author_id, with_for_update=True)
        if book is None or author is None:
            raise HTTPException(404, "no such book or author")
        if any(link.author_id == author_id for link in book.links):
            raise HTTPException(409, "already an author of the book")
        book.version += 1
        position = max((link.position for link in book.links), default=0) + 1
        book.links.append(BookAuthor(author_id=author_id, position=position))
        author.version += 1
        author.book_count += 1
        # merge: the author may remember an earlier removal (a row with listed=false).
        await s.merge(
            AuthorBook(author_id=author_id, book_id=book_id, book_version=book.version, listed=True)
        )
        await s.flush()
        return await book_out(s, book_id)
