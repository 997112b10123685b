"""The user-facing Markdown stands up (no dbt build needed, fast):

- every relative link and image in README.md, CHANGELOG.md and docs/*.md points at a file of the
  repository, and every `#anchor` at a heading of the target page (GitHub's anchor rules);
- the README stays a README: at most 350 lines, each mart named, every docs/ page linked, and
  each figure of its performance table names a commit of this repository;
- the CHANGELOG names every mart.

The checker is tried on hand-written pages too, so it is known to fail on a broken link.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
MAX_README_LINES = 350

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
# [text](target "title") and ![alt](target); text may hold one level of brackets.
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.IGNORECASE)
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def prose_lines(text: str) -> list[tuple[int, str]]:
    """The lines outside fenced code blocks, numbered from 1."""
    lines, fenced = [], None
    for number, line in enumerate(text.splitlines(), 1):
        match = FENCE.match(line)
        if match:
            if fenced is None:
                fenced = match.group(1)
            elif match.group(1) == fenced:
                fenced = None
            continue
        if fenced is None:
            lines.append((number, line))
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text lower-cased, punctuation other than
    hyphens and underscores dropped, each space a hyphen."""
    text = CODE_SPAN.sub(lambda match: match.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link renders as its text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags render as nothing
    text = text.replace("*", "")  # emphasis renders as its text
    kept = []
    for char in text.lower():
        category = unicodedata.category(char)
        if char in "-_" or category[0] in "LN" or category == "Mn":
            kept.append(char)
        elif char == " ":
            kept.append("-")
    return "".join(kept)


def anchors(text: str) -> set[str]:
    """Every anchor a page offers: its headings (a repeated one gets -1, -2, …) and HTML anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(text):
        found.update(HTML_ANCHOR.findall(line))
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[tuple[int, str]]:
    """(line, target) of every inline, image and reference link outside code."""
    found = []
    for number, line in prose_lines(text):
        line = CODE_SPAN.sub("", line)
        found.extend((number, target) for target in INLINE_LINK.findall(line))
        match = REFERENCE_LINK.match(line)
        if match:
            found.append((number, match.group(1)))
    return found


def broken_links(page: Path, root: Path) -> list[str]:
    """What is wrong with the links of one page, one line each."""
    problems = []
    name = page.relative_to(root)
    for number, target in links(page.read_text(encoding="utf-8")):
        if not target or SCHEME.match(target) or target.startswith("//"):
            continue
        path_part, _, anchor = target.partition("#")
        destination = (page.parent / unquote(path_part)).resolve() if path_part else page
        where = f"{name}:{number}: {target}"
        if not destination.is_relative_to(root.resolve()):
            problems.append(f"{where}: points outside the repository")
        elif not destination.exists():
            problems.append(f"{where}: no such file")
        elif (
            anchor
            and destination.suffix == ".md"
            and unquote(anchor) not in anchors(destination.read_text(encoding="utf-8"))
        ):
            problems.append(f"{where}: no heading #{anchor} in {destination.name}")
    return problems


def pages() -> list[Path]:
    listed = [PROJECT_DIR / "README.md", PROJECT_DIR / "CHANGELOG.md"]
    return listed + sorted((PROJECT_DIR / "docs").glob("*.md"))


def test_slug_follows_githubs_rules() -> None:
    assert slug("Map: the layers and where to start reading") == (
        "map-the-layers-and-where-to-start-reading"
    )
    assert slug("Serving database: BI tools stay connected") == (
        "serving-database-bi-tools-stay-connected"
    )
    assert slug("`crm-metrics build` and `dq_summary`") == "crm-metrics-build-and-dq_summary"
    assert slug("Rows read = accepted + rejected") == "rows-read--accepted--rejected"
    assert slug("[0.3.0] \u2013 2026-12-06") == "030--2026-12-06"  # an en dash
    assert slug("Café Müller's **deals**") == "café-müllers-deals"
    text = '# Notes\n## Notes\n```\n# not a heading\n```\n## Notes\n<a id="here"></a>\n'
    assert anchors(text) == {"notes", "notes-1", "notes-2", "here"}


def test_checker_finds_missing_files_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("# A page\n\n## Two words\n", encoding="utf-8")
    (tmp_path / "data.yml").write_text("x: 1\n", encoding="utf-8")
    page = tmp_path / "README.md"
    page.write_text(
        "\n".join(
            [
                "[ok](docs/a.md) [ok](docs/a.md#two-words) [ok](#top) [ok](data.yml)",
                "[web](https://example.com/x.md#nope) `[code](missing.md)`",
                "```",
                "[fenced](missing.md)",
                "```",
                "# Top",
                "[gone](docs/b.md)",
                "![gone](docs/b.png)",
                "[bad anchor](docs/a.md#two_words) [bad here](#bottom)",
                "[ref]: docs/c.md",
                "[out](../outside.md)",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    problems = broken_links(page, tmp_path)
    assert problems == [
        "README.md:7: docs/b.md: no such file",
        "README.md:8: docs/b.png: no such file",
        "README.md:9: docs/a.md#two_words: no heading #two_words in a.md",
        "README.md:9: #bottom: no heading #bottom in README.md",
        "README.md:10: docs/c.md: no such file",
        "README.md:11: ../outside.md: points outside the repository",
    ]


@pytest.mark.parametrize("page", pages(), ids=lambda path: path.relative_to(PROJECT_DIR).as_posix())
def test_every_link_resolves(page: Path) -> None:
    assert page.is_file(), f"{page.relative_to(PROJECT_DIR)} is missing"
    problems = broken_links(page, PROJECT_DIR)
    assert problems == [], "\n".join(problems)


def test_every_docs_page_is_linked_from_the_readme() -> None:
    """Reference moved out of the README stays findable from it."""
    readme = PROJECT_DIR / "README.md"
    linked = {
        (readme.parent / unquote(target.partition("#")[0])).resolve()
        for _, target in links(readme.read_text(encoding="utf-8"))
        if target and not SCHEME.match(target)
    }
    unlinked = sorted(
        path.name for path in (PROJECT_DIR / "docs").glob("*.md") if path.resolve() not in linked
    )
    assert unlinked == [], f"docs pages the README does not link to: {unlinked}"


def test_readme_is_short() -> None:
    lines = len((PROJECT_DIR / "README.md").read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_README_LINES, (
        f"README.md has {lines} lines, at most {MAX_README_LINES}: move reference material to docs/"
    )


def mart_names() -> set[str]:
    return {path.stem for path in (PROJECT_DIR / "models").rglob("mart_*.sql")}


@pytest.mark.parametrize("name", ["README.md", "CHANGELOG.md"])
def test_every_mart_is_named(name: str) -> None:
    text = (PROJECT_DIR / name).read_text(encoding="utf-8")
    assert mart_names(), "no mart_*.sql found under models/"
    missing = sorted(mart for mart in mart_names() if f"`{mart}`" not in text)
    assert missing == [], f"{name} does not name {missing}"


def section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no section '## {title}'"
    return match.group(1)


def test_every_readme_performance_figure_names_a_commit() -> None:
    text = section((PROJECT_DIR / "README.md").read_text(encoding="utf-8"), "Performance")
    rows = [line for line in text.splitlines() if line.startswith("|")][2:]  # past the header
    assert rows, "the Performance section has no table"
    problems = []
    commits = set()
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if not re.fullmatch(r"[0-9a-f]{7,40}", cells[-1]):
            problems.append(f"no commit in the last cell: {row}")
        else:
            commits.add(cells[-1])
    # Figures outside the table would escape this check.
    prose = "\n".join(line for line in text.splitlines() if not line.startswith("|"))
    figures = re.findall(r"\b\d+(?:\.\d+)?\s?(?:s|GiB|MB|GB)\b", prose)
    if figures:
        problems.append(f"figures outside the table, with no commit: {figures}")
    assert problems == [], "\n".join(problems)
    try:
        for commit in sorted(commits):
            subprocess.run(
                ["git", "cat-file", "-e", f"{commit}^{{commit}}"],
                cwd=PROJECT_DIR,
                check=True,
                capture_output=True,
            )
    except FileNotFoundError as exc:
        pytest.skip(f"no git: {exc}")
    except subprocess.CalledProcessError as exc:
        if b"not a git repository" in exc.stderr:
            pytest.skip("not a git checkout")
        raise AssertionError(f"{commit} is not a commit of this repository") from exc
