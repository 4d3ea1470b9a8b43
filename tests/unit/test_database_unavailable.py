"""Which database errors mean "away, try again" (503) rather than a fault (500)."""

from __future__ import annotations

import pytest

from modules.platform.db.database import is_database_unavailable


class DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


class Wrapped(Exception):
    """As SQLAlchemy wraps a driver's error: the original as `orig`."""

    def __init__(self, orig: BaseException) -> None:
        super().__init__(str(orig))
        self.orig = orig


@pytest.mark.parametrize(
    "sqlstate",
    ["08006", "57P01", "57P02", "57P03", "53300", "57014", "25006"],
    ids=["connection", "admin-shutdown", "crash", "starting-up", "too-many", "timeout", "ro"],
)
def test_the_database_away_is_recognised_through_the_wrappers(sqlstate: str) -> None:
    cause = DriverError(sqlstate)
    adapter = RuntimeError("adapter")
    adapter.__cause__ = cause
    assert is_database_unavailable(Wrapped(adapter))


@pytest.mark.parametrize("sqlstate", ["23505", "42P01", "22003", "40P01"])
def test_a_bad_statement_is_not_the_database_away(sqlstate: str) -> None:
    assert not is_database_unavailable(Wrapped(DriverError(sqlstate)))
    assert not is_database_unavailable(ValueError("no sqlstate at all"))
