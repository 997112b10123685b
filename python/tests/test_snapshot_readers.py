"""Older DuckDB readers open the published snapshot and read what DuckDB 2.0 reads.

The serving file is written in the v1.0.0 storage format (crm_metrics.serving). Two readers
other than the package's DuckDB 2.0 open the demo snapshot and read every table:

- DuckDB 1.0.0, the oldest release that format names, in a virtual environment of its own
  (`pip install duckdb==1.0.0`), running python/tests/snapshot_reader.py;
- DuckDB's Node client (`@duckdb/node-api`, the 1.5 line BI tools on Node embed), installed with
  `npm ci` from python/tests/node_reader/package-lock.json, running read_tables.mjs.

Both environments are cached under `$CRM_METRICS_TEST_CACHE` (default
`~/.cache/crm-metrics/test-envs`), keyed by what they pin, so only the first run installs. Each
reader runs the same queries, one per table: every column cast to text except doubles, which
stay numbers (a float read back from JSON is the same double), ordered by every column; the
rows must equal DuckDB 2.0's. As a control, a snapshot written in DuckDB 2.0's own format
(`storage_version="latest"`) must be refused by both. Without Node, npm or PyPI the test
skips, and fails when CI is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import _in_ci, query

from crm_metrics.serving import publish

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
OLDEST_DUCKDB = "1.0.0"  # the release that storage version v1.0.0 names
NODE_READER = HERE / "node_reader"
DOUBLE_TYPES = {"DOUBLE", "FLOAT", "REAL"}


def cache_root() -> Path:
    configured = os.environ.get("CRM_METRICS_TEST_CACHE", "").strip()
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "crm-metrics" / "test-envs"


def unavailable(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason}; CI is set, so this reader must be available")
    pytest.skip(reason)


def installed(target: Path, install: Any) -> Path:
    """`target` after `install(folder)` filled a fresh folder, renamed into place once whole."""
    if (target / ".complete").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        install(building)
        (building / ".complete").write_text("ok\n")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(building, target)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return target


def run(command: list[str], what: str, **options: Any) -> subprocess.CompletedProcess:
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, **options)
    if result.returncode != 0:
        unavailable(f"{what} failed ({result.returncode}): {result.stderr.strip()[-800:]}")
    return result


@pytest.fixture(scope="module")
def old_duckdb_python() -> Path:
    def install(folder: Path) -> None:
        run([sys.executable, "-m", "venv", str(folder)], "creating a virtual environment")
        run(
            [
                str(folder / "bin" / "python"),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                f"duckdb=={OLDEST_DUCKDB}",
            ],
            f"pip install duckdb=={OLDEST_DUCKDB}",
        )

    folder = installed(
        cache_root() / f"duckdb-{OLDEST_DUCKDB}-py{sys.version_info[0]}{sys.version_info[1]}",
        install,
    )
    return folder / "bin" / "python"


@pytest.fixture(scope="module")
def node_reader() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        unavailable("node and npm are needed for DuckDB's Node client (Debian: nodejs, npm)")
    lock = (NODE_READER / "package-lock.json").read_bytes()
    key = hashlib.sha256(lock + (NODE_READER / "package.json").read_bytes()).hexdigest()[:12]

    def install(folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(NODE_READER / name, folder / name)
        run([npm, "ci", "--no-audit", "--no-fund"], "npm ci (node_reader)", cwd=folder)

    folder = installed(cache_root() / f"node-reader-{key}", install)
    shutil.copy2(NODE_READER / "read_tables.mjs", folder / "read_tables.mjs")
    return folder / "read_tables.mjs"


@pytest.fixture(scope="module")
def snapshots(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("snapshots")
    return {
        "default": publish(demo_db, folder / "demo.serving.duckdb").path,
        "latest": publish(demo_db, folder / "latest.serving.duckdb", "latest").path,
    }


def table_queries(database: Path) -> tuple[list[str], dict[str, str]]:
    """Every table of the snapshot and, per table, the query every reader runs."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        columns = connection.execute(
            "select table_schema || '.' || table_name, column_name, data_type "
            "from information_schema.columns where table_catalog = current_database() "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        connection.close()
    selects: dict[str, list[str]] = {}
    for table, column, data_type in columns:
        quoted = '"' + column.replace('"', '""') + '"'
        selects.setdefault(table, []).append(
            quoted if data_type in DOUBLE_TYPES else f"cast({quoted} as varchar) as {quoted}"
        )
    tables = sorted(selects)
    queries = {
        table: f"select {', '.join(items)} from {table} order by all"
        for table, items in selects.items()
    }
    return tables, queries


def read_with(command: list[str], database: Path, queries: dict[str, str]) -> dict[str, Any]:
    result = subprocess.run(
        command,
        input=json.dumps({"database": str(database), "queries": queries}),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout)


def refused(command: list[str], database: Path) -> str:
    result = subprocess.run(
        command,
        input=json.dumps({"database": str(database), "queries": {}}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0, f"{command[0]} opened a DuckDB 2.0 file: {result.stdout[:200]}"
    return result.stderr


def rows_by_duckdb_2(database: Path, queries: dict[str, str]) -> dict[str, list[list[Any]]]:
    return read_with([sys.executable, str(HERE / "snapshot_reader.py")], database, queries)[
        "results"
    ]


def test_duckdb_1_0_and_the_node_client_read_every_table_as_duckdb_2_does(
    snapshots: dict[str, Path], old_duckdb_python: Path, node_reader: Path
) -> None:
    snapshot = snapshots["default"]
    tables, queries = table_queries(snapshot)
    assert len(tables) > 60 and {"meta.snapshot", "marts.mart_win_rate"} <= set(tables)
    expected = rows_by_duckdb_2(snapshot, queries)
    assert duckdb.__version__.startswith("2.")
    # the snapshot holds rows (a reader that saw empty tables would agree with nothing)
    [(total,)] = query(snapshot, "select row_count from meta.snapshot")
    assert sum(len(expected[table]) for table in tables if table != "meta.snapshot") == total

    readers = {
        f"DuckDB {OLDEST_DUCKDB} (Python)": [
            str(old_duckdb_python),
            str(HERE / "snapshot_reader.py"),
        ],
        "DuckDB's Node client": [shutil.which("node") or "node", str(node_reader)],
    }
    for name, command in readers.items():
        answer = read_with(command, snapshot, queries)
        assert not answer["version"].lstrip("v").startswith("2."), (name, answer["version"])
        assert answer["tables"] == tables, name
        for table in tables:
            assert answer["results"][table] == expected[table], f"{name}: {table}"


def test_a_snapshot_in_duckdb_2_format_is_what_they_cannot_open(
    snapshots: dict[str, Path], old_duckdb_python: Path, node_reader: Path
) -> None:
    """The control: without the older storage format both readers refuse the file."""
    latest = snapshots["latest"]
    python_error = refused([str(old_duckdb_python), str(HERE / "snapshot_reader.py")], latest)
    assert "version number" in python_error
    node_error = refused([shutil.which("node") or "node", str(node_reader)], latest)
    assert "version number" in node_error
