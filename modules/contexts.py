"""Every bounded context of the service: the list the composition root walks."""

from __future__ import annotations

from modules.author.context import CONTEXT as AUTHOR
from modules.book.context import CONTEXT as BOOK
from modules.platform.bounded_context import BoundedContext

CONTEXTS: tuple[BoundedContext, ...] = (AUTHOR, BOOK)
