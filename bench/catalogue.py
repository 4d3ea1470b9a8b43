"""A realistic catalogue, loaded straight into PostgreSQL with COPY (no HTTP, no ORM).

    python -m bench.catalogue --database-url postgresql://... [--books 100000] [--authors 20000]

The database must already be migrated (`python manage.py migrate`). The data is what the
service itself would have written, had every book been created through the API:

* ids come from the project's Snowflake generator (worker id 1023, which no server of the
  benchmark uses), so they have the service's layout and order;
* every book has 1-5 authors (2.55 on average; popular authors have many books, with a
  long tail). Book's `book_authors` and Author's `author_books` hold the same links, as
  after every `AuthorAddedToBook` event was delivered;
* versions agree: a book starts at 1 and about one in ten had its last author added later
  (version 2, and that author's `author_books.book_version` is 2); an author's version is
  1 plus the number of books it lists, as the event handler leaves it, and its
  `book_count` is that number;
* ISBNs are valid ISBN-13 (978 + a 9-digit number below 10^8 + the check digit), so the
  benchmark's POSTs can take numbers from 10^8 up without ever colliding;
* outboxes are empty (everything delivered); the inbox is left empty, which only matters
  for redeliveries of these historical events.

`check_consistency` verifies the two contexts agree; the benchmark runs it after loading
and again after the load test (once the outboxes have drained).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from modules.kernel.identity import SnowflakeGenerator  # noqa: E402
from modules.kernel.text import folded  # noqa: E402


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


LOADER_WORKER_ID = 1023
# Seeded ISBNs use numbers below this; the benchmark's POSTs use numbers from it up.
SEED_ISBN_LIMIT = 10**8

FIRST_NAMES = _words(
    "Ada Alan Alice Amara Anna Arthur Beatrix Bo Carmen Chen Chinua Clarice Dae Dana Doris "
    "Elena Emile Emma Ezra Farah Fatima Felix Gabriel Grace Hana Haruki Helen Hugo Ibrahim "
    "Ingrid Isaac Ivan Jae Jamal James Jane Jin Jorge Jose Julia Kenji Kim Lars Laura Leo "
    "Lina Lucia Mahmoud Maria Marie Mario Maya Mei Min Mirela Naguib Nadia Nina Noor Olga "
    "Omar Orhan Pablo Paul Priya Rafael Rosa Ruth Sakura Samuel Sara Seo Sofia Soo Stefan "
    "Susan Tariq Teodor Toni Ursula Vera Victor Virginia Wei Wen Wole Yasmin Yoko Yuki "
    "Zadie"
)
LAST_NAMES = _words(
    "Achebe Adichie Allende Atwood Austen Baldwin Barnes Borges Bronte Butler Calvino Camus "
    "Carver Chekhov Choi Coetzee Cortazar Dickens Dostoevsky Eco Eliot Ellison Faulkner "
    "Ferrante Flaubert Franzen Garcia Gaskell Gibson Gogol Grass Greene Han Hardy Hesse "
    "Hugo Ishiguro Jackson James Joyce Kafka Kawabata Kim King Kundera Lahiri LeGuin Lee "
    "Lem Lessing Lispector Mahfouz Mann Marquez McCarthy Melville Mishima Morrison Munro "
    "Murakami Nabokov Naipaul Ngugi Oates Orwell Oz Pamuk Park Pessoa Plath Proust Pynchon "
    "Rushdie Saramago Sebald Shelley Smith Sontag Soyinka Steinbeck Tanizaki Tokarczuk "
    "Tolstoy Twain Updike Vonnegut Walker Waugh Welty Woolf Yoshimoto Zola"
)
TITLE_WORDS = _words(
    "abyss account affair age air alchemist almanac angel answer archive arrow ash autumn "
    "balance ballad bay bell bird blood blue body bone book border boy breath bridge "
    "brother candle captain castle cathedral chamber child chronicle city clock cloud coast "
    "code cold colour comet company compass country courage crow crown dark daughter dawn "
    "day dead desert desire diary distance dog door dream dust earth echo edge empire end "
    "engine evening exile eye fable face fall family father feast field fire flame flood "
    "flower fog forest fortune fox friend frost garden gate ghost gift girl glass god gold "
    "grass grave harbour harvest heart heaven hill history home honey horizon horse hour "
    "house hunger hunter ice island journey judge key king kingdom lady lake lamp land "
    "language last leaf letter library light line lion love machine map market memory mercy "
    "midnight mirror moon morning mother mountain music name night north ocean orchard page "
    "palace paper path people pilgrim poet prince prisoner promise queen rain river road "
    "rose ruin sailor salt sand sea season secret shadow ship silence silver sister sky "
    "sleep smoke snow soldier song soul south spring star stone storm story stranger street "
    "summer sun sword tale tide time tower train traveller tree truth twilight valley voice "
    "voyage war water wave west widow wind window wine winter wolf woman wonder word world "
    "year youth"
)
TITLE_JOINERS = ("of the", "and the", "in the", "of", "without", "beyond the", "under the")
# One book in KOREAN_TITLE_EVERY has a Korean title, made of these words (sea, song, wind,
# sky, star, moon, night, flower, love, time, memory, house, road, rain, tree, river,
# mountain, island, boy, girl, mother, father, winter, summer, spring, autumn, city,
# village, story): texts of one or two Hangul syllables that only a few titles hold.
KOREAN_WORDS = _words(
    "바다 노래 바람 하늘 별 달 밤 꽃 사랑 시간 기억 집 길 비 나무 강 산 섬 소년 소녀 "
    "어머니 아버지 겨울 여름 봄 가을 도시 마을 이야기"
)
KOREAN_TITLE_EVERY = 1000
AUTHORS_PER_BOOK = (1, 2, 3, 4, 5)
AUTHORS_PER_BOOK_WEIGHTS = (20, 30, 30, 15, 5)  # 2.55 on average


def isbn13(n: int) -> str:
    body = f"978{n:09d}"
    total = sum((1 if i % 2 == 0 else 3) * int(d) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _title(rng: random.Random) -> str:
    words = [rng.choice(TITLE_WORDS).capitalize() for _ in range(rng.randint(1, 3))]
    title = " ".join(words)
    if rng.random() < 0.6:
        title = f"{title} {rng.choice(TITLE_JOINERS)} {rng.choice(TITLE_WORDS).capitalize()}"
    return ("The " + title) if rng.random() < 0.4 else title


def _korean_title(rng: random.Random) -> str:
    first, second = rng.choice(KOREAN_WORDS), rng.choice(KOREAN_WORDS)
    return rng.choice((f"{first}의 {second}", f"{first} {second}"))


@dataclass
class Catalogue:
    authors: list[tuple[object, ...]] = field(default_factory=list)
    books: list[tuple[object, ...]] = field(default_factory=list)
    book_authors: list[tuple[int, int, int]] = field(default_factory=list)
    author_books: list[tuple[int, int, int, bool]] = field(default_factory=list)

    @property
    def book_ids(self) -> list[int]:
        return [row[0] for row in self.books]  # type: ignore[misc]

    @property
    def author_ids(self) -> list[int]:
        return [row[0] for row in self.authors]  # type: ignore[misc]


def generate(n_books: int, n_authors: int, *, seed: int = 42) -> Catalogue:
    if n_books >= SEED_ISBN_LIMIT:
        raise ValueError(f"at most {SEED_ISBN_LIMIT - 1} books")
    rng = random.Random(seed)
    ids = SnowflakeGenerator(LOADER_WORKER_ID)
    author_ids = [ids.next_id() for _ in range(n_authors)]
    book_ids = [ids.next_id() for _ in range(n_books)]

    # Popularity: a long tail (weight ~ 1/(rank+30)^0.8), in random order of creation.
    weights = [1.0 / (rank + 30) ** 0.8 for rank in range(n_authors)]
    popularity = author_ids[:]
    rng.shuffle(popularity)
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]

    def pick_author() -> int:
        return popularity[bisect.bisect_left(cumulative, rng.random() * total)]

    catalogue = Catalogue()
    books_listed: dict[int, int] = dict.fromkeys(author_ids, 0)
    isbn_numbers = rng.sample(range(SEED_ISBN_LIMIT), n_books)
    korean = random.Random(seed + 1)  # its own draws: the other titles stay as they were
    for book_id, isbn_number in zip(book_ids, isbn_numbers, strict=True):
        wanted = rng.choices(AUTHORS_PER_BOOK, AUTHORS_PER_BOOK_WEIGHTS)[0]
        authors: list[int] = []
        while len(authors) < min(wanted, n_authors):
            author = pick_author()
            if author not in authors:
                authors.append(author)
        # One book in ten had its last author added later (version 2, that event's version).
        added_later = len(authors) > 1 and rng.random() < 0.1
        version = 2 if added_later else 1
        title = _title(rng)
        if korean.randrange(KOREAN_TITLE_EVERY) == 0:
            title = _korean_title(korean)
        catalogue.books.append(
            (
                book_id,
                title,
                isbn13(isbn_number),
                rng.randint(48, 1200),
                rng.randrange(5_000, 60_000, 100),
                rng.randint(1900, 2025),
                version,
            )
        )
        for position, author in enumerate(authors, start=1):
            catalogue.book_authors.append((book_id, author, position))
            book_version = 2 if added_later and position == len(authors) else 1
            catalogue.author_books.append((author, book_id, book_version, True))
            books_listed[author] += 1

    for author_id in author_ids:
        biography = None
        if rng.random() < 0.3:
            sentences = rng.randint(1, 6)
            biography = " ".join(
                f"Wrote about {rng.choice(TITLE_WORDS)} and {rng.choice(TITLE_WORDS)}."
                for _ in range(sentences)
            )
        catalogue.authors.append(
            (
                author_id,
                rng.choice(FIRST_NAMES),
                rng.choice(LAST_NAMES),
                rng.randint(20, 95),
                biography,
                1 + books_listed[author_id],
                books_listed[author_id],
            )
        )
    return catalogue


async def load(dsn: str, catalogue: Catalogue) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            # The GIN indexes (trigrams, and the titles' pieces of migration 0012) are
            # updated in place on every insert: right for a service, slow for a million
            # rows at once. Built again from their own definitions after the load, they
            # cost a minute or two, not tens of minutes.
            gin_indexes = await connection.fetch(
                "SELECT indexname, indexdef FROM pg_indexes"
                " WHERE schemaname = current_schema() AND indexdef LIKE '% USING gin %'"
            )
            for index in gin_indexes:
                await connection.execute(f'DROP INDEX "{index["indexname"]}"')
            await connection.copy_records_to_table(
                "authors",
                records=[(*a, folded(a[1]), folded(a[2])) for a in catalogue.authors],
                columns=[
                    "id",
                    "first_name",
                    "last_name",
                    "age",
                    "biography",
                    "version",
                    "book_count",
                    "first_name_folded",
                    "last_name_folded",
                ],
            )
            await connection.copy_records_to_table(
                "books",
                records=[(*b, folded(b[1])) for b in catalogue.books],
                columns=[
                    "id",
                    "title",
                    "isbn",
                    "pages",
                    "price",
                    "publication_year",
                    "version",
                    "title_folded",
                ],
            )
            await connection.copy_records_to_table(
                "book_authors",
                records=catalogue.book_authors,
                columns=["book_id", "author_id", "position"],
            )
            await connection.copy_records_to_table(
                "author_books",
                records=catalogue.author_books,
                columns=["author_id", "book_id", "book_version", "listed"],
            )
            for index in gin_indexes:
                await connection.execute(index["indexdef"])
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


CONSISTENCY_CHECKS = {
    # Every link Book holds is listed by the author, and the other way round.
    "book links missing on the author side": """
        SELECT count(*) FROM book_authors ba
        WHERE NOT EXISTS (SELECT 1 FROM author_books ab WHERE ab.author_id = ba.author_id
                          AND ab.book_id = ba.book_id AND ab.listed)""",
    "author links missing on the book side": """
        SELECT count(*) FROM author_books ab
        WHERE ab.listed AND NOT EXISTS (SELECT 1 FROM book_authors ba
                                        WHERE ba.author_id = ab.author_id
                                        AND ba.book_id = ab.book_id)""",
    # An author's version counts its changes: 1 + books it listed (no other edits here).
    "authors whose version is not 1 + books listed": """
        SELECT count(*) FROM authors a
        WHERE a.version <> 1 + (SELECT count(*) FROM author_books ab
                                WHERE ab.author_id = a.id AND ab.listed)""",
    # The count an author keeps of its books (Author.book_count) is the books it lists.
    "authors whose book_count is not the books listed": """
        SELECT count(*) FROM authors a
        WHERE a.book_count <> (SELECT count(*) FROM author_books ab
                               WHERE ab.author_id = a.id AND ab.listed)""",
    # The author applied a version of the book that exists.
    "links newer than their book": """
        SELECT count(*) FROM author_books ab JOIN books b ON b.id = ab.book_id
        WHERE ab.book_version > b.version""",
    "events still in the outboxes": """
        SELECT (SELECT count(*) FROM book_outbox) + (SELECT count(*) FROM author_outbox)""",
}


async def check_consistency(dsn: str) -> dict[str, int]:
    """Counts of rows that break an agreement between the two contexts (all 0 when fine)."""
    connection = await asyncpg.connect(dsn)
    try:
        return {name: await connection.fetchval(sql) for name, sql in CONSISTENCY_CHECKS.items()}
    finally:
        await connection.close()


async def counts(dsn: str) -> dict[str, int]:
    connection = await asyncpg.connect(dsn)
    try:
        return {
            table: await connection.fetchval(f"SELECT count(*) FROM {table}")
            for table in ("books", "authors", "book_authors", "author_books")
        }
    finally:
        await connection.close()


async def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True, help="a migrated database")
    parser.add_argument("--books", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=20_000)
    args = parser.parse_args()
    dsn = args.database_url.replace("+asyncpg", "")
    started = time.perf_counter()
    catalogue = generate(args.books, args.authors)
    generated = time.perf_counter()
    await load(dsn, catalogue)
    loaded = time.perf_counter()
    print(
        f"generated in {generated - started:.1f} s, loaded in {loaded - generated:.1f} s: "
        f"{await counts(dsn)}"
    )
    print(await check_consistency(dsn))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
