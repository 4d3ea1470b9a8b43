"""The imperative mapping covers every field of every mapped class: a field added to an
aggregate (or a column to its table) without its mapping would be silently left out."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import inspect

from modules.container import start_mappers
from modules.platform.db.database import mapper_registry

start_mappers()
MAPPERS = sorted(mapper_registry.mappers, key=lambda m: m.class_.__name__)


def test_every_context_has_mapped_classes() -> None:
    assert {m.class_.__name__ for m in MAPPERS} >= {"Book", "BookAuthor", "Author", "AuthorBook"}


@pytest.mark.parametrize("mapper", MAPPERS, ids=lambda m: m.class_.__name__)
def test_every_field_is_mapped(mapper) -> None:  # type: ignore[no-untyped-def]
    fields = {field.name for field in dataclasses.fields(mapper.class_)}
    assert fields <= set(inspect(mapper.class_).attrs.keys())


@pytest.mark.parametrize("mapper", MAPPERS, ids=lambda m: m.class_.__name__)
def test_every_column_reaches_a_field(mapper) -> None:  # type: ignore[no-untyped-def]
    # With column_prefix="_", a column no property names lands on an underscored attribute
    # that no field reads: each column must back a field, directly or through a composite
    # (but a child's key to its parent, which the relationship keeps, and a `_folded`
    # copy of a text, which the mapping writes from the field it folds: ADR 0024).
    fields = {field.name for field in dataclasses.fields(mapper.class_)}
    reached = set()
    for name, attribute in inspect(mapper.class_).attrs.items():
        if name in fields:
            reached |= {c.key for c in getattr(attribute, "columns", ())}
    columns = mapper.local_table.columns
    unreached = {c.key for c in columns if not (c.foreign_keys or c.key.endswith("_folded"))}
    unreached -= reached
    assert not unreached, f"{mapper.class_.__name__}: columns {sorted(unreached)} reach no field"
