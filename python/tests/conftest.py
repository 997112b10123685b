"""Shared fixtures.

- `project_dir`: the dbt project root.
- `demo_db`: the demo data built ONCE per pytest session into a temporary DuckDB file
  (`crm_metrics.runner.build`, i.e. `dbt seed` then `dbt build`, as `crm-metrics build`);
  tests open it read-only, e.g. with `query`.
- `generated_deals`: (raw folder, database) of 1,200 generated deals, history shuffled once
  more, built up to GENERATED_DEALS_MARTS ONCE per pytest run, also under pytest-xdist (the
  first worker to ask builds it, the others wait for it): the data the independent
  recomputations of test_pipeline_recompute.py and test_presales_customer_recompute.py compare
  with. Read-only, like `demo_db`.
- `engine_dataset`: (raw folder, database) of the engine tests' generated set (engines.py),
  built once per pytest run in the same way: the PostgreSQL and Spark test files run on
  different workers and compare with the same DuckDB build. Read-only.
- `query(db_path, sql, params=None) -> list[tuple]`: module-level helper (`from conftest import
  query`), also available as the fixture `query_db`. Opens read-only and always closes, so
  the file is never left locked.
- `shared_dataset(project_dir, *parts) -> Path`: a file or folder of the public sample datasets
  (never copied into the repo): under `$CRM_METRICS_SHARED_DATASETS` when set, else under the
  `shared/datasets` folder next to the project when that folder exists (CI has it there). A
  missing dataset skips the test, or fails it when `CI` is set (CI must have the samples); a
  `CRM_METRICS_SHARED_DATASETS` that is not a folder always fails (the setting is wrong).

Tests that need `demo_db` (or run dbt otherwise) are marked `@pytest.mark.slow`.

dbt's unit tests check the code, not a test's data: `demo_db` runs all of them on DuckDB (as
`make run` does), test_engines_postgres.py and test_engines_spark.py on their engines, and every
other build leaves them out (`unit_tests=False`, or `resource_type:unit_test` excluded), as
`crm-metrics build` does on user data; the installed-package test keeps them (a package's unit
tests must run in the user's project).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from engines import build_engine_dataset
from helpers import generate_and_build

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


# What the recomputation tests on `generated_deals` read: built together, once.
GENERATED_DEALS_MARTS = (
    # test_pipeline_recompute.py
    "mart_funnel_conversion",
    "mart_stage_duration",
    "mart_pipeline_flow",
    "mart_pipeline_trend",
    "mart_win_rate",
    # test_presales_customer_recompute.py
    "mart_presales_deliverables",
)
# How long a worker waits for another worker's build of `generated_deals`.
SHARED_BUILD_TIMEOUT_S = 3600


def _build_generated_deals(folder: Path) -> tuple[Path, Path]:
    return generate_and_build(
        folder,
        opportunities=1200,
        seed=7,
        shuffle_seed=20251231,
        marts=GENERATED_DEALS_MARTS,
    )


def built_once_across_workers(
    folder: Path, build_into: Callable[[Path], tuple[Path, Path]]
) -> tuple[Path, Path]:
    """`build_into(folder)` run by the first pytest-xdist worker that asks; the others wait for
    its result. Creating a directory is atomic, so exactly one worker claims the build; it
    writes `folder/result.json` when done, or `<folder>.failed` with the error."""
    claim = folder.with_name(folder.name + ".claimed")
    failed = folder.with_name(folder.name + ".failed")
    result = folder / "result.json"
    try:
        claim.mkdir()
    except FileExistsError:
        deadline = time.monotonic() + SHARED_BUILD_TIMEOUT_S
        while not result.exists():
            if failed.exists():
                pytest.fail(f"the shared build of {folder.name} failed: {failed.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"waited {SHARED_BUILD_TIMEOUT_S} s for the build of {folder.name}")
            time.sleep(1)
        raw, database = json.loads(result.read_text(encoding="utf-8"))
        return Path(raw), Path(database)
    folder.mkdir()
    try:
        raw, database = build_into(folder)
    except BaseException as error:
        failed.write_text(f"{type(error).__name__}: {error}", encoding="utf-8")
        raise
    partial = folder / "result.json.partial"
    partial.write_text(json.dumps([str(raw), str(database)]), encoding="utf-8")
    partial.replace(result)  # appears whole: a waiting worker never reads half a file
    return raw, database


def built_once_per_run(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    build_into: Callable[[Path], tuple[Path, Path]],
) -> tuple[Path, Path]:
    """`build_into(folder)` once per pytest run: in this session without pytest-xdist, else by
    the first worker that asks (each xdist worker has its own session; the run's workers share
    the parent of their temporary folders, a fresh one per run)."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return build_into(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent / name
    return built_once_across_workers(shared, build_into)


@pytest.fixture(scope="session")
def generated_deals(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return built_once_per_run(tmp_path_factory, "generated_deals", _build_generated_deals)


@pytest.fixture(scope="session")
def engine_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return built_once_per_run(tmp_path_factory, "engine_dataset", build_engine_dataset)
