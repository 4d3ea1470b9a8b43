"""What migrations share."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from alembic import op


@contextmanager
def views_set_aside(*tables: str) -> Iterator[None]:
    """Wrap `op.batch_alter_table` of a table that a view reads (`books`, `authors`: the
    published views of migration 0006). SQLite's batch mode rebuilds the table and renames
    the copy into place, and the rename fails while a view names the table: on SQLite the
    views that read `tables` are dropped for the block and made again after it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    views = bind.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'view'").all()
    reading = [
        (name, sql)
        for name, sql in views
        if any(re.search(rf"\b{re.escape(table)}\b", sql) for table in tables)
    ]
    for name, _ in reading:
        op.execute(f'DROP VIEW "{name}"')
    yield
    for _, sql in reading:
        op.execute(sql)


def revision(number: str) -> ModuleType:
    """Another revision's module, for a downgrade that builds again what that revision
    built (its `upgrade()`), rather than a copy of its SQL."""
    (path,) = Path(__file__).parent.joinpath("versions").glob(f"*_{number}_*.py")
    spec = importlib.util.spec_from_file_location(f"migrations.versions.revision_{number}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
