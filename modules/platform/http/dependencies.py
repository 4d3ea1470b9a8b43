"""How a router gets what the container builds: `provide("create_book")`."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Request


def provide(name: str) -> Any:
    """`Depends` on the provider called `name` in the request's app's container.

    Each app - and each test's `override` - is honoured. An async resolver, because
    dependency-injector's `Depends(Provide[...])` marker is sync and FastAPI would run it
    on the thread pool for every request.
    """

    async def resolve(request: Request) -> Any:
        return request.app.state.container.providers[name]()

    resolve.__name__ = f"provide_{name}"
    resolve.provider_name = name  # type: ignore[attr-defined]  # read by the startup check
    return Depends(resolve)


def provided_names(dependant: Any) -> set[str]:
    """The provider names a route's dependency tree asks for (see `provide`)."""
    names = set()
    if (name := getattr(dependant.call, "provider_name", None)) is not None:
        names.add(name)
    for child in dependant.dependencies:
        names |= provided_names(child)
    return names
