"""The freshness line of `crm-metrics build`: how long ago the raw tables were last loaded.

`dbt source freshness` is the check (sources' YAML: `loaded_at_field` and the thresholds of vars
crm_freshness_warn_after_hours / crm_freshness_error_after_hours; macro collect_freshness). A
second dbt invocation after every build would cost seconds, so the build's line reads the same
declarations from the manifest its own `dbt build` just wrote and asks the working DuckDB file
directly: one `max()` of the marker column per raw table that has it (a column read of the raw
relations, a fraction of a second). Only the sources the build read are looked at: the contract's
(`crm`) or those of the var source_system's connector.

The marker is read as staging and `dbt source freshness` read it on DuckDB (macro
crm_load_instant, macros/staging/crm_raw_table.sql; this module cannot render a dbt macro, so
loaded_at_instant spells the same reading for DuckDB, and python/tests/test_source_freshness.py
checks that the two give the same instants). Ages are measured from the wall clock (UTC), as dbt's.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# a marker written as text or as epoch seconds, as the instant it names (UTC, naive); {c} is the
# quoted column
_FROM_EPOCH = "timezone('UTC', to_timestamp(cast({c} as double)))"
_FROM_TEXT = (
    "case when regexp_full_match(trim({c}), '[0-9]+([.][0-9]+)?') "
    "then timezone('UTC', to_timestamp(cast(trim({c}) as double))) "
    "when regexp_matches(trim({c}), '[T ][0-9:.]+(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') "
    "then timezone('UTC', try_cast(trim({c}) as timestamp with time zone)) "
    "else try_cast(nullif(trim({c}), '') as timestamp) end"
)
_PERIOD_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class TableFreshness:
    """One source table: its marker column, and the latest instant in it (None: no marker)."""

    name: str  # source.table
    column: str
    state: str  # "loaded", "no_marker" (no such column), "absent" (no such table), "empty"
    age_s: float | None = None
    status: str | None = None  # pass, warn, error (the sources' thresholds)


def loaded_at_instant(quoted_column: str, data_type: str) -> str:
    """SQL: the marker column as a UTC timestamp (text and epoch seconds converted)."""
    kind = data_type.upper()
    if kind in ("VARCHAR", "TEXT", "STRING") or kind.startswith("VARCHAR"):
        return _FROM_TEXT.format(c=quoted_column)
    if kind.startswith(("TIMESTAMP", "DATE")):
        return f"cast({quoted_column} as timestamp with time zone)"
    return _FROM_EPOCH.format(c=quoted_column)


def _sources_read(manifest: dict[str, Any], variables: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's source tables the build read: the contract's, or the connector's of var
    source_system (and its history-mode source when var salesforce_stage_history says so)."""
    system = variables.get("source_system") or "contract"
    names = {"crm"} if system == "contract" else {system}
    if (
        system == "fivetran_salesforce"
        and variables.get("salesforce_stage_history") == "history_mode"
    ):
        names.add("fivetran_salesforce_history")
    return sorted(
        (
            source
            for source in manifest.get("sources", {}).values()
            if source.get("source_name") in names and source.get("loaded_at_field")
        ),
        key=lambda source: (source["source_name"], source["name"]),
    )


def _threshold_s(rule: dict[str, Any] | None) -> float | None:
    if not rule or rule.get("count") is None or rule.get("period") not in _PERIOD_SECONDS:
        return None
    return float(rule["count"]) * _PERIOD_SECONDS[rule["period"]]


def _status(age_s: float, freshness: dict[str, Any] | None) -> str:
    error = _threshold_s((freshness or {}).get("error_after"))
    warn = _threshold_s((freshness or {}).get("warn_after"))
    if error is not None and age_s > error:
        return "error"
    if warn is not None and age_s > warn:
        return "warn"
    return "pass"


def measure(
    database: Path, manifest_path: Path, variables: dict[str, Any] | None = None
) -> list[TableFreshness]:
    """The freshness of every source table the build read, from the working DuckDB file.

    Raises OSError / ValueError / duckdb.Error when the manifest or the database cannot be read
    (`line` turns those into a sentence)."""
    import duckdb

    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    sources = _sources_read(manifest, variables or {})
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    found: list[TableFreshness] = []
    connection = duckdb.connect(str(database), read_only=True)
    try:
        connection.execute("set TimeZone = 'UTC'")
        for source in sources:
            name = f"{source['source_name']}.{source['name']}"
            column = str(source["loaded_at_field"]).strip().strip('"')
            types = dict(
                connection.execute(
                    "select lower(column_name), data_type from information_schema.columns"
                    " where lower(table_schema) = lower(?) and lower(table_name) = lower(?)",
                    [source["schema"], source["identifier"]],
                ).fetchall()
            )
            if not types:
                found.append(TableFreshness(name, column, "absent"))
                continue
            if column.lower() not in types:
                found.append(TableFreshness(name, column, "no_marker"))
                continue
            quoted = '"' + column.replace('"', '""') + '"'
            relation = ".".join(
                '"' + part.replace('"', '""') + '"'
                for part in (source["schema"], source["identifier"])
            )
            instant = loaded_at_instant(quoted, types[column.lower()])
            # a load writes one marker value: the distinct values are few, so a text marker is
            # parsed once per load, not once per row
            (latest,) = connection.execute(
                f"select timezone('UTC', cast(max({instant}) as timestamp with time zone))"
                f" from (select distinct {quoted} from {relation})"
            ).fetchone()
            if latest is None:
                found.append(TableFreshness(name, column, "empty"))
                continue
            age = (now - latest).total_seconds()
            found.append(
                TableFreshness(name, column, "loaded", age, _status(age, source.get("freshness")))
            )
    finally:
        connection.close()
    return found


def age_text(seconds: float) -> str:
    """An age for people: minutes under an hour, hours under two days, then days."""
    if seconds < 3600:
        return f"{max(seconds, 0) / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _table_line(table: TableFreshness) -> str:
    if table.state == "loaded":
        return f"{table.name}: last loaded {age_text(table.age_s or 0.0)} ago ({table.status})"
    if table.state == "empty":
        return f"{table.name}: no {table.column} value (no row, or no marker on any row)"
    if table.state == "absent":
        return f"{table.name}: no such table"
    return f"{table.name}: no column {table.column} (no load marker)"


def report(tables: list[TableFreshness] | str, *, verbose: bool = False) -> str:
    """One line (the stalest table with a marker and its age, or that none has one); with
    `verbose`, one more line per table. A str (collect's reason) is returned as it is."""
    if isinstance(tables, str):
        return tables
    loaded = [table for table in tables if table.state == "loaded"]
    columns = sorted({table.column for table in tables}) or ["_loaded_at"]
    if not loaded:
        line = (
            f"freshness: no raw table carries a load marker ({', '.join(columns)}); "
            "nothing to measure"
        )
    else:
        stalest = max(loaded, key=lambda table: table.age_s or 0.0)
        line = (
            f"freshness: stalest {stalest.name}, last loaded {age_text(stalest.age_s or 0.0)} "
            f"ago ({stalest.status}); {len(loaded)} of {len(tables)} tables carry a load marker "
            "(`dbt source freshness` checks them"
            + ("" if verbose else "; --verbose lists every table")
            + ")"
        )
    if verbose:
        line += "".join(f"\n  {_table_line(table)}" for table in tables)
    return line


def collect(
    database: Path, manifest_path: Path, variables: dict[str, Any] | None = None
) -> list[TableFreshness] | str:
    """`measure`, or one sentence saying why freshness could not be read (never raises)."""
    import duckdb

    try:
        return measure(database, manifest_path, variables)
    except (OSError, ValueError, KeyError, TypeError, duckdb.Error) as exc:
        reason = " ".join(str(exc).split())[:160]
        return f"freshness: not measured ({type(exc).__name__}: {reason})"
