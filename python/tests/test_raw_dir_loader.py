"""The raw-folder loader (macro crm_load_raw_dir, on-run-start): Parquet is read where it lies,
CSV is converted once and reused while its path, size and modification time are unchanged.

Two builds of one working database over one folder, the folder changed in between; what each
build left in schema raw_files is read from DuckDB's catalog and the tables themselves.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
from conftest import query
from helpers import write_table

from crm_metrics.runner import build

pytestmark = pytest.mark.slow

STAGES = [
    {"stage_name": "Qualify", "stage_order": "1", "is_closed": "false", "is_won": "false"},
    {"stage_name": "Won", "stage_order": "2", "is_closed": "true", "is_won": "true"},
    {"stage_name": "Lost", "stage_order": "3", "is_closed": "true", "is_won": "false"},
]
DEAL = {
    "opportunity_id": "o1",
    "account_id": "a1",
    "owner_id": "u1",
    "created_at": "2024-01-02",
    "close_date": "2024-02-01",
    "stage_name": "Qualify",
}


def write_parquet(folder: Path, table: str, select: str) -> None:
    connection = duckdb.connect()
    try:
        target = str(folder / f"{table}.parquet").replace("'", "''")
        connection.execute(f"copy ({select}) to '{target}' (format parquet)")
    finally:
        connection.close()


def relations(database: Path) -> dict[str, tuple[str, str | None]]:
    """raw_files' relations: name → ('table', comment) or ('view', its SQL)."""
    rows = query(
        database,
        "select table_name, 'table', comment from duckdb_tables() where schema_name = 'raw_files'"
        " union all select view_name, 'view', sql from duckdb_views()"
        " where schema_name = 'raw_files'",
    )
    return {name: (kind, text) for name, kind, text in rows}


def set_mtime(path: Path, seconds: int) -> None:
    os.utime(path, (seconds, seconds))


def test_parquet_in_place_and_csv_reused_until_its_file_changes(tmp_path: Path) -> None:
    raw = tmp_path / "raw o'dd"  # a quote in the path reaches SQL as text, never as SQL
    raw.mkdir()
    first_files = {
        "users": [{"user_id": "u1", "full_name": "Cy Park", "role": "AE"}],
        "accounts": [{"account_id": "a1", "account_name": "Bolt", "created_at": "2024-01-01"}],
        "stages": STAGES,
        "opportunities": [DEAL],
        "leads": [{"lead_id": "l1", "created_at": "2024-01-03"}],
    }
    for table, rows in first_files.items():
        write_table(raw, table, rows)
    write_parquet(
        raw,
        "opportunity_history",
        "select 'o1' as opportunity_id, '2024-01-02' as changed_at, 'Qualify' as stage_name",
    )
    for path in raw.iterdir():
        set_mtime(path, 1_700_000_000)
    database = tmp_path / "db.duckdb"
    options = {"raw_dir": raw, "progress": False, "select": ["stg_crm__users"]}
    build(database, **options, exclude=["resource_type:test", "resource_type:unit_test"])

    first = relations(database)
    # Parquet: a view reading the file, no copy
    kind, sql = first["opportunity_history"]
    quoted_path = str(raw / "opportunity_history.parquet").replace("'", "''")
    assert kind == "view" and "read_parquet" in sql and f"'{quoted_path}'" in sql, sql
    assert query(database, 'select stage_name from raw_files."opportunity_history"') == [
        ("Qualify",)
    ]
    # CSV: a table whose comment is the file's signature
    for table in ("users", "accounts", "stages", "opportunities", "leads"):
        kind, comment = first[table]
        size = (raw / f"{table}.csv").stat().st_size
        assert kind == "table" and f"{table}.csv" in comment and f" size {size} " in comment, (
            comment
        )

    # mark the converted accounts table: only a re-read of accounts.csv would undo it
    connection = duckdb.connect(str(database))
    try:
        connection.execute("update raw_files.accounts set account_name = 'not re-read'")
    finally:
        connection.close()
    # users: new content, a different size
    write_table(
        raw,
        "users",
        [
            {"user_id": "u1", "full_name": "Cy Park", "role": "AE"},
            {"user_id": "u2", "full_name": "Bo Chen", "role": "SE"},
        ],
    )
    # stages: the same size (one letter changed), only the modification time tells
    stages_before = (raw / "stages.csv").stat().st_size
    write_table(raw, "stages", [{**STAGES[0], "stage_name": "Qualifx"}, *STAGES[1:]])
    assert (raw / "stages.csv").stat().st_size == stages_before
    set_mtime(raw / "stages.csv", 1_700_000_060)
    # opportunities: CSV replaced by Parquet; history: Parquet replaced by CSV; leads removed
    (raw / "opportunities.csv").unlink()
    write_parquet(raw, "opportunities", "select 'o1' as opportunity_id, 'Won' as stage_name")
    (raw / "opportunity_history.parquet").unlink()
    write_table(
        raw,
        "opportunity_history",
        [{"opportunity_id": "o1", "changed_at": "2024-01-02", "stage_name": "Lost"}],
    )
    (raw / "leads.csv").unlink()
    build(database, **options, exclude=["resource_type:test", "resource_type:unit_test"])

    second = relations(database)
    assert query(database, "select account_name from raw_files.accounts") == [("not re-read",)]
    assert second["accounts"] == first["accounts"]
    assert query(database, "select user_id from raw_files.users order by 1") == [("u1",), ("u2",)]
    assert query(database, "select stage_name from raw_files.stages order by 1") == [
        ("Lost",),
        ("Qualifx",),
        ("Won",),
    ]
    assert second["stages"] != first["stages"]
    assert second["opportunities"][0] == "view"
    assert query(database, "select stage_name from raw_files.opportunities") == [("Won",)]
    assert second["opportunity_history"][0] == "table"
    assert query(database, "select stage_name from raw_files.opportunity_history") == [("Lost",)]
    assert "leads" not in second
    # the staging view reads the new users file through the reused schema
    assert query(database, "select user_id from staging.stg_crm__users order by 1") == [
        ("u1",),
        ("u2",),
    ]
