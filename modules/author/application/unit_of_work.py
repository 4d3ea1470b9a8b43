from __future__ import annotations

from typing import Protocol

from modules.author.domain.repository import AuthorRepository
from modules.kernel.inbox import Inbox
from modules.kernel.unit_of_work import UnitOfWork


class AuthorUnitOfWork(UnitOfWork, Protocol):
    authors: AuthorRepository
    inbox: Inbox  # Author's handlers react to Book's events at most once each
