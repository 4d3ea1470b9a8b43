"""The ReadDatabase itself: what any read statement can count on, on either database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Dialect, Integer, String, TypeDecorator, bindparam, select

from modules.container import Container


class _Doubled(TypeDecorator[int]):
    """A type whose bind processor changes the value: proof that it was applied."""

    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else value * 2


_STATEMENT = select(
    bindparam("n", type_=_Doubled()).label("doubled"),
    bindparam("word", type_=String()).label("word"),
)


async def test_parameters_go_through_their_types_and_rows_are_read_by_name(
    container: Container,
) -> None:
    database = container.read_database()
    for n, word in ((21, "first"), (5, "again")):  # the second run reuses the compiled SQL
        rows = await database.rows(_STATEMENT, {"n": n, "word": word})
        assert [(row["doubled"], row["word"]) for row in rows] == [(n * 2, word)]
