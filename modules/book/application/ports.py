"""What Book needs from outside its context, stated as narrow ports.

The Author module implements these (structurally: it never imports this file); the
composition root plugs the implementation in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class AuthorDirectory(Protocol):
    """Which of these authors exist?"""

    async def existing(self, author_ids: Sequence[int]) -> set[int]: ...
