"""Order-free digests of the public and data-quality tables of a built DuckDB database: the one
rule for "the same tables", used by the bench (an incremental build against a `--full-refresh`
build of the same data) and by the tests (python/tests/table_digest.py, against stored digests).

A digest covers the table's column names and DuckDB types in order, its row count, and a
SHA-256 over its rows written as text and sorted (so row order does not matter). Doubles are
written with 12 significant digits, so a different summation order (last-bit noise) does not
count as a change; decimals, dates, timestamps and text are written exactly.

A stored digest covers the columns it lists: a built table is digested over those columns
(`digests(database, stored)`), so columns added at the end of a table leave its digest as it
was, while a stored column changed, removed or moved changes it.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

# the schemas readers get (core, marts) and the data-quality tables (rejects, findings, summary)
SCHEMAS = ("core", "marts", "data_quality")
_BATCH_ROWS = 100_000


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def digests(
    database: Path, stored: dict[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """{schema.table: {columns, rows, sha256}} for every table of SCHEMAS. With `stored` (the
    stored digests of a dataset), a table whose columns begin with its stored columns (same
    names and types, same order) is digested over those columns only."""
    import duckdb

    connection = duckdb.connect(str(database), read_only=True)
    try:
        tables = connection.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_schema in ({', '.join('?' for _ in SCHEMAS)})"
            " order by table_schema, table_name",
            list(SCHEMAS),
        ).fetchall()
        result: dict[str, dict[str, Any]] = {}
        for schema, table in tables:
            columns = connection.execute(
                "select column_name, data_type from information_schema.columns"
                " where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table],
            ).fetchall()
            columns = _covered(columns, (stored or {}).get(f"{schema}.{table}"))
            selected = ", ".join('"' + name.replace('"', '""') + '"' for name, _ in columns)
            cursor = connection.execute(f'select {selected} from "{schema}"."{table}"')
            lines: list[str] = []
            while batch := cursor.fetchmany(_BATCH_ROWS):  # rows as text only, batch by batch
                lines.extend("\t".join(_text(value) for value in row) for row in batch)
            lines.sort()
            hasher = hashlib.sha256()
            for line in lines:
                hasher.update(line.encode("utf-8"))
                hasher.update(b"\n")
            result[f"{schema}.{table}"] = {
                "columns": [f"{name} {data_type}" for name, data_type in columns],
                "rows": len(lines),
                "sha256": hasher.hexdigest(),
            }
        return result
    finally:
        connection.close()


def _covered(
    columns: list[tuple[str, str]], stored: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """The built columns a digest covers: the stored ones when the table begins with them."""
    if stored is None:
        return columns
    listed = [f"{name} {data_type}" for name, data_type in columns]
    if listed[: len(stored["columns"])] != stored["columns"]:
        return columns  # a stored column changed, went or moved: the digest differs
    return columns[: len(stored["columns"])]


def differences(
    left: dict[str, dict[str, Any]], right: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The tables whose digests differ between two databases' `digests`, or that only one
    holds: [{table, left, right}] with each side's columns count, rows and sha256 (None when
    the table is missing there)."""

    def side(digest: dict[str, Any] | None) -> dict[str, Any] | None:
        if digest is None:
            return None
        return {
            "columns": len(digest["columns"]),
            "rows": digest["rows"],
            "sha256": digest["sha256"],
        }

    return [
        {"table": name, "left": side(left.get(name)), "right": side(right.get(name))}
        for name in sorted(set(left) | set(right))
        if left.get(name) != right.get(name)
    ]
