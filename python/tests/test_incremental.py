"""Incremental builds: after changing raw rows, an incremental build equals a --full-refresh one.

A small generated Parquet set (300 deals) gets one planted defect (a deal with an unknown
stage, rejected with its history) and is built once; then the raw files get the changes of
`crm_metrics.generate.changes.apply_changes` (the bench's append too): late-arriving history,
new and changed deals and accounts, a deal and a history row that become rejected, the planted
defect corrected, a deleted deal, new history after the last date (the as-of date moves), new,
changed and newly rejected activities. The database is then built incrementally, and the same
raw files are built with --full-refresh into a second database. Every relation of
intermediate, core, marts and data_quality (the incremental model int_opportunity_states and
everything downstream of it, views included: they read the incremental table) must hold the
same rows. Three builds, data tests excluded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from crm_metrics.generate import generate
from crm_metrics.generate.changes import apply_changes, plant_defect
from crm_metrics.runner import build

EXCLUDE = ["resource_type:test", "resource_type:unit_test"]
SCHEMAS = ("intermediate", "core", "marts", "data_quality")


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _tables(database: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} order by 1, 2"
        ).fetchall()
    finally:
        con.close()


def _differences(left: Path, right: Path, schema: str, table: str) -> tuple[int, int, int]:
    """Rows only in left, rows only in right, rows in left. Doubles compare at 10 significant
    digits: a sum of doubles depends on the order rows are read in, which differs between a
    table rewritten whole and one updated in place."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {_lit(left)} as lhs (read_only)")
        con.execute(f"attach {_lit(right)} as rhs (read_only)")
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = 'rhs' and schema_name = ? and table_name = ? "
            "order by column_index",
            [schema, table],
        ).fetchall()
        select = ", ".join(
            f"printf('%.10g', \"{name}\")" if kind in ("DOUBLE", "FLOAT") else f'"{name}"'
            for name, kind in columns
        )
        a = f'select {select} from lhs."{schema}"."{table}"'
        b = f'select {select} from rhs."{schema}"."{table}"'
        only_left = con.execute(f"select count(*) from ({a} except all {b})").fetchone()[0]
        only_right = con.execute(f"select count(*) from ({b} except all {a})").fetchone()[0]
        rows = con.execute(f'select count(*) from lhs."{schema}"."{table}"').fetchone()[0]
        return only_left, only_right, rows
    finally:
        con.close()


def _rows(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.mark.slow
def test_incremental_build_equals_full_refresh(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(raw, opportunities=300, seed=11, fmt="parquet")
    defect = plant_defect(raw)
    incremental_db = tmp_path / "incremental.duckdb"
    full_db = tmp_path / "full.duckdb"

    build(incremental_db, raw_dir=raw, exclude=EXCLUDE, progress=False)
    before = _rows(
        incremental_db,
        "select (select count(*) from core.fct_opportunities where opportunity_id = ?), "
        "(select as_of_date from intermediate.int_as_of_date)",
        [defect],
    )
    changes = apply_changes(raw)
    build(incremental_db, raw_dir=raw, exclude=EXCLUDE, progress=False)
    build(full_db, raw_dir=raw, exclude=EXCLUDE, full_refresh=True, progress=False)

    tables = _tables(full_db)
    for model in (
        ("intermediate", "int_opportunity_states"),
        ("core", "fct_activities"),
        ("core", "fct_opportunity_changes"),
        ("marts", "mart_pipeline_trend"),
        ("data_quality", "dq_summary"),
    ):
        assert model in tables
    assert _tables(incremental_db) == tables
    mismatched = {
        f"{schema}.{table}": diff
        for schema, table in tables
        if (diff := _differences(incremental_db, full_db, schema, table))[:2] != (0, 0)
    }
    assert mismatched == {}

    # every case reached the incremental database
    assert changes["corrected"] == [defect]
    assert before == [(0, dt.date(2025, 12, 31))]
    states = "intermediate.int_opportunity_states"
    (as_of,) = _rows(incremental_db, "select as_of_date from intermediate.int_as_of_date")[0]
    assert as_of == dt.date(2026, 1, 1)

    def deal_rows(deal: str) -> int:
        return _rows(
            incremental_db, f"select count(*) from {states} where opportunity_id = ?", [deal]
        )[0][0]

    assert deal_rows(changes["duplicate"]) == 0
    assert deal_rows(changes["deleted"]) == 0
    assert deal_rows(defect) > 0
    assert all(deal_rows(deal) > 0 for deal in changes["new_deals"])
    late_sequence = _rows(
        incremental_db,
        f"select history_sequence, previous_amount is not null from {states} "
        "where opportunity_id = ? order by changed_at limit 2",
        [changes["late"]],
    )
    assert [row[0] for row in late_sequence] == [1, 2]
    assert _rows(incremental_db, f"select count(*) from {states} where changed_at is null") == [
        (0,)
    ]
    reasons = _rows(
        incremental_db,
        "select reject_reason from data_quality.dq_opportunity_history_rejects "
        "where opportunity_id = ? and stage_name = 'Stage not in the stages table'",
        [changes["unknown_stage"]],
    )
    assert reasons == [("unknown_stage",)]
    assert _rows(
        incremental_db,
        "select count(*) from core.dim_accounts where account_id = ?",
        [changes["new_account"]],
    ) == [(1,)]
    activities = _rows(
        incremental_db,
        "select activity_id from core.fct_activities where activity_id in (?, ?)",
        [changes["changed_activity"], changes["duplicate_activity"]],
    )
    assert activities == [(changes["changed_activity"],)]
    assert changes["rows_added"]["activities"] > 5
