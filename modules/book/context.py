"""The Book context, as the composition root sees it: everything it needs from Book."""

from __future__ import annotations

from dependency_injector import containers, providers

from modules.author.domain.events import AuthorDeleted
from modules.book.application.event_handlers.when_author_deleted_remove_them_from_their_books import (  # noqa: E501
    WhenAuthorDeletedRemoveThemFromTheirBooks,
)
from modules.book.application.ports import AuthorDirectory
from modules.book.application.use_cases.add_author_to_book import AddAuthorToBook
from modules.book.application.use_cases.create_book import CreateBook
from modules.book.application.use_cases.delete_book import DeleteBook
from modules.book.application.use_cases.remove_author_from_book import RemoveAuthorFromBook
from modules.book.application.use_cases.update_book import UpdateBook
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.book.infrastructure.mapping import start_book_mappers
from modules.book.infrastructure.queries import SqlBookQueries
from modules.book.infrastructure.tables import book_outbox
from modules.book.infrastructure.unit_of_work import SqlAlchemyBookUnitOfWork
from modules.book.presentation.router import router
from modules.platform.bounded_context import BoundedContext, Subscription


class BookProviders(containers.DeclarativeContainer):
    platform = providers.DependenciesContainer()
    author_directory: providers.Dependency[AuthorDirectory] = providers.Dependency()  # by Author

    book_uow = providers.Factory(
        SqlAlchemyBookUnitOfWork,
        session_factory=platform.write_sessions,
        outbox=platform.outbox,
        event_publisher=platform.relay,
    )
    book_queries = providers.Singleton(SqlBookQueries, platform.read_database)
    create_book = providers.Factory(CreateBook, uow=book_uow, authors=author_directory)
    update_book = providers.Factory(UpdateBook, uow=book_uow)
    delete_book = providers.Factory(DeleteBook, uow=book_uow)
    add_author_to_book = providers.Factory(AddAuthorToBook, uow=book_uow, authors=author_directory)
    remove_author_from_book = providers.Factory(RemoveAuthorFromBook, uow=book_uow)
    when_author_deleted = providers.Factory(WhenAuthorDeletedRemoveThemFromTheirBooks, uow=book_uow)


CONTEXT = BoundedContext(
    name="book",
    providers=BookProviders,
    router=router,
    start_mappers=start_book_mappers,
    publishes=(AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted),
    outbox=book_outbox,
    subscribes=(Subscription(AuthorDeleted, "when_author_deleted"),),
)
