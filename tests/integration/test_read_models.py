"""The read side: DTOs straight from SQL, a fixed number of statements per request."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

import modules.book.infrastructure.queries as book_read_side
from modules.author.application.queries import RECENT_BOOKS, AuthorFilter
from modules.author.application.use_cases.update_author import UpdateAuthorCommand
from modules.book.application.queries import BookFilter
from modules.book.application.use_cases.update_book import UpdateBookCommand
from modules.book.domain.value_objects import Isbn
from modules.container import Container
from modules.platform.db.read_database import AsyncpgReadDatabase
from tests.integration.helpers import create_author, create_book, statements_run


async def test_a_renamed_author_is_found_by_the_new_name_only(container: Container) -> None:
    """The folded copies of the names follow a change of them (ADR 0024)."""
    author_id = await create_author(container, "Ursula", "Le Guin")
    await container.update_author()(
        UpdateAuthorCommand(
            author_id=author_id, last_name="Straßer", fields_set=frozenset({"last_name"})
        )
    )
    queries = container.author_queries()

    async def found(author_filter: AuthorFilter) -> list[int]:
        return [a.id for a in (await queries.list(author_filter, after_id=None, limit=5)).items]

    assert await found(AuthorFilter(last_name="STRASSER")) == [author_id]
    assert await found(AuthorFilter(name="ursula strasser")) == [author_id]
    assert await found(AuthorFilter(last_name="Le Guin")) == []
    assert await found(AuthorFilter(first_name="ursula")) == [author_id]


async def test_a_book_view_carries_its_authors_current_names(container: Container) -> None:
    author_id = await create_author(container, "Ursula", "Le Guin")
    book_id = await create_book(container, "The Lathe of Heaven", [author_id])
    await container.update_author()(
        UpdateAuthorCommand(
            author_id=author_id, first_name="U. K.", fields_set=frozenset({"first_name"})
        )
    )
    view = await container.book_queries().get(book_id)
    assert view is not None
    assert view.title == "The Lathe of Heaven"
    assert [(a.id, a.first_name, a.last_name) for a in view.authors] == [
        (author_id, "U. K.", "Le Guin")
    ]


async def test_an_author_view_carries_its_books_titles(container: Container) -> None:
    author_id = await create_author(container)
    first = await create_book(container, "One", [author_id])
    second = await create_book(container, "Two", [author_id])
    view = await container.author_queries().get(author_id)
    assert view is not None
    assert [(b.id, b.title) for b in view.books] == [(first, "One"), (second, "Two")]


async def test_title_filter_is_a_case_insensitive_substring_with_literal_wildcards(
    container: Container,
) -> None:
    await create_book(container, "100% Pure")
    await create_book(container, "1000 Pure")
    await create_book(container, "snake_case")
    await create_book(container, "snakeXcase")
    queries = container.book_queries()
    percent = await queries.list(BookFilter(title="0% p"), after_id=None, limit=10)
    assert [b.title for b in percent.items] == ["100% Pure"]
    underscore = await queries.list(BookFilter(title="E_C"), after_id=None, limit=10)
    assert [b.title for b in underscore.items] == ["snake_case"]


async def test_author_filter_and_name_filter(container: Container) -> None:
    ursula = await create_author(container, "Ursula", "Le Guin")
    await create_author(container, "Frank", "Herbert")
    mine = await create_book(container, "Mine", [ursula])
    await create_book(container, "Other")
    books = await container.book_queries().list(
        BookFilter(author_id=ursula), after_id=None, limit=10
    )
    assert [b.id for b in books.items] == [mine]
    authors = await container.author_queries().list(
        AuthorFilter(name="GUI"), after_id=None, limit=10
    )
    assert [a.id for a in authors.items] == [ursula]


async def test_keyset_pages_walk_every_row_once(container: Container) -> None:
    ids = [await create_book(container, f"Book {i}") for i in range(7)]
    queries = container.book_queries()
    seen: list[int] = []
    after: int | None = None
    pages = 0
    while True:
        page = await queries.list(BookFilter(), after_id=after, limit=3)
        seen.extend(b.id for b in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        after = page.items[-1].id
    assert seen == ids
    assert pages == 3


async def test_statements_per_read_do_not_grow_with_the_page(container: Container) -> None:
    authors = [await create_author(container) for _ in range(3)]
    for i in range(15):
        await create_book(container, f"Book {i}", authors)
    await container.relay().complete_delivered()  # the delivered events' rows, now
    queries = container.book_queries()
    with statements_run(container) as one:
        await queries.list(BookFilter(), after_id=None, limit=1)
    with statements_run(container) as fifteen:
        await queries.list(BookFilter(), after_id=None, limit=15)
    assert len(one) == len(fifteen) == 1  # books joined to their authors' names

    author_queries = container.author_queries()
    with statements_run(container) as author_one:
        await author_queries.list(AuthorFilter(), after_id=None, limit=1)
    with statements_run(container) as author_all:
        await author_queries.list(AuthorFilter(), after_id=None, limit=3)
    assert len(author_one) == len(author_all) == 1  # authors joined to their books' titles


@pytest.mark.parametrize("walk", [1, 4, 1000])
async def test_title_search_pages_are_the_same_whether_the_walk_or_the_index_finds_them(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """A title search walks TITLE_WALK_BOOKS books in id order and turns to the index when
    they hold less than a page. Whichever finds a page, paging through a text's matches
    gives each matching book once, in id order: with a walk of 4 a word in every title is
    found by the walk and the rarer ones by the index; with 1000 the walk finds them too."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    titles = [
        " ".join(["Common", "Mid" if i % 3 == 0 else "", "Rare Rare" if i % 7 == 0 else ""])
        for i in range(24)
    ]
    ids = [await create_book(container, title) for title in titles]
    queries = container.book_queries()
    # Phrases too, with single and double spaces, and a text no title holds but that
    # would be in "Common Mid" without its space. "rare" is twice in its titles: the index
    # has two pieces of one title for it, and the page must still count books. Texts of
    # one and two characters, and longer than a piece of the index.
    words = ("common", "mid", "RARE", "none", "common mid", "commonmid", "n m", "mid  rare")
    for word in (*words, "d", "id", "e r", "common mid  rare", "on mid  rare rare"):
        expected = [
            i for i, title in zip(ids, titles, strict=True) if word.lower() in title.lower()
        ]
        seen: list[int] = []
        after: int | None = None
        for _ in range(len(ids)):  # bounded: a cursor that never moves on fails, not hangs
            page = await queries.list(BookFilter(title=word), after_id=after, limit=3)
            assert len(page.items) <= 3
            seen.extend(b.id for b in page.items)
            if page.next_cursor is None:
                break
            after = page.items[-1].id
        assert seen == expected, word


def _explain_each_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, each read of the read side is also run under EXPLAIN ANALYZE, in its
    generic plan (the one PostgreSQL may settle on after five runs of a prepared
    statement), on the same connection with the same arguments, seq scans turned off so
    that a tiny test table still shows whether an index can be used at all. The plans
    are returned in the list, in order."""
    plans: list[str] = []

    async def fetch_and_explain(pool: asyncpg.Pool, sql: str, arguments: list[Any]) -> Any:
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("SET LOCAL enable_seqscan = off")
            await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            await connection.execute(f"PREPARE search AS {sql}")
            literals = [  # EXECUTE takes no parameters
                await connection.fetchval(
                    "SELECT quote_nullable($1::text)", None if argument is None else str(argument)
                )
                for argument in arguments
            ]
            plan = await connection.fetch(
                f"EXPLAIN (ANALYZE, COSTS OFF) EXECUTE search({', '.join(literals)})"
            )
            await connection.execute("DEALLOCATE search")
            plans.append("\n".join(row[0] for row in plan))
            return await connection.fetch(sql, *arguments)

    monkeypatch.setattr(AsyncpgReadDatabase, "_fetch", staticmethod(fetch_and_explain))
    return plans


# The title index (migration 0014) searched with the text's pieces made from the
# statement's parameter: the generic plan uses the index, as an index.
_TITLE_INDEX_OF_A_PARAMETER = re.compile(
    r"Bitmap Index Scan on ix_books_title_pieces.*\n"
    r".*Index Cond: \(book_title_pieces\(title_folded\) @@ "
    r"book_title_pieces_query\(\(\$\d+\)::text\)\)"
)


@pytest.mark.parametrize("text", ["sea of the fox", "ox", "바다"])
async def test_the_title_index_answers_a_title_search_in_the_plan_the_service_ends_with(
    container: Container, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """The title index (migration 0014) is only worth having if PostgreSQL reads it, and
    it must read it in the generic plan too, for a text longer than a piece, shorter than
    one, or not Latin at all."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the title index is PostgreSQL's; SQLite scans")
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", 1)  # the walk finds nothing
    await create_book(container, "Another Book")
    wanted = await create_book(container, "The Sea of the Fox, 바다")
    plans = _explain_each_read(monkeypatch)
    page = await container.book_queries().list(BookFilter(title=text), after_id=None, limit=20)
    assert [book.id for book in page.items] == [wanted]
    assert len(plans) == 1
    assert _TITLE_INDEX_OF_A_PARAMETER.search(plans[0]), plans[0]
    assert "(never executed)" not in plans[0].split("ix_books_title_pieces")[1].split("\n")[0]


async def test_a_walk_that_reaches_the_last_book_answers_without_the_index(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Near the end of the catalogue the walk has fewer books to read than it may, and may
    find less than a page even of a common word; it has then seen every book after the
    cursor, and the index, which would find every title holding the text, is not read."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the title index is PostgreSQL's; SQLite scans")
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", 5)
    ids = [await create_book(container, f"The Book {n}") for n in range(7)]
    plans = _explain_each_read(monkeypatch)
    queries = container.book_queries()
    middle = await queries.list(BookFilter(title="book"), after_id=ids[0], limit=3)
    end = await queries.list(BookFilter(title="book"), after_id=ids[3], limit=3)
    assert [book.id for book in middle.items] == ids[1:4]
    assert [book.id for book in end.items] == ids[4:]
    assert middle.next_cursor is not None and end.next_cursor is None
    # A page of 3 asks for 4 (is there a next one?). A walk of 5 from ids[0] finds 4: a
    # page, no index. From ids[3] it reads the three books left and finds less than a page.
    for plan in plans:
        index_line = plan.split("ix_books_title_pieces")[1].split("\n")[0]
        assert "(never executed)" in index_line, plan


@pytest.mark.parametrize("walk", [1, 1000])
async def test_short_and_non_latin_texts_are_found_by_the_walk_and_by_the_index(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """One and two characters (a Korean word is often two syllables), Hangul, Greek and a
    rare pair of Latin letters: found alike whether the walk or the index finds them."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    titles = ["바다의 노래", "한국 현대 소설", "The Old Man and the Sea", "Jazz Quartet", "ΟΔΟΣ"]
    ids = dict(zip(titles, [await create_book(container, title) for title in titles], strict=True))
    queries = container.book_queries()

    async def found(text: str) -> list[int]:
        page = await queries.list(BookFilter(title=text), after_id=None, limit=10)
        return [book.id for book in page.items]

    assert await found("바") == [ids["바다의 노래"]]
    assert await found("바다") == [ids["바다의 노래"]]
    assert await found("다의 노") == [ids["바다의 노래"]]
    assert await found("한국") == [ids["한국 현대 소설"]]
    assert await found("국 현대 소설") == [ids["한국 현대 소설"]]
    assert await found("소설가") == []
    assert await found("ZZ") == [ids["Jazz Quartet"]]
    assert await found("q") == [ids["Jazz Quartet"]]
    assert await found("zq") == []
    assert await found("οδ") == [ids["ΟΔΟΣ"]]
    assert await found("a") == [ids[t] for t in titles if "a" in t.lower()]


@pytest.mark.parametrize("walk", [1, 1000])
async def test_a_text_is_taken_literally_whatever_its_characters(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """The index is searched with the text's pieces written as tsquery lexemes: quotes,
    backslashes and tsquery's own operators in a text are characters like any other. A
    long text whose pieces are all in a title, but not one after the other, is not found:
    the pieces only narrow the search, the whole text decides."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    titles = [
        "Rock 'n' Roll",
        "C:\\Temp\\Notes",
        "Salt & Pepper | !Spice:* (x)",
        "abcdefgh and ijklmnop",
    ]
    ids = dict(zip(titles, [await create_book(container, title) for title in titles], strict=True))
    queries = container.book_queries()

    async def found(text: str) -> list[int]:
        page = await queries.list(BookFilter(title=text), after_id=None, limit=10)
        return [book.id for book in page.items]

    for title in titles:
        assert await found(title) == [ids[title]], title
    assert await found("'n'") == [ids["Rock 'n' Roll"]]
    assert await found("\\") == [ids["C:\\Temp\\Notes"]]
    assert await found("p\\notes") == [ids["C:\\Temp\\Notes"]]
    assert await found("& pepper | !spice:*") == [ids["Salt & Pepper | !Spice:* (x)"]]
    assert await found(":*") == [ids["Salt & Pepper | !Spice:* (x)"]]
    assert await found("abcdefghijklmnop") == []
    assert await found("h and i") == [ids["abcdefgh and ijklmnop"]]


async def test_a_renamed_book_is_found_by_its_new_title_and_a_deleted_one_not_at_all(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", 1)  # ask the index, where there is one
    renamed = await create_book(container, "Old Name")
    deleted = await create_book(container, "Old Stone")
    await container.update_book()(UpdateBookCommand(book_id=renamed, title="New Name"))
    await container.delete_book()(deleted)
    queries = container.book_queries()

    async def found(text: str) -> list[int]:
        page = await queries.list(BookFilter(title=text), after_id=None, limit=10)
        return [book.id for book in page.items]

    assert await found("new name") == [renamed]
    assert await found("old") == []
    assert await found("name") == [renamed]


@pytest.mark.parametrize("walk", [1, 1000])
async def test_a_title_is_found_as_it_is_written_whatever_its_letters_and_length(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """The text is folded as the titles are, so a title is found by its own text, even
    where folding changes its length ("İ" folds to two characters). A text longer than
    the index's pieces is looked up by its pieces and then checked whole. The text is
    trimmed: one of spaces only asks for nothing."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    beginning = "A Title Long Enough To Outgrow The Pieces"
    assert len(beginning) > book_read_side.TITLE_PIECE_LENGTH
    titles = [
        "İSTANBUL ΟΔΟΣ",
        f"{beginning}, Part One",
        f"{beginning}, Part Two",
        "Two  Spaces",
        "One Space",
    ]
    for title in titles:
        await create_book(container, title)
    queries = container.book_queries()

    async def found(text: str) -> list[str]:
        page = await queries.list(BookFilter(title=text), after_id=None, limit=10)
        return [book.title for book in page.items]

    assert await found("İSTANBUL ΟΔΟΣ") == ["İSTANBUL ΟΔΟΣ"]
    assert await found(f"{beginning}, Part Two") == [f"{beginning}, Part Two"]
    assert await found(f"{beginning.lower()}, part") == [
        f"{beginning}, Part One",
        f"{beginning}, Part Two",
    ]
    assert await found("  ") == titles
    assert await found("ne s") == ["One Space"]
    assert await found("o  s") == ["Two  Spaces"]
    assert await found(" space ") == ["Two  Spaces", "One Space"]


@pytest.mark.parametrize("walk", [1, 1000])
async def test_a_title_is_found_however_its_text_is_typed(
    container: Container, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """Full case folding and Unicode normalisation, the same on both databases: "ß" is
    "ss", a final "ς" is "σ", and decomposed Hangul or accents (NFD, as macOS types them)
    find composed ones and the other way round (ADR 0024)."""
    monkeypatch.setattr(book_read_side, "TITLE_WALK_BOOKS", walk)
    titles = ["Die Straße", "ΣΊΣΥΦΟΣ", "한강의 노래", unicodedata.normalize("NFD", "Émile")]
    ids = dict(zip(titles, [await create_book(container, title) for title in titles], strict=True))
    queries = container.book_queries()

    async def found(text: str) -> list[int]:
        page = await queries.list(BookFilter(title=text), after_id=None, limit=10)
        return [book.id for book in page.items]

    assert await found("STRASSE") == [ids["Die Straße"]]
    assert await found("strasse") == [ids["Die Straße"]]
    assert await found("straße") == [ids["Die Straße"]]
    assert await found("σίσυφος") == [ids["ΣΊΣΥΦΟΣ"]]
    assert await found(unicodedata.normalize("NFD", "한강의")) == [ids["한강의 노래"]]
    assert await found("émile") == [ids[titles[3]]]
    assert await found(unicodedata.normalize("NFD", "ÉMILE")) == [ids[titles[3]]]
    # Stored as typed, but composed: the title a client reads back is NFC.
    book = await queries.get(ids[titles[3]])
    assert book is not None and book.title == "Émile"


async def _a_prolific_author(container: Container, books: int) -> int:
    """An author listing `books` books among a thousand authors of three books each, all
    written straight into both contexts' tables (as if every event had been delivered):
    creating them one by one would take minutes. Then vacuumed and analysed, as
    autovacuum would leave them (with one author holding every link, or no statistics,
    the planner could only guess)."""
    author_id = await create_author(container, "Prolific", "Writer")
    statements = (
        # The others: ids 1-1000, their books 1,001-4,000; the prolific author's next.
        "INSERT INTO authors (id, first_name, last_name, first_name_folded, last_name_folded,"
        " age, version, book_count)"
        " SELECT n, 'Other', 'Author ' || n, 'other', 'author ' || n, 50, 4, 3"
        " FROM generate_series(1, 1000) AS n",
        "INSERT INTO books"
        " (id, title, title_folded, isbn, pages, price, publication_year, version)"
        " SELECT n, 'Book ' || n, 'book ' || n, CAST(8000000000000 + n AS TEXT), 1, 1, 2000, 1"
        " FROM generate_series(1001, 4000 + :books) AS n",
        "INSERT INTO book_authors (book_id, author_id, position)"
        " SELECT n, CASE WHEN n > 4000 THEN CAST(:author AS BIGINT) ELSE n % 1000 + 1 END, 1"
        " FROM generate_series(1001, 4000 + :books) AS n",
        "INSERT INTO author_books (author_id, book_id, book_version, listed)"
        " SELECT author_id, book_id, 1, true FROM book_authors",
        "UPDATE authors SET book_count = :books, version = 1 + :books WHERE id = :author",
    )
    async with container.engine().begin() as connection:
        for statement in statements:
            await connection.execute(text(statement), {"books": books, "author": author_id})
    async with container.engine().connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE authors, author_books, books"))
    return author_id


_ROWS = re.compile(r"actual time=\S+ rows=(\d+) loops=(\d+)")


async def test_a_prolific_authors_newest_books_are_read_from_the_index_and_no_more(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An author shows RECENT_BOOKS books however many they have: the plan reads their
    links from the newest down through the partial index and stops there, for one author
    and for a page of them, in the generic plan a prepared statement ends with."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the plan is PostgreSQL's")
    author_id = await _a_prolific_author(container, books=3000)
    plans = _explain_each_read(monkeypatch)
    queries = container.author_queries()

    view = await queries.get(author_id)
    page = await queries.list(AuthorFilter(), after_id=author_id - 1, limit=5)

    assert view is not None and page.items[0] == view
    assert view.books_total == 3000
    newest = range(4000 + 3000 - RECENT_BOOKS + 1, 4000 + 3000 + 1)
    assert [book.title for book in view.books] == [f"Book {n}" for n in newest]
    for plan in plans:
        links_read = [
            int(rows) * int(loops)
            for line in plan.splitlines()
            if " on author_books" in line
            for rows, loops in _ROWS.findall(line)
        ]
        assert "ix_author_books_listed" in plan, plan
        assert links_read and max(links_read) <= RECENT_BOOKS, plan


async def test_exact_names_and_full_names_are_found_through_the_trigram_indexes(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An importer's "does this author exist?" and a full-name search read a trigram
    index of lower(first_name) or lower(last_name) (migration 0005), not every author."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the trigram indexes are PostgreSQL's; SQLite scans")
    author_id = await _a_prolific_author(container, books=30)
    plans = _explain_each_read(monkeypatch)
    queries = container.author_queries()
    filters = [
        AuthorFilter(first_name="PROLIFIC", last_name="writer"),
        AuthorFilter(name="Writer Prolific"),
        AuthorFilter(name="prolific wri"),
    ]

    for author_filter in filters:
        page = await queries.list(author_filter, after_id=None, limit=20)
        assert [a.id for a in page.items] == [author_id], author_filter

    for plan in plans:
        assert re.search(r"Index Scan on ix_authors_(first|last)_name_folded_trgm", plan), plan
        assert "pk_authors" not in plan, plan  # not every author, in id order


async def test_an_isbn_is_looked_up_in_its_unique_index(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`?isbn=` reads the unique index on books.isbn, alone and with the other filters."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the plan is PostgreSQL's")
    author_id = await _a_prolific_author(container, books=30)
    book_id = await create_book(container, "Wanted", [author_id], isbn="0-441-47812-3")
    plans = _explain_each_read(monkeypatch)
    queries = container.book_queries()
    isbn = Isbn("978-0-441-47812-5")

    for book_filter in (
        BookFilter(isbn=isbn),
        BookFilter(isbn=isbn, title="want", author_id=author_id),
    ):
        page = await queries.list(book_filter, after_id=None, limit=20)
        assert [b.id for b in page.items] == [book_id]

    for plan in plans:
        assert "Index Scan using uq_books_isbn on books" in plan, plan


async def test_a_page_of_a_prolific_authors_books_reads_only_its_own_links(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`books_url` (GET /books?author_id=) is how a client reaches the books an author
    does not show: the first page and a deep one each read the links they show, and no
    more, however many books the author has."""
    if not container.settings().database_url.startswith("postgresql"):
        pytest.skip("the plan is PostgreSQL's")
    author_id = await _a_prolific_author(container, books=3000)  # books 4,001 to 7,000
    plans = _explain_each_read(monkeypatch)
    queries = container.book_queries()

    first = await queries.list(BookFilter(author_id=author_id), after_id=None, limit=20)
    deep = await queries.list(BookFilter(author_id=author_id), after_id=5500, limit=20)

    assert [b.id for b in first.items] == list(range(4001, 4021))
    assert [b.id for b in deep.items] == list(range(5501, 5521))
    for plan in plans:
        links_read = [
            int(rows) * int(loops)
            for line in plan.splitlines()
            if " on book_authors" in line and "ix_book_authors_author_id_book_id" in line
            for rows, loops in _ROWS.findall(line)
        ]
        assert links_read and max(links_read) <= 21, plan  # a page asks for one more
