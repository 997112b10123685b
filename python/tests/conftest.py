"""Shared fixtures.

- `project_dir`: the dbt project root.
- `demo_db`: the demo data built ONCE per pytest session into a temporary DuckDB file
  (`crm_metrics.runner.build`, i.e. `dbt seed` then `dbt build`, as `crm-metrics build`);
  tests open it read-only, e.g. with `query`.
- `query(db_path, sql, params=None) -> list[tuple]`: module-level helper (`from conftest import
  query`), also available as the fixture `query_db`. Opens read-only and always closes, so
  the file is never left locked.
- `shared_dataset(project_dir, *parts) -> Path`: a file or folder of the public sample datasets
  (never copied into the repo): under `$CRM_METRICS_SHARED_DATASETS` when set, else under the
  `shared/datasets` folder next to the project when that folder exists (CI has it there). A
  missing dataset skips the test, or fails it when `CI` is set (CI must have the samples); a
  `CRM_METRICS_SHARED_DATASETS` that is not a folder always fails (the setting is wrong).

Tests that need `demo_db` (or run dbt otherwise) are marked `@pytest.mark.slow`.
"""

from __future__ import annotations

import os
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


SHARED_DATASETS_VARIABLE = "CRM_METRICS_SHARED_DATASETS"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def shared_dataset(project_dir: Path, *parts: str) -> Path:
    """The path `parts` inside the public datasets folder (see the module docstring)."""
    configured = os.environ.get(SHARED_DATASETS_VARIABLE, "").strip()
    if configured:
        root = Path(configured).expanduser()
        if not root.is_dir():
            pytest.fail(f"{SHARED_DATASETS_VARIABLE}={configured}: not a folder")
        where = f"{SHARED_DATASETS_VARIABLE}={configured}"
    else:
        root = Path(project_dir).resolve().parent / "shared" / "datasets"
        where = f"{root} (set {SHARED_DATASETS_VARIABLE} to the datasets folder)"
        if not root.is_dir():
            reason = f"no public datasets folder: {where}"
            if _in_ci():
                pytest.fail(f"{reason}; CI is set, so the datasets must be provided")
            pytest.skip(reason)
    path = root.joinpath(*parts)
    if not path.exists():
        reason = f"{'/'.join(parts)} is not in the public datasets folder {where}"
        if _in_ci():
            pytest.fail(f"{reason}; CI is set, so the dataset must be provided")
        pytest.skip(reason)
    return path


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
