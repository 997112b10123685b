"""Changes to a generated Parquet raw folder between two builds: what an hourly sync brings.

One place for the changes that `crm-metrics bench` times an incremental build after and that
`python/tests/test_incremental.py` checks an incremental build against a --full-refresh one
with. Two steps, both rewriting the Parquet files of `raw` in place:

`plant_defect(raw)` (before the first build): one deal gets a stage name that is not in
`stages` (`<stage> (typo)`), so it is rejected (unknown_stage) and its history and activities
with it (parent_rejected).

`apply_changes(raw, fraction)` (between the builds), with `n` about `fraction` of the deals
(at least one) for the sampled cases:
- history: a late-arriving row between a deal's first and second rows (it changes the later
  rows' valid_to, previous_* and flags); a new row one day after the data's last instant for
  about 6n deals (the as-of date moves, the window grows); a row with an unknown stage (that
  row becomes rejected);
- opportunities: n new deals (each with its history copied from an existing deal, the first
  on a new account); n changed deals (amount +10%, close date +14 days, in place); a deal that
  becomes rejected (a second row with its id and other content: duplicate key, the deal and
  its history disappear); the planted defect corrected (the deal comes back); a deleted deal
  (its opportunities and history rows removed; its activities and line items become orphans);
- accounts: a new account; about n / 3 changed accounts (employee count and name, in place);
- activities: about `fraction` of them copied one day later with new ids; one changed in
  place (duration); one that becomes rejected (a second row with its id and other content).
Deals picked for one case are never picked for another. Deterministic: the same folder gives
the same changes (rows are picked in md5 order of their keys, never at random).

Loads: when `raw` holds the tables as folders of parts (`generate(..., loads=True)`), nothing
is rewritten. Each step reads the tables' current records (per key, the rows of the latest
`_loaded_at`, without those whose `_deleted` is true), applies the same changes, and writes
ONE new part per changed table, `<table>/<load time>.parquet`, one hour after the latest part
of the folder, holding only the changed keys as new versions: for every key with a row added,
changed or removed, all its rows after the change (so a key given a second, different row
stays a duplicate in that load), or, when none is left, its last rows with `_deleted` true.
The returned dict then also says `load`: the part's name, its `_loaded_at` and its rows per
table (`deleted_versions`: how many of them are `_deleted`).

Run as `python -m crm_metrics.generate.changes RAW [FRACTION]` it applies the changes and
prints what it did as JSON (the bench does so in a child process).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import duckdb

from crm_metrics.contract import load_contract
from crm_metrics.generate.writer import DELETED, LOADED_AT, PART_NAME_FORMAT, part_name

TYPO = " (typo)"
NEW_DEAL_PREFIX = "opp_new_incremental_"
NEW_ACCOUNT_ID = "acc_new_incremental"
TABLES = ("accounts", "opportunities", "opportunity_history", "activities")


def _lit(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _load(raw: Path, tables: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for table in tables:
        con.execute(
            f"create table {table} as select * from read_parquet({_lit(raw / f'{table}.parquet')})"
        )
    return con


def _write(con: duckdb.DuckDBPyConnection, raw: Path, tables: tuple[str, ...]) -> None:
    for table in tables:
        path = raw / f"{table}.parquet"
        tmp = raw / f"{table}.tmp.parquet"
        con.execute(f"copy {table} to {_lit(tmp)} (format parquet)")
        tmp.replace(path)


def is_loads(raw: Path) -> bool:
    """True when `raw` holds its tables as folders of parts (generate(..., loads=True))."""
    return (raw / "opportunities").is_dir()


def _key_match(table: str, left: str, right: str) -> str:
    """Join condition of two relations on `table`'s contract key (nulls match nulls)."""
    return " and ".join(
        f"{left}.{column} is not distinct from {right}.{column}"
        for column in load_contract()[table].key
    )


def _load_current(raw: Path, tables: tuple[str, ...]) -> duckdb.DuckDBPyConnection:
    """Each table's current records from its parts (the rows of each key's latest load that
    are not deleted), without the load markers, plus a copy `<table>__before`."""
    con = duckdb.connect()
    for table in tables:
        parts = _lit(raw / table / "*.parquet")
        read = f"read_parquet({parts}, union_by_name = true)"
        columns = [row[0] for row in con.execute(f"describe select * from {read}").fetchall()]
        key = ", ".join(load_contract()[table].key)
        deleted = f"coalesce({DELETED}, false)" if DELETED in columns else "false"
        markers = ", ".join(column for column in (LOADED_AT, DELETED) if column in columns)
        con.execute(
            f"""
            create table {table} as
            select * exclude ({markers}, crm_latest)
            from (
                select *, max({LOADED_AT}) over (partition by {key}) as crm_latest from {read}
            )
            where {LOADED_AT} is not distinct from crm_latest and not {deleted}
            """
        )
        con.execute(f"create table {table}__before as select * from {table}")
    return con


def _next_load_at(raw: Path) -> dt.datetime:
    """One hour after the latest part of every table folder of `raw` (by the part names)."""
    times = [
        dt.datetime.strptime(path.name.split(".")[0], PART_NAME_FORMAT)
        for path in raw.glob("*/*.parquet")
    ]
    if not times:
        raise ValueError(f"no part named like {PART_NAME_FORMAT}.parquet in the folders of {raw}")
    return max(times) + dt.timedelta(hours=1)


def _write_load(
    con: duckdb.DuckDBPyConnection, raw: Path, tables: tuple[str, ...]
) -> dict[str, object]:
    """The new part of every table whose records changed (see the module docstring)."""
    loaded_at = _next_load_at(raw)
    name = part_name(loaded_at)
    rows: dict[str, int] = {}
    deleted: dict[str, int] = {}
    for table in tables:
        key = load_contract()[table].key
        keys = ", ".join(key)
        con.execute(
            f"""
            create or replace temp table touched as
            select distinct {keys} from (
                (select * from {table} except all select * from {table}__before)
                union all
                (select * from {table}__before except all select * from {table})
            )
            """
        )
        con.execute(
            f"""
            create or replace temp table load_rows as
            select {table}.*, false as {DELETED}
            from {table} semi join touched on {_key_match(table, table, "touched")}
            union all
            select before.*, true as {DELETED}
            from {table}__before as before
            semi join touched on {_key_match(table, "before", "touched")}
            anti join {table} on {_key_match(table, "before", table)}
            """
        )
        count = con.execute("select count(*) from load_rows").fetchone()[0]
        if count == 0:
            continue
        path = raw / table / f"{name}.parquet"
        tmp = raw / table / f"{name}.tmp"
        con.execute(
            f"copy (select * exclude ({DELETED}), ?::timestamp as {LOADED_AT}, {DELETED} "
            f"from load_rows) to {_lit(tmp)} (format parquet)",
            [loaded_at],
        )
        tmp.replace(path)
        rows[table] = count
        deleted[table] = con.execute(f"select count(*) from load_rows where {DELETED}").fetchone()[
            0
        ]
    return {"part": name, "loaded_at": str(loaded_at), "rows": rows, "deleted_versions": deleted}


def plant_defect(raw: Path) -> str:
    """Give one deal (with history) an unknown stage name; return its id. On loads, as a new
    part holding the deal's new version."""
    loads = is_loads(raw)
    tables = ("opportunities", "opportunity_history")
    con = _load_current(raw, tables) if loads else _load(raw, tables)
    try:
        (deal,) = con.execute(
            "select opportunity_id from opportunities "
            "where opportunity_id in (select opportunity_id from opportunity_history) "
            "order by md5(opportunity_id) limit 1"
        ).fetchone()
        con.execute(
            "update opportunities set stage_name = stage_name || ? where opportunity_id = ?",
            [TYPO, deal],
        )
        if loads:
            _write_load(con, raw, ("opportunities",))
        else:
            _write(con, raw, ("opportunities",))
        return deal
    finally:
        con.close()


def _pick_deals(con: duckdb.DuckDBPyConnection, sampled: int) -> dict[str, object]:
    """Disjoint deals for every case: late, duplicate, deleted, unknown-stage row, history
    templates of the new deals, changed deals, and deals with a new row after the last date."""
    late = con.execute(
        """
        with ordered as (
            select opportunity_id, changed_at,
                lead(changed_at) over (partition by opportunity_id order by changed_at)
                    as next_at,
                row_number() over (partition by opportunity_id order by changed_at) as rn
            from opportunity_history
        )
        select opportunity_id, changed_at from ordered
        where rn = 1 and next_at > changed_at + interval 2 hour
            and opportunity_id in (select opportunity_id from opportunities
                where not ends_with(stage_name, ?))
        order by md5(opportunity_id) limit 1
        """,
        [TYPO],
    ).fetchone()
    # the other deals with history, accepted so far (no planted defect), in md5 order
    others = [
        row[0]
        for row in con.execute(
            "select opportunity_id from opportunities "
            "where opportunity_id in (select opportunity_id from opportunity_history) "
            "and not ends_with(stage_name, ?) and opportunity_id <> ? "
            "order by md5(opportunity_id || '#changes')",
            [TYPO, late[0]],
        ).fetchall()
    ]
    needed = 3 + 3 * sampled
    if len(others) < needed + 1:
        raise ValueError(f"apply_changes: {len(others)} deals with history, need {needed + 1}")
    duplicate, deleted, unknown_stage = others[:3]
    templates = others[3 : 3 + sampled]
    changed = others[3 + sampled : 3 + 2 * sampled]
    rest = others[3 + 2 * sampled :]
    extended = rest[: max(1, min(len(rest), 6 * sampled))]
    return {
        "late": late[0],
        "late_first_at": late[1],
        "duplicate": duplicate,
        "deleted": deleted,
        "unknown_stage": unknown_stage,
        "templates": templates,
        "changed": changed,
        "extended": extended,
    }


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {table: con.execute(f"select count(*) from {table}").fetchone()[0] for table in TABLES}


def apply_changes(raw: Path, fraction: float = 0.01) -> dict[str, object]:
    """Apply the changes of the module docstring to `raw`; return the ids and row counts."""
    loads = is_loads(raw)
    con = _load_current(raw, TABLES) if loads else _load(raw, TABLES)
    try:
        before = _counts(con)
        deals = con.execute("select count(*) from opportunities").fetchone()[0]
        sampled = max(1, round(deals * fraction))
        picked = _pick_deals(con, sampled)
        con.execute("create table ids (case_name varchar, opportunity_id varchar)")
        for case_name in ("templates", "changed", "extended"):
            con.executemany(
                "insert into ids values (?, ?)", [[case_name, deal] for deal in picked[case_name]]
            )
        last_at = con.execute("select max(changed_at) from opportunity_history").fetchone()[0]
        new_deals = [f"{NEW_DEAL_PREFIX}{index:04d}" for index in range(sampled)]
        con.executemany("insert into ids values ('new', ?)", [[deal] for deal in new_deals])
        # new deals: the opportunities row and history of a template deal under a new id
        con.execute(
            """
            create table new_deal_map as
            select templates.opportunity_id as template_id, news.opportunity_id as new_id
            from (select opportunity_id, row_number() over (order by opportunity_id) as rn
                  from ids where case_name = 'templates') as templates
            inner join (select opportunity_id, row_number() over (order by opportunity_id) as rn
                  from ids where case_name = 'new') as news
                on templates.rn = news.rn
            """
        )
        # a new account (copied from the first template's), carrying the first new deal
        con.execute(
            """
            insert into accounts
            select * replace (? as account_id, account_name || ' (new)' as account_name)
            from accounts
            where account_id = (select account_id from opportunities where opportunity_id = ?)
            """,
            [NEW_ACCOUNT_ID, picked["templates"][0]],
        )
        con.execute(
            """
            insert into opportunities
            select opportunities.* replace (
                new_deal_map.new_id as opportunity_id,
                case when new_deal_map.new_id = ? then ? else opportunities.account_id end
                    as account_id
            )
            from opportunities
            inner join new_deal_map on opportunities.opportunity_id = new_deal_map.template_id
            """,
            [new_deals[0], NEW_ACCOUNT_ID],
        )
        con.execute(
            """
            insert into opportunity_history
            select history.* replace (new_deal_map.new_id as opportunity_id)
            from opportunity_history as history
            inner join new_deal_map on history.opportunity_id = new_deal_map.template_id
            """
        )
        # changed deals, in place
        con.execute(
            """
            update opportunities
            set amount = round(amount * 1.1, 2), close_date = close_date + 14
            where opportunity_id in (select opportunity_id from ids where case_name = 'changed')
            """
        )
        # a deal that becomes rejected: a second row with its id (duplicate key)
        con.execute(
            """
            insert into opportunities
            select * replace (opportunity_name || ' (copy)' as opportunity_name)
            from opportunities where opportunity_id = ?
            """,
            [picked["duplicate"]],
        )
        # the planted defect corrected
        corrected = [
            row[0]
            for row in con.execute(
                "select opportunity_id from opportunities where ends_with(stage_name, ?)", [TYPO]
            ).fetchall()
        ]
        con.execute(
            "update opportunities set stage_name = left(stage_name, length(stage_name) - ?) "
            "where ends_with(stage_name, ?)",
            [len(TYPO), TYPO],
        )
        # a deleted deal
        for table in ("opportunities", "opportunity_history"):
            con.execute(f"delete from {table} where opportunity_id = ?", [picked["deleted"]])
        # history: a late row, a row that becomes rejected, new rows after the last instant
        con.execute(
            """
            insert into opportunity_history
            select * replace (changed_at + interval 1 hour as changed_at,
                amount * 1.5 as amount, close_date + 7 as close_date)
            from opportunity_history where opportunity_id = ? and changed_at = ?
            """,
            [picked["late"], picked["late_first_at"]],
        )
        con.execute(
            """
            insert into opportunity_history
            select * replace (changed_at + interval 1 minute as changed_at,
                'Stage not in the stages table' as stage_name)
            from opportunity_history where opportunity_id = ?
            order by changed_at limit 1
            """,
            [picked["unknown_stage"]],
        )
        con.execute(
            """
            insert into opportunity_history
            with latest as (
                select *, row_number() over (
                    partition by opportunity_id order by changed_at desc
                ) as rn
                from opportunity_history
                where opportunity_id in (
                    select opportunity_id from ids where case_name = 'extended'
                )
            )
            select * exclude (rn) replace (
                ?::timestamp + interval 1 day as changed_at,
                round(amount * 1.05, 2) as amount,
                close_date + 30 as close_date
            )
            from latest where rn = 1
            """,
            [last_at],
        )
        # accounts changed in place
        con.execute(
            """
            update accounts
            set employee_count = employee_count * 2 + 10, account_name = account_name || ' Inc'
            where account_id in (
                select account_id from accounts where account_id <> ?
                order by md5(account_id) limit ?
            )
            """,
            [NEW_ACCOUNT_ID, max(1, sampled // 3)],
        )
        # activities: new ones, one changed in place, one that becomes rejected (duplicate id)
        activities = con.execute("select count(*) from activities").fetchone()[0]
        (changed_activity, duplicate_activity) = (
            row[0]
            for row in con.execute(
                "select activity_id from activities order by md5(activity_id) limit 2"
            ).fetchall()
        )
        con.execute(
            """
            insert into activities
            select * replace (activity_id || '_new' as activity_id,
                activity_at + interval 1 day as activity_at)
            from activities
            where activity_id not in (?, ?)
            order by md5(activity_id || '#new') limit ?
            """,
            [changed_activity, duplicate_activity, max(5, round(activities * fraction))],
        )
        con.execute(
            "update activities set duration_minutes = coalesce(duration_minutes, 0) + 15 "
            "where activity_id = ?",
            [changed_activity],
        )
        con.execute(
            "insert into activities select * replace ('other' as outcome) "
            "from activities where activity_id = ?",
            [duplicate_activity],
        )
        after = _counts(con)
        load = _write_load(con, raw, TABLES) if loads else None
        if not loads:
            _write(con, raw, TABLES)
    finally:
        con.close()
    return {
        **({"load": load} if loads else {}),
        "late": picked["late"],
        "duplicate": picked["duplicate"],
        "deleted": picked["deleted"],
        "unknown_stage": picked["unknown_stage"],
        "corrected": corrected,
        "new_deals": new_deals,
        "new_account": NEW_ACCOUNT_ID,
        "changed_deals": len(picked["changed"]),
        "extended_deals": len(picked["extended"]),
        "changed_activity": changed_activity,
        "duplicate_activity": duplicate_activity,
        "as_of_moved_to": str(last_at.date() + dt.timedelta(days=1)),
        "rows_added": {table: after[table] - before[table] for table in TABLES},
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    fraction = float(args[1]) if len(args) > 1 else 0.01
    print(json.dumps(apply_changes(Path(args[0]), fraction), default=str))


if __name__ == "__main__":
    main()
