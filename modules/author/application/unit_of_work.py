from __future__ import annotations

from typing import Protocol

from modules.author.domain.repository import AuthorRepository
from modules.shared.application.unit_of_work import UnitOfWork


class AuthorUnitOfWork(UnitOfWork, Protocol):
    authors: AuthorRepository
