"""What Author tells the world. This module is Author's published language: other contexts
may import these events (and nothing else from Author) to react to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from modules.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class AuthorDeleted(DomainEvent):
    type_name: ClassVar[str] = "author.deleted.v1"
    former_type_names: ClassVar[tuple[str, ...]] = ("AuthorDeleted",)  # its class name

    author_id: int
