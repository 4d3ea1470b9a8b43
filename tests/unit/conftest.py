"""Unit tests make ids with a generator of their own, whatever ran before them: an app
started by an earlier test leaves behind a generator bound to a lease it gave back."""

from __future__ import annotations

import pytest

from modules.kernel.identity import SnowflakeGenerator, use_generator


@pytest.fixture(autouse=True)
def own_id_generator() -> None:
    use_generator(SnowflakeGenerator(worker_id=1022))
