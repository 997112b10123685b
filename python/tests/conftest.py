"""Shared fixtures.

- `project_dir`: the dbt project root.
- `demo_db`: the demo data built ONCE per pytest session into a temporary DuckDB file
  (`crm_metrics.runner.build`, i.e. `dbt seed` then `dbt build`, as `crm-metrics build`);
  tests open it read-only, e.g. with `query`.
- `query(db_path, sql, params=None) -> list[tuple]`: module-level helper (`from conftest import
  query`), also available as the fixture `query_db`. Opens read-only and always closes, so
  the file is never left locked.

Tests that need `demo_db` (or run dbt otherwise) are marked `@pytest.mark.slow`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_metrics.runner import PROJECT_DIR, build


def query(db_path: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    connection = duckdb.connect(str(db_path), read_only=True)
    try:
        return connection.execute(sql, params or []).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="session")
def project_dir() -> Path:
    return PROJECT_DIR


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    database = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build(database, progress=False)
    yield database


@pytest.fixture(scope="session")
def query_db() -> Callable[..., list[tuple]]:
    return query
