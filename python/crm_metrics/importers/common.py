"""What every importer shares: reading export files into DuckDB, checking their columns, writing
the raw contract's `<table>.csv` files, and the import notes.

An importer is SQL run by DuckDB: the export files are read with DuckDB's readers (every CSV
column as text, so nothing is lost to type sniffing), the mapping is a `select` per contract
table, and DuckDB writes the CSV. Python only assembles the statements and checks columns.
Parsing stays with the project's staging: a value the importer cannot normalise is passed
through as text, so staging rejects the row with a reason instead of the importer guessing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from crm_metrics.contract import load_contract
from crm_metrics.errors import CrmMetricsError

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"


def sql_string(value: object) -> str:
    """A SQL string literal: single quotes doubled, so no path or value can break the SQL."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted identifier (export column names may hold spaces, dots or quotes)."""
    return '"' + name.replace('"', '""') + '"'


def timestamp_text(expr: str) -> str:
    """SQL: an ISO-8601 timestamp (any offset, `T` or space, epoch milliseconds) as UTC text
    `YYYY-MM-DD HH:MM:SS`; a value that does not parse is passed through for staging to reject."""
    parsed = (
        f"case when regexp_full_match(trim({expr}), '[0-9]{{11,}}') "
        f"then make_timestamp(cast(trim({expr}) as bigint) * 1000) "
        f"else cast(timezone('UTC', try_cast(trim({expr}) as timestamptz)) as timestamp) end"
    )
    return f"coalesce(strftime({parsed}, '{TIMESTAMP_FORMAT}'), nullif(trim({expr}), ''))"


def date_text(expr: str) -> str:
    """SQL: the date part of a date or timestamp value as `YYYY-MM-DD` (else passed through)."""
    parsed = (
        f"coalesce(try_cast(trim({expr}) as date), "
        f"cast(timezone('UTC', try_cast(trim({expr}) as timestamptz)) as date))"
    )
    return f"coalesce(strftime({parsed}, '%Y-%m-%d'), nullif(trim({expr}), ''))"


def bool_text(expr: str) -> str:
    """SQL: a true/false flag as `true` / `false` (else null)."""
    return (
        f"case when lower(trim({expr})) in ('true', '1', 'yes', 't') then 'true' "
        f"when lower(trim({expr})) in ('false', '0', 'no', 'f') then 'false' end"
    )


@dataclass
class ImportResult:
    """Rows written per table, plus the notes (inferences and unmapped rows) of one import."""

    system: str
    out_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    unmapped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = sum(self.rows.values())
        text = f"wrote {len(self.rows)} tables, {total} rows to {self.out_dir}"
        problems = sum(self.unmapped.values())
        if problems:
            text += f"; {problems} rows could not be mapped (see import_notes.md)"
        return text


class Importer:
    """One DuckDB connection holding the export's files as tables `src_<name>`."""

    def __init__(self, system: str, out_dir: Path) -> None:
        self.connection = duckdb.connect()
        self.connection.execute("set TimeZone = 'UTC'")
        self.result = ImportResult(system=system, out_dir=out_dir)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Importer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -------------------------------------------------------------------------

    def read(
        self,
        name: str,
        path: Path,
        required: Sequence[str],
        optional: Sequence[str] = (),
        reader: str | None = None,
    ) -> None:
        """Load `path` as table `src_<name>` with the `required` and `optional` columns (as
        text; a missing optional column is null). A missing file or required column is an error
        naming the file and the column."""
        if not path.is_file():
            raise CrmMetricsError(f"{self.result.system} import: file not found: {path}")
        reader = reader or (
            f"read_json_auto({sql_string(path)})"
            if path.suffix.lower() == ".json"
            else f"read_csv({sql_string(path)}, header = true, all_varchar = true)"
        )
        try:
            self.connection.execute(
                f"create or replace temp view src_{name}_file as select * from {reader}"
            )
            present = {
                row[0] for row in self.connection.execute(f"describe src_{name}_file").fetchall()
            }
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0]
            raise CrmMetricsError(f"cannot read {path}: {first}") from None
        missing = [column for column in required if column not in present]
        if missing:
            raise CrmMetricsError(
                f"{path}: missing column {', '.join(repr(c) for c in missing)} "
                f"(a {self.result.system} {name} export needs {', '.join(required)})"
            )
        columns = [
            f"cast({sql_identifier(column)} as varchar) as {sql_identifier(column)}"
            if column in present
            else f"cast(null as varchar) as {sql_identifier(column)}"
            for column in [*required, *optional]
        ]
        self.connection.execute(
            f"create or replace temp table src_{name} as "
            f"select {', '.join(columns)} from src_{name}_file"
        )

    def empty(self, name: str, columns: Iterable[str]) -> None:
        """An empty `src_<name>` for an optional export file that is absent."""
        listed = ", ".join(f"cast(null as varchar) as {sql_identifier(c)}" for c in columns)
        self.connection.execute(
            f"create or replace temp table src_{name} as select {listed} where false"
        )

    def read_optional(
        self, name: str, path: Path | None, required: Sequence[str], optional: Sequence[str] = ()
    ) -> bool:
        if path is not None and path.is_file():
            self.read(name, path, required, optional)
            return True
        self.empty(name, [*required, *optional])
        return False

    def scalar(self, sql: str) -> object:
        row = self.connection.execute(sql).fetchone()
        return row[0] if row else None

    def count(self, sql: str) -> int:
        return int(self.scalar(f"select count(*) from ({sql})") or 0)

    # --- notes ---------------------------------------------------------------------------

    def note(self, text: str) -> None:
        self.result.notes.append(text)

    def unmapped(self, what: str, sql: str) -> None:
        """Count the rows of `sql` as `what` (rows the mapping cannot carry into the contract)."""
        rows = self.count(sql)
        if rows:
            self.result.unmapped[what] = self.result.unmapped.get(what, 0) + rows

    # --- writing -------------------------------------------------------------------------

    def write(self, tables: dict[str, str]) -> ImportResult:
        """Write one `<table>.csv` per entry (a select producing the contract's columns), in
        contract column order, then import_notes.md / import_notes.json."""
        contract = load_contract()
        out = self.result.out_dir
        out.mkdir(parents=True, exist_ok=True)
        for table, query in tables.items():
            columns = ", ".join(sql_identifier(c) for c in contract[table].column_names)
            self.connection.execute(f"create or replace temp table out_{table} as {query}")
            self.connection.execute(
                f"copy (select {columns} from out_{table}) to "
                f"{sql_string(out / f'{table}.csv')} (header true, delimiter ',')"
            )
            self.result.rows[table] = int(self.scalar(f"select count(*) from out_{table}") or 0)
        self._write_notes()
        return self.result

    def _write_notes(self) -> None:
        result = self.result
        out = result.out_dir
        payload = {
            "system": result.system,
            "rows": result.rows,
            "unmapped": result.unmapped,
            "notes": result.notes,
        }
        (out / "import_notes.json").write_text(json.dumps(payload, indent=2) + "\n")
        lines = [f"# Import notes ({result.system})", "", "## Rows written", ""]
        lines += [f"- {table}: {rows}" for table, rows in result.rows.items()]
        lines += ["", "## Rows that could not be mapped", ""]
        lines += [f"- {what}: {rows}" for what, rows in result.unmapped.items()] or ["- none"]
        lines += ["", "## Rules and inferences", ""]
        lines += [f"- {text}" for text in result.notes] or ["- none"]
        (out / "import_notes.md").write_text("\n".join(lines) + "\n")
