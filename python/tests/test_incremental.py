"""Incremental builds: after appending raw rows, an incremental build equals a --full-refresh one.

A small generated Parquet set (300 deals) is built once; then rows are appended that exercise
what an incremental model can get wrong:
- a late-arriving history row, dated between a deal's first and second rows (it changes the
  later rows' valid_to, previous_* and flags);
- a deal that becomes rejected (a second, different opportunities row with its id: duplicate
  key, so the deal and its history must disappear);
- a new deal with two history rows;
- new history rows one day after the data's last date (the as-of date moves: the window grows);
- new activities, and an activity that becomes rejected (duplicate id with other content).
The database is then built incrementally, and the same raw files are built with --full-refresh
into a second database. Every table of core and marts (and int_opportunity_states, the
incremental model they read) must hold the same rows. Three builds, data tests excluded.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from crm_metrics.generate import generate
from crm_metrics.runner import build

EXCLUDE = ["resource_type:test", "resource_type:unit_test"]


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _append(raw: Path, table: str, select_sql: str) -> None:
    """Append the rows of `select_sql` (columns of the raw file, same order) to raw/<table>."""
    path = raw / f"{table}.parquet"
    tmp = raw / f"{table}.tmp.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"create view existing as select * from read_parquet({_lit(path)})")
        con.execute(
            f"copy (select * from existing union all ({select_sql})) to {_lit(tmp)} "
            "(format parquet)"
        )
    finally:
        con.close()
    tmp.replace(path)


def _append_changes(raw: Path) -> dict[str, str]:
    """Append the rows described in the module docstring; return the deal ids involved."""
    con = duckdb.connect()
    try:
        hist = _lit(raw / "opportunity_history.parquet")
        # a deal with at least two history rows whose first two rows are an hour or more apart
        late_deal, first_at = con.execute(
            f"""
            with ordered as (
                select opportunity_id, changed_at,
                    lead(changed_at) over (partition by opportunity_id order by changed_at)
                        as next_at,
                    row_number() over (partition by opportunity_id order by changed_at) as rn
                from read_parquet({hist})
            )
            select opportunity_id, changed_at from ordered
            where rn = 1 and next_at > changed_at + interval 2 hour
            order by opportunity_id limit 1
            """
        ).fetchone()
        rejected_deal = con.execute(
            f"select min(opportunity_id) from read_parquet({hist}) "
            f"where opportunity_id <> '{late_deal}'"
        ).fetchone()[0]
        last_at = con.execute(f"select max(changed_at) from read_parquet({hist})").fetchone()[0]
        other_deals = [
            row[0]
            for row in con.execute(
                f"select distinct opportunity_id from read_parquet({hist}) "
                f"where opportunity_id not in ('{late_deal}', '{rejected_deal}') "
                "order by 1 desc limit 3"
            ).fetchall()
        ]
    finally:
        con.close()
    late_sql = f"""
        select opportunity_id, changed_at + interval 1 hour as changed_at, stage_name,
            amount * 1.5 as amount, close_date + 7 as close_date, changed_by
        from existing
        where opportunity_id = '{late_deal}' and changed_at = '{first_at}'
    """
    later_sql = " union all ".join(
        f"""(select opportunity_id, timestamp '{last_at}' + interval 1 day as changed_at,
            stage_name, amount + 100 as amount, close_date + 30 as close_date, changed_by
        from existing where opportunity_id = '{deal}'
        order by changed_at desc limit 1)"""
        for deal in other_deals
    )
    new_deal_sql = f"""
        select 'opp_new_incremental' as opportunity_id, changed_at, stage_name, amount,
            close_date, changed_by
        from existing where opportunity_id = '{other_deals[0]}'
    """
    _append(
        raw,
        "opportunity_history",
        f"({late_sql}) union all {later_sql} union all ({new_deal_sql})",
    )
    _append(
        raw,
        "opportunities",
        f"""
        (select * replace (opportunity_name || ' (copy)' as opportunity_name)
         from existing where opportunity_id = '{rejected_deal}')
        union all
        (select * replace ('opp_new_incremental' as opportunity_id)
         from existing where opportunity_id = '{other_deals[0]}')
        """,
    )
    _append(
        raw,
        "activities",
        f"""
        (select * replace (activity_id || '_new' as activity_id,
            timestamp '{last_at}' + interval 1 day as activity_at)
         from existing order by activity_id limit 5)
        union all
        (select * replace (activity_type || '' as activity_type, 'other' as outcome)
         from existing order by activity_id desc limit 1)
        """,
    )
    return {"late": late_deal, "rejected": rejected_deal}


def _tables(database: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and (table_schema in ('core', 'marts') "
            "or table_name = 'int_opportunity_states') order by 1, 2"
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


@pytest.mark.slow
def test_incremental_build_equals_full_refresh(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(raw, opportunities=300, seed=11, fmt="parquet")
    incremental_db = tmp_path / "incremental.duckdb"
    full_db = tmp_path / "full.duckdb"

    build(incremental_db, raw_dir=raw, exclude=EXCLUDE, progress=False)
    deals = _append_changes(raw)
    build(incremental_db, raw_dir=raw, exclude=EXCLUDE, progress=False)
    build(full_db, raw_dir=raw, exclude=EXCLUDE, full_refresh=True, progress=False)

    tables = _tables(full_db)
    assert ("intermediate", "int_opportunity_states") in tables
    assert ("core", "fct_opportunity_changes") in tables
    assert _tables(incremental_db) == tables
    mismatched = {
        f"{schema}.{table}": diff
        for schema, table in tables
        if (diff := _differences(incremental_db, full_db, schema, table))[:2] != (0, 0)
    }
    assert mismatched == {}

    con = duckdb.connect(str(incremental_db), read_only=True)
    try:
        states = "intermediate.int_opportunity_states"
        # the appended changes reached the incremental database
        rejected_rows = con.execute(
            f"select count(*) from {states} where opportunity_id = ?", [deals["rejected"]]
        ).fetchone()[0]
        new_rows = con.execute(
            f"select count(*) from {states} where opportunity_id = 'opp_new_incremental'"
        ).fetchone()[0]
        late_sequence = con.execute(
            f"select history_sequence, previous_amount is not null from {states} "
            "where opportunity_id = ? order by changed_at limit 2",
            [deals["late"]],
        ).fetchall()
        tombstones = con.execute(f"select count(*) from {states} where changed_at is null")
        tombstone_count = tombstones.fetchone()[0]
    finally:
        con.close()
    assert rejected_rows == 0
    assert new_rows > 0
    assert [row[0] for row in late_sequence] == [1, 2]
    assert tombstone_count == 0
