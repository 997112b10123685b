"""The raw-folder loader (macro crm_load_raw_dir, on-run-start): Parquet is read where it lies,
CSV is converted once and reused while its path, size and modification time are unchanged.

Two builds of one working database over one folder, the folder changed in between; what each
build left in schema raw_files is read from DuckDB's catalog and the tables themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import query
from helpers import write_table

from crm_metrics.errors import CrmMetricsError
from crm_metrics.generate import generate
from crm_metrics.generate.changes import apply_changes
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


# --- folders of parts: one part per load -----------------------------------------------------


def write_part(folder: Path, table: str, part: str, rows: list[dict[str, str]]) -> Path:
    """A CSV part `folder/<table>/<part>.csv` whose columns are those of its rows, in order."""
    (folder / table).mkdir(exist_ok=True)
    path = folder / table / f"{part}.csv"
    columns = list(dict.fromkeys(column for row in rows for column in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_parquet_part(folder: Path, table: str, part: str, select: str) -> Path:
    (folder / table).mkdir(exist_ok=True)
    path = folder / table / f"{part}.parquet"
    connection = duckdb.connect()
    try:
        connection.execute(f"copy ({select}) to '{path}' (format parquet)")
    finally:
        connection.close()
    return path


def required_files(raw: Path, *, but: tuple[str, ...] = ()) -> None:
    """The required tables other than `but` as plain files, with one deal and its history."""
    files = {
        "users": [{"user_id": "u1", "full_name": "Cy Park", "role": "AE"}],
        "accounts": [{"account_id": "a1", "account_name": "Bolt", "created_at": "2024-01-01"}],
        "stages": STAGES,
        "opportunities": [DEAL],
        "opportunity_history": [
            {"opportunity_id": "o1", "changed_at": "2024-01-02", "stage_name": "Qualify"}
        ],
    }
    for table, rows in files.items():
        if table not in but:
            write_table(raw, table, rows)


LOADER_ONLY = {
    "progress": False,
    "select": ["stg_crm__users"],
    "exclude": ["resource_type:test", "resource_type:unit_test"],
}


def recorded_parts(database: Path) -> list[tuple]:
    return query(
        database,
        "select table_name, part_name, size from raw_files.crm_load_parts order by 1, 2",
    )


class Printed:
    """dbt's event callback keeping the lines macros print (PrintEvent): the loader's notice."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, event: object) -> None:
        if event.info.name == "PrintEvent":
            self.lines.append(event.data.msg)

    def take(self) -> str:
        text, self.lines = "\n".join(self.lines), []
        return text


def test_parts_are_one_relation_new_parts_are_read_once_and_changed_parts_are_reported(
    tmp_path: Path,
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    required_files(raw, but=("users", "opportunity_history"))
    first = write_part(
        raw,
        "users",
        "20240101T000000Z",
        [{"user_id": "u1", "full_name": "Cy Park", "role": "AE", "_loaded_at": "2024-01-01"}],
    )
    # a later load with its columns in another order and one column the first lacks
    write_part(
        raw,
        "users",
        "20240102T000000Z",
        [
            {
                "_loaded_at": "2024-01-02",
                "role": "SE",
                "user_id": "u2",
                "full_name": "Bo Chen",
                "region": "EMEA",
            }
        ],
    )
    # Parquet parts: typed, with different columns; read where they lie
    write_parquet_part(
        raw,
        "opportunity_history",
        "part-1",
        "select 'o1' as opportunity_id, '2024-01-02' as changed_at, 'Qualify' as stage_name,"
        " timestamp '2024-01-02 00:00:00' as _loaded_at",
    )
    removed_parquet = write_parquet_part(
        raw,
        "opportunity_history",
        "part-2",
        "select 'o1' as opportunity_id, '2024-01-09' as changed_at, 'Won' as stage_name,"
        " 100.5 as amount, timestamp '2024-01-09 00:00:00' as _loaded_at",
    )
    database = tmp_path / "db.duckdb"
    printed = Printed()
    options = {**LOADER_ONLY, "progress": printed}
    build(database, raw_dir=raw, **options)

    assert query(
        database,
        "select user_id, full_name, role, region, _loaded_at from raw_files.users order by 1",
    ) == [
        ("u1", "Cy Park", "AE", None, "2024-01-01"),
        ("u2", "Bo Chen", "SE", "EMEA", "2024-01-02"),
    ]
    assert query(
        database,
        "select stage_name, amount, _loaded_at from raw_files.opportunity_history order by 3",
    ) == [
        ("Qualify", None, dt.datetime(2024, 1, 2)),
        ("Won", 100.5, dt.datetime(2024, 1, 9)),
    ]
    relation = relations(database)
    assert relation["users"][0] == "table" and relation["users"][1].endswith(", rows 2")
    assert relation["opportunity_history"][0] == "view"
    assert recorded_parts(database) == [
        (
            "opportunity_history",
            "part-1.parquet",
            (raw / "opportunity_history/part-1.parquet").stat().st_size,
        ),
        ("opportunity_history", "part-2.parquet", removed_parquet.stat().st_size),
        ("users", "20240101T000000Z.csv", first.stat().st_size),
        ("users", "20240102T000000Z.csv", (raw / "users/20240102T000000Z.csv").stat().st_size),
    ]
    # staging sees one users table
    assert query(database, "select user_id from staging.stg_crm__users order by 1") == [
        ("u1",),
        ("u2",),
    ]
    assert printed.take() == ""

    # mark the converted rows: only a new conversion of the old parts would undo it
    connection = duckdb.connect(str(database))
    try:
        connection.execute("update raw_files.users set full_name = 'not re-read'")
    finally:
        connection.close()
    write_part(
        raw,
        "users",
        "20240103T000000Z",
        [{"user_id": "u3", "full_name": "Al Diaz", "role": "AE", "_loaded_at": "2024-01-03"}],
    )
    build(database, raw_dir=raw, **options)
    assert query(database, "select user_id, full_name from raw_files.users order by 1") == [
        ("u1", "not re-read"),
        ("u2", "not re-read"),
        ("u3", "Al Diaz"),
    ]
    assert printed.take() == ""

    # a part rewritten (another size) and parts removed: reported, and every part read again
    write_part(
        raw,
        "users",
        "20240101T000000Z",
        [{"user_id": "u1", "full_name": "Cy Parker", "role": "AE", "_loaded_at": "2024-01-01"}],
    )
    (raw / "users" / "20240102T000000Z.csv").unlink()
    removed_parquet.unlink()
    build(database, raw_dir=raw, **options)
    out = printed.take()
    assert (
        "raw table users: 1 part(s) changed (20240101T000000Z.csv), 1 part(s) removed"
        " (20240102T000000Z.csv)" in out
    ), out
    assert "raw table opportunity_history: 1 part(s) removed (part-2.parquet)" in out, out
    assert query(database, "select user_id, full_name from raw_files.users order by 1") == [
        ("u1", "Cy Parker"),
        ("u3", "Al Diaz"),
    ]
    assert query(database, "select stage_name from raw_files.opportunity_history") == [("Qualify",)]
    assert [row[:2] for row in recorded_parts(database)] == [
        ("opportunity_history", "part-1.parquet"),
        ("users", "20240101T000000Z.csv"),
        ("users", "20240103T000000Z.csv"),
    ]


def _fails(raw: Path, database: Path) -> str:
    with pytest.raises(CrmMetricsError) as failure:
        build(database, raw_dir=raw, **LOADER_ONLY)
    return str(failure.value)


def test_a_part_without_loaded_at_fails_naming_it(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    required_files(raw, but=("users", "accounts"))
    write_part(raw, "users", "1", [{"user_id": "u1", "role": "AE", "_loaded_at": "2024-01-01"}])
    write_part(raw, "users", "2", [{"user_id": "u2", "role": "AE"}])
    write_parquet_part(raw, "accounts", "1", "select 'a1' as account_id, 'Bolt' as account_name")
    message = _fails(raw, tmp_path / "db.duckdb")
    # accounts comes first in name order: its Parquet part is named
    assert f"Raw folder {raw}/accounts/: part file(s) without a _loaded_at column: 1.parquet" in (
        message
    ), message
    (raw / "accounts").rename(tmp_path / "accounts-aside")
    required_files(raw, but=("users",))
    message = _fails(raw, tmp_path / "db.duckdb")
    assert f"Raw folder {raw}/users/: part file(s) without a _loaded_at column: 2.csv" in (
        message
    ), message


@pytest.mark.parametrize("case", ["file_and_folder", "empty_folder", "mixed", "stray"])
def test_ambiguous_or_empty_folders_fail_naming_the_files(tmp_path: Path, case: str) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    required_files(raw, but=() if case == "file_and_folder" else ("users",))
    row = {"user_id": "u1", "role": "AE", "_loaded_at": "2024-01-01"}
    if case == "empty_folder":
        (raw / "users").mkdir()
        (raw / "users" / "_SUCCESS").write_text("")  # a writer's marker is not a part
        expected = f"no part file (*.csv, *.parquet) in folder {raw}/users/"
    else:
        write_part(raw, "users", "1", [row])
    if case == "file_and_folder":
        expected = f"is both a file and a folder of parts: {raw}/users.csv and {raw}/users/"
    elif case == "mixed":
        write_parquet_part(raw, "users", "2", "select 'u2' as user_id, 'x' as _loaded_at")
        expected = f"Raw folder {raw}/users/ mixes CSV and Parquet parts (1.csv, 2.parquet)"
    elif case == "stray":
        (raw / "users" / "notes.txt").write_text("hello")
        expected = f"Raw folder {raw}/users/ holds files that are not parts"
    message = _fails(raw, tmp_path / "db.duckdb")
    assert expected in message, message


def test_incremental_deal_states_follow_a_removed_part(tmp_path: Path) -> None:
    """int_opportunity_states (incremental) after a load's parts are removed: the build prints
    the removal and the stored states are those of a build that never saw that load (the model
    recomputes every deal whose rows' fingerprint changed, removed rows included)."""
    raw = tmp_path / "raw"
    generate(raw, opportunities=200, seed=5, fmt="parquet", loads=True)
    database = tmp_path / "db.duckdb"
    printed = Printed()
    options = {
        "raw_dir": raw,
        "progress": printed,
        "select": ["+int_opportunity_states"],
        "exclude": ["resource_type:test", "resource_type:unit_test"],
    }
    states = "select * from intermediate.int_opportunity_states order by all"
    build(database, **options)
    first = query(database, states)
    load = apply_changes(raw)["load"]
    build(database, **options)
    assert query(database, states) != first
    for table in load["rows"]:
        (raw / table / f"{load['part']}.parquet").unlink()
    printed.take()
    build(database, **options)
    out = printed.take()
    assert f"raw table opportunity_history: 1 part(s) removed ({load['part']}.parquet)" in out
    assert query(database, states) == first


def test_spark_reads_folders_of_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Spark (dbt-spark session): CSV parts with one header, Parquet parts unioned by column
    name (mergeSchema), a removed part reported, a part without _loaded_at refused."""
    if shutil.which("java") is None or importlib.util.find_spec("pyspark") is None:
        pytest.skip("Spark needs pyspark and a Java runtime")
    monkeypatch.setenv("CRM_METRICS_SPARK_DIR", str(tmp_path / "spark"))
    monkeypatch.setenv("CRM_METRICS_SPARK_DRIVER_MEMORY", "1g")
    raw = tmp_path / "raw"
    raw.mkdir()
    required_files(raw, but=("users", "opportunity_history"))
    for part, user in (("1", "u1"), ("2", "u2")):
        write_part(
            raw,
            "users",
            part,
            [
                {
                    "user_id": user,
                    "full_name": f"N {user}",
                    "role": "AE",
                    "_loaded_at": "2024-01-0" + part,
                }
            ],
        )
    write_parquet_part(
        raw,
        "opportunity_history",
        "part-1",
        "select 'o1' as opportunity_id, '2024-01-02' as changed_at, 'Qualify' as stage_name,"
        " timestamp '2024-01-02 00:00:00' as _loaded_at",
    )
    removed = write_parquet_part(
        raw,
        "opportunity_history",
        "part-2",
        "select 'o1' as opportunity_id, '2024-01-09' as changed_at, 'Won' as stage_name,"
        " '100.5' as amount, timestamp '2024-01-09 00:00:00' as _loaded_at",
    )
    printed = Printed()
    options = {
        "target": "spark",
        "progress": printed,
        "select": ["+int_users_validated", "+int_opportunity_history_validated"],
        "exclude": ["resource_type:test", "resource_type:unit_test"],
    }
    database = tmp_path / "unused.duckdb"
    warehouse = tmp_path / "spark" / "warehouse" / "intermediate.db"

    def read(table: str, columns: str) -> list[tuple]:
        connection = duckdb.connect()
        try:
            return connection.execute(
                f"select {columns} from read_parquet('{warehouse / table}/*.parquet') order by all"
            ).fetchall()
        finally:
            connection.close()

    build(database, raw_dir=raw, **options)
    assert read("int_users_validated", "user_id, full_name") == [("u1", "N u1"), ("u2", "N u2")]
    assert read("int_opportunity_history_validated", "stage_name, amount") == [
        ("Qualify", None),
        ("Won", 100.5),
    ]
    assert printed.take() == ""

    removed.unlink()
    build(database, raw_dir=raw, **options)
    assert "raw table opportunity_history: 1 part(s) removed (part-2.parquet)" in printed.take()
    assert read("int_opportunity_history_validated", "stage_name") == [("Qualify",)]

    write_parquet_part(raw, "opportunity_history", "part-3", "select 'o1' as opportunity_id")
    with pytest.raises(CrmMetricsError) as failure:
        build(database, raw_dir=raw, **options)
    assert "part file(s) without a _loaded_at column: part-3.parquet" in str(failure.value)
