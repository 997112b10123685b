"""Each dashboard page's exposure (models/exposures.yml, `dashboard_<page>`) lists exactly the
models the page reads.

A page (dashboard/pages/<page>.md) reads Evidence sources by name in its SQL blocks
(`crm.<query>`); each source query (dashboard/sources/crm/<query>.sql) reads the snapshot's tables
by schema and name (`marts.mart_x`, `core.dim_x`). The models a page reads are the tables its
sources read, less `meta.snapshot` (written by `crm-metrics build` when it publishes, not a dbt
model). Comments are left out before reading names.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from crm_metrics.runner import PROJECT_DIR

DASHBOARD = PROJECT_DIR / "dashboard"
SOURCES = DASHBOARD / "sources" / "crm"
SQL_BLOCK = re.compile(r"^```sql[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SOURCE_NAME = re.compile(r"\bcrm\.(\w+)", re.IGNORECASE)
MODEL_NAME = re.compile(r"\b(core|marts|intermediate|staging)\.(\w+)", re.IGNORECASE)


def without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", re.sub(r"/\*.*?\*/", "", sql, flags=re.DOTALL))


def sources_read(page: Path) -> set[str]:
    blocks = SQL_BLOCK.findall(page.read_text(encoding="utf-8"))
    return {
        name.lower() for block in blocks for name in SOURCE_NAME.findall(without_comments(block))
    }


def models_read(source: str) -> set[str]:
    path = SOURCES / f"{source}.sql"
    assert path.is_file(), f"{path} does not exist"
    sql = without_comments(path.read_text(encoding="utf-8"))
    return {name.lower() for _, name in MODEL_NAME.findall(sql)}


def page_reads() -> dict[str, set[str]]:
    pages = sorted((DASHBOARD / "pages").glob("*.md"))
    assert pages, "the dashboard has no pages"
    return {
        page.stem: set().union(*(models_read(source) for source in sources_read(page)))
        for page in pages
    }


def dashboard_exposures() -> dict[str, set[str]]:
    exposures = yaml.safe_load((PROJECT_DIR / "models" / "exposures.yml").read_text())["exposures"]
    return {
        exposure["name"].removeprefix("dashboard_"): {
            re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in exposure["depends_on"]
        }
        for exposure in exposures
        if exposure["name"].startswith("dashboard_")
    }


def test_every_page_has_an_exposure_and_every_exposure_a_page() -> None:
    assert sorted(dashboard_exposures()) == sorted(page_reads())


def test_each_exposure_lists_exactly_what_its_page_reads() -> None:
    declared = dashboard_exposures()
    for page, read in page_reads().items():
        assert read, f"page {page} reads no model"
        unlisted = sorted(read - declared.get(page, set()))
        not_read = sorted(declared.get(page, set()) - read)
        assert (unlisted, not_read) == ([], []), (
            f"exposure dashboard_{page}: reads {unlisted} without listing them, "
            f"lists {not_read} without reading them"
        )


def test_every_source_query_is_read_by_a_page() -> None:
    used = set().union(*(sources_read(page) for page in (DASHBOARD / "pages").glob("*.md")))
    defined = {path.stem for path in SOURCES.glob("*.sql")}
    assert defined - used == set(), "source queries no page reads"
    assert used - defined == set(), "pages read sources that do not exist"
