"""The Author context, as the composition root sees it: everything it needs from Author."""

from __future__ import annotations

from dependency_injector import containers, providers

from modules.author.application.event_handlers.when_author_added_to_book_add_book_to_author import (
    WhenAuthorAddedToBookAddBookToAuthor,
)
from modules.author.application.event_handlers.when_author_removed_from_book_remove_book_from_author import (  # noqa: E501
    WhenAuthorRemovedFromBookRemoveBookFromAuthor,
)
from modules.author.application.event_handlers.when_book_deleted_remove_it_from_its_authors import (
    WhenBookDeletedRemoveItFromItsAuthors,
)
from modules.author.application.use_cases.create_author import CreateAuthor
from modules.author.application.use_cases.delete_author import DeleteAuthor
from modules.author.application.use_cases.update_author import UpdateAuthor
from modules.author.domain.events import AuthorDeleted
from modules.author.infrastructure.mapping import start_author_mappers
from modules.author.infrastructure.queries import SqlAuthorDirectory, SqlAuthorQueries
from modules.author.infrastructure.tables import author_outbox
from modules.author.infrastructure.unit_of_work import SqlAlchemyAuthorUnitOfWork
from modules.author.presentation.router import router
from modules.book.domain.events import AuthorAddedToBook, AuthorRemovedFromBook, BookDeleted
from modules.platform.bounded_context import BoundedContext, Subscription


class AuthorProviders(containers.DeclarativeContainer):
    platform = providers.DependenciesContainer()

    author_uow = providers.Factory(
        SqlAlchemyAuthorUnitOfWork,
        session_factory=platform.write_sessions,
        outbox=platform.outbox,
        event_publisher=platform.relay,
    )
    author_directory = providers.Singleton(SqlAuthorDirectory, platform.read_engine)
    author_queries = providers.Singleton(SqlAuthorQueries, platform.read_database)
    create_author = providers.Factory(CreateAuthor, uow=author_uow)
    update_author = providers.Factory(UpdateAuthor, uow=author_uow)
    delete_author = providers.Factory(DeleteAuthor, uow=author_uow)
    when_author_added_to_book = providers.Factory(
        WhenAuthorAddedToBookAddBookToAuthor, uow=author_uow
    )
    when_author_removed_from_book = providers.Factory(
        WhenAuthorRemovedFromBookRemoveBookFromAuthor, uow=author_uow
    )
    when_book_deleted = providers.Factory(WhenBookDeletedRemoveItFromItsAuthors, uow=author_uow)


CONTEXT = BoundedContext(
    name="author",
    providers=AuthorProviders,
    router=router,
    start_mappers=start_author_mappers,
    publishes=(AuthorDeleted,),
    outbox=author_outbox,
    subscribes=(
        Subscription(AuthorAddedToBook, "when_author_added_to_book"),
        Subscription(AuthorRemovedFromBook, "when_author_removed_from_book"),
        Subscription(BookDeleted, "when_book_deleted"),
    ),
    exports=("author_directory",),
)
