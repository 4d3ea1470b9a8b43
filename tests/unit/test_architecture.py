"""Architecture rules, checked by reading every import under modules/ with `ast`.

Layers: domain <- application <- infrastructure / presentation; the composition root
(modules/container.py, app.py) is the only place that knows every context's adapters.
Contexts: each may read another's published language (modules.<context>.domain.events:
the events it publishes) and nothing else of it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
MODULES_DIR = PROJECT_DIR / "modules"
# Every package under modules/ with a domain of its own, but the shared kernel.
CONTEXTS = tuple(
    sorted(p.name for p in MODULES_DIR.iterdir() if (p / "domain").is_dir() and p.name != "shared")
)
LAYERS = ("domain", "application", "infrastructure", "presentation")
FRAMEWORKS = frozenset(
    {
        "sqlalchemy",
        "fastapi",
        "pydantic",
        "pydantic_settings",
        "starlette",
        "dependency_injector",
        "alembic",
        "asyncpg",
        "aiosqlite",
        "uvicorn",
        "httpx",
        "httpx2",
    }
)


def published_language(context: str) -> str:
    return f"modules.{context}.domain.events"


@dataclass(frozen=True)
class Import:
    source: str  # the importing file, relative to the project
    module: str  # the importing module's dotted name
    target: str  # the most specific dotted name imported
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_DIR).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_in(source: str, module: str, filename: str, is_package: bool = False) -> list[Import]:
    """Every import in the source, wherever it is (also inside functions and TYPE_CHECKING).

    `from a.b import c` yields `a.b.c`: the most specific name, so that importing a
    submodule of a package is judged by that submodule.
    """
    found: list[Import] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(filename, module, alias.name, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing package
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                target = base if alias.name == "*" else f"{base}.{alias.name}"
                found.append(Import(filename, module, target, node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            # importlib.import_module("x.y") / __import__("x.y") with a literal name
            found.append(Import(filename, module, node.args[0].value, node.lineno))
    return found


def python_files() -> list[Path]:
    return sorted(p for p in MODULES_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def all_imports(paths: list[Path] | None = None) -> Iterator[Import]:
    for path in paths if paths is not None else python_files():
        yield from imports_in(
            path.read_text(encoding="utf-8"),
            module_name(path),
            str(path.relative_to(PROJECT_DIR)),
            is_package=path.name == "__init__.py",
        )


def is_within(target: str, prefix: str) -> bool:
    return target == prefix or target.startswith(prefix + ".")


def context_and_layer(module: str) -> tuple[str | None, str | None]:
    parts = module.split(".")
    context = parts[1] if len(parts) > 1 and parts[0] == "modules" else None
    layer = parts[2] if len(parts) > 2 and parts[2] in LAYERS else None
    return context, layer


# --- the checker itself ------------------------------------------------------------------


def test_the_import_reader_sees_every_form_of_import() -> None:
    source = (
        "import sqlalchemy.orm\n"
        "from modules.book.domain import events\n"
        "from modules.book.domain.book import Book\n"
        "from . import sibling\n"
        "from ..infrastructure.tables import books\n"
        "def f():\n"
        "    import fastapi\n"
        "if TYPE_CHECKING:\n"
        "    from pydantic import BaseModel\n"
        "importlib.import_module('modules.author.domain.author')\n"
    )
    targets = {i.target for i in imports_in(source, "modules.book.application.x", "x.py")}
    assert targets == {
        "sqlalchemy.orm",
        "modules.book.domain.events",
        "modules.book.domain.book.Book",
        "modules.book.application.sibling",
        "modules.book.infrastructure.tables.books",
        "fastapi",
        "pydantic.BaseModel",
        "modules.author.domain.author",
    }


def test_the_rules_look_at_the_real_code() -> None:
    # Guards against a walker that silently finds nothing (and so passes every rule).
    files = python_files()
    assert len(files) > 40
    targets = {i.target for i in all_imports(files)}
    assert set(CONTEXTS) >= {"book", "author"}
    assert any(is_within(t, published_language("book")) for t in targets)
    assert any(is_within(t, "sqlalchemy") for t in targets)
    assert any(is_within(t, "modules.shared.domain") for t in targets)


# --- layers ------------------------------------------------------------------------------


def _domain_violations(imp: Import) -> str | None:
    context, layer = context_and_layer(imp.module)
    if layer != "domain":
        return None
    top = imp.target.split(".")[0]
    if top in FRAMEWORKS:
        return f"{imp}: a framework in the domain"
    if top == "modules":
        own = f"modules.{context}.domain"
        if not (is_within(imp.target, own) or is_within(imp.target, "modules.shared.domain")):
            return f"{imp}: the domain may import only its own domain and the shared kernel"
    return None


def test_domain_layers_import_no_framework_and_no_other_context() -> None:
    violations = [v for imp in all_imports() if (v := _domain_violations(imp))]
    assert violations == []


def test_there_are_domain_modules_to_check() -> None:
    domains = {context_and_layer(module_name(p)) for p in python_files()}
    for context in (*CONTEXTS, "shared"):
        assert (context, "domain") in domains


def test_domain_and_application_never_import_infrastructure_or_presentation() -> None:
    violations = []
    for imp in all_imports():
        _, layer = context_and_layer(imp.module)
        if layer not in ("domain", "application"):
            continue
        _, target_layer = context_and_layer(imp.target)
        if imp.target.startswith("modules.") and target_layer in (
            "infrastructure",
            "presentation",
        ):
            violations.append(str(imp))
        if is_within(imp.target, "modules.container") or is_within(imp.target, "app"):
            violations.append(f"{imp}: the composition root")
    assert violations == []


def test_application_layers_import_no_web_or_orm_framework() -> None:
    forbidden = {"sqlalchemy", "fastapi", "starlette", "dependency_injector", "alembic"}
    violations = [
        str(imp)
        for imp in all_imports()
        if context_and_layer(imp.module)[1] == "application"
        and imp.target.split(".")[0] in forbidden
    ]
    assert violations == []


# --- contexts ----------------------------------------------------------------------------


def _cross_context_violation(imp: Import) -> str | None:
    context, _ = context_and_layer(imp.module)
    for other in CONTEXTS:
        if (
            context in CONTEXTS
            and other != context
            and is_within(imp.target, f"modules.{other}")
            and not is_within(imp.target, published_language(other))
        ):
            return f"{imp}: {context} may import only {other}'s published language"
    return None


def test_contexts_meet_only_through_each_others_published_language() -> None:
    violations = [v for imp in all_imports() if (v := _cross_context_violation(imp))]
    assert violations == []


def test_the_context_rule_catches_a_planted_violation() -> None:
    source = (
        "from modules.author.domain.events import AuthorDeleted\n"
        "from modules.author.domain.author import Author\n"
    )
    planted = imports_in(source, "modules.book.application.x", "x.py")
    violations = [v for imp in planted if (v := _cross_context_violation(imp))]
    assert violations == [
        "x.py:2 imports modules.author.domain.author.Author: "
        "book may import only author's published language"
    ]


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_published_language_depends_only_on_the_shared_kernel(context: str) -> None:
    # If a context's events imported its internals, others would get them through the back door.
    path = MODULES_DIR / context / "domain" / "events.py"
    targets = [i.target for i in all_imports([path]) if i.target.startswith("modules.")]
    assert targets, "events.py should at least build on the shared DomainEvent"
    assert all(is_within(t, "modules.shared.domain") for t in targets), targets


def test_the_shared_kernel_knows_no_context() -> None:
    violations = [
        str(imp)
        for imp in all_imports()
        if is_within(imp.module, "modules.shared")
        and any(is_within(imp.target, f"modules.{c}") for c in CONTEXTS)
    ]
    assert violations == []


# --- the composition root ----------------------------------------------------------------


def test_the_root_knows_the_contexts_only_through_their_list() -> None:
    # Adding a context is one line in modules/contexts.py: nothing else names a context.
    roots = [MODULES_DIR / "container.py", PROJECT_DIR / "app.py", PROJECT_DIR / "manage.py"]
    violations = [
        str(imp)
        for imp in all_imports(roots)
        if any(is_within(imp.target, f"modules.{c}") for c in CONTEXTS)
    ]
    assert violations == []


@pytest.mark.parametrize("context", CONTEXTS)
def test_a_contexts_adapters_are_wired_only_by_itself(context: str) -> None:
    violations = [
        str(imp)
        for imp in all_imports([*python_files(), PROJECT_DIR / "app.py"])
        if is_within(imp.target, f"modules.{context}.infrastructure")
        and not is_within(imp.module, f"modules.{context}")
    ]
    assert violations == [], f"code outside {context} reaches into its adapters"
