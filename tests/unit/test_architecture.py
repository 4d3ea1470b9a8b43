"""The architecture's rules are import-linter contracts (pyproject.toml, run by `make lint`).

Here: the real code keeps them, each contract breaks on a violation planted in a copy of
the code - also in a context that does not exist yet - and the list of contexts the root
walks matches the packages that are contexts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modules.contexts import CONTEXTS

PROJECT_DIR = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# contract id -> (file to plant, its source): each breaks that contract and no other.
PLANTED = {
    "layers": ("book/domain/planted.py", "import modules.book.application.queries\n"),
    "pure-domain": ("author/domain/planted.py", "import sqlalchemy\n"),
    "plain-application": ("book/application/planted.py", "import fastapi\n"),
    "platform-knows-no-context": ("platform/planted.py", "import modules.book.domain.book\n"),
    "independent-contexts": (
        "book/application/planted.py",
        "import modules.author.domain.author\n",
    ),
}


def lint_imports(project: Path, contract: str | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(LINT_IMPORTS), "--config", str(project / "pyproject.toml"), "--no-cache"]
    if contract:
        command += ["--contract", contract]
    return subprocess.run(
        command, cwd=project, capture_output=True, text=True, env={"PYTHONPATH": str(project)}
    )


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    shutil.copytree(
        PROJECT_DIR / "modules", tmp_path / "modules", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(PROJECT_DIR / "pyproject.toml", tmp_path)
    return tmp_path


def plant(project: Path, relative: str, source: str) -> None:
    path = project / "modules" / relative
    for package in reversed([p for p in path.parents if p > project / "modules"]):
        package.mkdir(exist_ok=True)
        (package / "__init__.py").touch()
    path.write_text(source)


def test_the_code_keeps_every_contract() -> None:
    result = lint_imports(PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(PLANTED)} kept, 0 broken" in result.stdout


@pytest.mark.parametrize("contract", PLANTED)
def test_each_contract_breaks_on_a_planted_violation(copy_of_the_code: Path, contract: str) -> None:
    plant(copy_of_the_code, *PLANTED[contract])
    result = lint_imports(copy_of_the_code, contract)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout


def test_the_rules_cover_a_context_the_contracts_never_named(copy_of_the_code: Path) -> None:
    plant(copy_of_the_code, "publisher/domain/publisher.py", "import modules.book.domain.book\n")
    result = lint_imports(copy_of_the_code, "independent-contexts")
    assert result.returncode == 1 and "modules.publisher" in result.stdout, result.stdout
    plant(
        copy_of_the_code, "publisher/domain/publisher.py", "import modules.publisher.presentation\n"
    )
    plant(copy_of_the_code, "publisher/presentation/__init__.py", "")
    assert lint_imports(copy_of_the_code, "layers").returncode == 1


def test_the_root_walks_every_context_there_is() -> None:
    packages = {p.name for p in (PROJECT_DIR / "modules").iterdir() if (p / "domain").is_dir()}
    assert {context.name for context in CONTEXTS} == packages
    for context in CONTEXTS:
        assert context.router.routes, f"{context.name} declares no endpoint"
