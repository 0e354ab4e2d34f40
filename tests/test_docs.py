"""The documentation holds together: every relative link and image in README.md and docs/*.md points at a
file that exists (and, with a #fragment, at a heading of that file), the README stays a front door of at
most 200 lines, and its test command is the one `.ci/run` runs."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 200

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")  # [text](target) and ![alt](path)
HTML_SOURCE = re.compile(r"<(?:img|a)\b[^>]*\b(?:src|href)=\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto: ...


def prose_lines(text: str, drop_code: bool = True) -> list[str]:
    """The lines outside fenced code blocks, with inline code removed (code is not a link) unless asked."""
    lines, fenced = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(INLINE_CODE.sub("", line) if drop_code else line)
    return lines


def links(page: Path) -> list[str]:
    found = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        found += LINK.findall(line) + HTML_SOURCE.findall(line)
    return found


def anchors(page: Path) -> set[str]:
    """GitHub's ids for the headings of a markdown page: lower case, punctuation dropped, spaces as
    hyphens, a repeated heading numbered -1, -2, ..."""
    seen: dict[str, int] = {}
    ids = set()
    for line in prose_lines(page.read_text(encoding="utf-8"), drop_code=False):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def broken_links(page: Path) -> list[str]:
    broken = []
    for target in links(page):
        if EXTERNAL.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{target}: no file {shown(resolved)}")
        elif fragment and resolved.suffix == ".md" and fragment.lower() not in anchors(resolved):
            broken.append(f"{target}: no heading #{fragment} in {shown(resolved)}")
    return broken


def test_the_pages_exist():
    assert README.is_file()
    assert len(PAGES) > 1, "docs/ holds the pages the README links to"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_the_readme_links_every_docs_page():
    linked = {(README.parent / target.partition("#")[0]).resolve() for target in links(README)}
    assert [page.name for page in PAGES[1:] if page.resolve() not in linked] == []


def test_the_readme_is_a_front_door():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move details into docs/"


def test_the_readme_test_command_is_the_one_ci_runs():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    marker = next(index for index, line in enumerate(script) if line.startswith("# ---") and "test command" in line)
    command = next(line.strip() for line in script[marker + 1:] if line.strip())
    assert command in [line.strip() for line in README.read_text(encoding="utf-8").splitlines()]


def test_the_link_checker_finds_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# A heading: with `code`\n", encoding="utf-8")
    page.write_text("[ok](other.md#a-heading-with-code) ![gone](missing.png) [bad](other.md#nope)\n"
                    "`[not a link](missing.md)`\n```\n[in code](missing.md)\n```\n[web](https://example.org)\n",
                    encoding="utf-8")
    assert links(page) == ["other.md#a-heading-with-code", "missing.png", "other.md#nope", "https://example.org"]
    assert anchors(tmp_path / "other.md") == {"a-heading-with-code"}
    assert [problem.split(":")[0] for problem in broken_links(page)] == ["missing.png", "other.md#nope"]
