"""The README and docs/ link only to what the repository holds, and the README stays short.

Every relative link (and image) in README.md and docs/**/*.md must name a file or folder
inside the repository; a link with an anchor must name a heading of the Markdown file it
points to. Links inside code blocks and inline code are not links. And every setting has
its line in docs/operations.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
README_MAX_LINES = 250

DOCUMENTS = sorted([PROJECT_DIR / "README.md", *(PROJECT_DIR / "docs").rglob("*.md")])

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
# [text](target) or ![alt](target), target without spaces, an optional "title" after it.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto:, ...
HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")


def prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks, with inline code removed."""
    lines, in_fence = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            lines.append(INLINE_CODE.sub("", line))
    return lines


def links(document: Path) -> list[str]:
    return [m.group(1) for line in prose_lines(document.read_text()) for m in LINK.finditer(line)]


def anchors(document: Path) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens, -1, -2...
    for repeats."""
    seen: dict[str, int] = {}
    result = set()
    text = document.read_text()
    in_fence = False
    for line in text.splitlines():
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        match = None if in_fence else HEADING.match(line)
        if match is None:
            continue
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1)).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        result.add(slug if count == 0 else f"{slug}-{count}")
    return result


def broken_links(document: Path, root: Path = PROJECT_DIR) -> list[str]:
    broken = []
    for target in links(document):
        if EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (document.parent / unquote(path_part)).resolve() if path_part else document
        if not resolved.is_relative_to(root):
            broken.append(f"{target}: outside the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and unquote(anchor) not in anchors(resolved):
            broken.append(f"{target}: no heading #{anchor} in {resolved.name}")
    return broken


def test_the_documents_are_found_and_hold_links() -> None:
    names = {d.relative_to(PROJECT_DIR).as_posix() for d in DOCUMENTS}
    assert {"README.md", "docs/api.md", "docs/operations.md", "docs/performance.md"} <= names
    assert len(links(PROJECT_DIR / "README.md")) >= 10


@pytest.mark.parametrize(
    "document", DOCUMENTS, ids=[d.relative_to(PROJECT_DIR).as_posix() for d in DOCUMENTS]
)
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_the_readme_is_short() -> None:
    lines = len((PROJECT_DIR / "README.md").read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines"


def test_the_checker_finds_what_is_broken(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "here.md").write_text("# A title: with `code`\n")
    page = docs / "page.md"
    page.write_text(
        "[ok](here.md#a-title-with-code) [gone](missing.md) [bad anchor](here.md#nope)\n"
        "![up](../../outside.md) [folder](./)\n"
        "```\n[in a fence](fenced.md)\n```\n`[inline](inline.md)` [web](https://example.com)\n"
    )
    assert links(page) == [
        "here.md#a-title-with-code",
        "missing.md",
        "here.md#nope",
        "../../outside.md",
        "./",
        "https://example.com",
    ]
    assert anchors(docs / "here.md") == {"a-title-with-code"}
    assert broken_links(page, root=tmp_path) == [
        "missing.md: no such file",
        "here.md#nope: no heading #nope in here.md",
        "../../outside.md: outside the repository",
    ]


def test_every_setting_is_in_the_operations_table() -> None:
    from modules.platform.settings import Settings

    table = (PROJECT_DIR / "docs" / "operations.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in table]
    assert missing == []
