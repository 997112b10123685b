"""Shared by the engine tests (test_engines_postgres.py, test_engines_spark.py): the same project
on PostgreSQL and Apache Spark agrees with DuckDB on every table of `core` and `marts`.

One small generated raw set (Parquet) is built on DuckDB (every model) once per pytest run,
shared by the pytest-xdist workers (conftest's `engine_dataset`), then:
- PostgreSQL (test_engines_postgres.py): the raw tables are copied into schema `raw_input` of a
  fresh database on the server named by CRM_METRICS_PG_* (`.ci/run` starts one on loopback), as
  the text DuckDB reads from the files, and the full project (every model, data test and unit
  test) is built there with var `raw_schema` (dbt seeds on PostgreSQL are slow: ~1 minute per
  3,000 rows).
- Spark (test_engines_spark.py): `crm-metrics build --target spark --raw-dir` (dbt-spark's
  `session` method: Spark in local mode, in a child process) builds the whole project from the
  Parquet files, every data and unit test included, once for the module. Spark writes its
  tables as Parquet under a temporary warehouse folder, which DuckDB reads back. Then the raw
  rows that test_incremental appends are appended to a copy of the folder, the incremental
  model and fct_activities with their ancestors and children are built incrementally on Spark,
  and their tables must equal a DuckDB full build of the changed folder.
The two engines are two test files so that pytest-xdist (`--dist loadfile`) runs them on
different workers.

The raw amounts are moved onto values whose conversions, weightings, averages and medians land
on half cents (plant_half_cents), where engines that round differently would disagree. Rows are
matched on their non-numeric columns (the grain); money (decimal) and text must be equal, doubles
(ratios) within 1e-12 (relative above 1). Without the engine (no server settings, no adapter, no
Java) the tests skip, except with CI=true, where they fail.
Set CRM_METRICS_ENGINE_HALF_CENTS=0 to compare the generated amounts as they are.
"""

from __future__ import annotations

import datetime as dt
import decimal
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest

from crm_metrics.generate import generate
from crm_metrics.generate.changes import plant_defect
from crm_metrics.runner import PROJECT_DIR, build

COMPARED_SCHEMAS = ("core", "marts")
BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() == "true"
GENERATED_DEALS = 150
GENERATED_SEED = 7
MODELS_ONLY = ["resource_type:test", "resource_type:unit_test"]
# The incremental model, fct_activities (a table the appended activities change), their
# children and every ancestor of those (`@`): a child also reads tables the appended rows change
# elsewhere (int_months follows the as-of date), so an incremental run must rebuild them too
# (122 of the 124 models when written). Views are left
# out: a Spark view is stored SQL over the raw tables, which the run's on-run-start points at the
# changed folder, so the full build's views already serve the changed rows (82 models remain).
INCREMENTAL_SELECT = ["@int_opportunity_states", "@fct_activities"]
# Doubles (ratios, days, hours) may differ by this much relative (absolute below 1).
RATIO_TOLERANCE = 1e-12
HALF_CENTS = os.environ.get("CRM_METRICS_ENGINE_HALF_CENTS", "1") != "0"
# Columns whose values are engine-specific by design: deal_fingerprint holds each engine's hash.
ENGINE_SPECIFIC_COLUMNS = {"deal_fingerprint"}

Table = tuple[list[str], list[str], list[tuple]]  # column names, DuckDB type names, rows


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: CI must run every engine."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def module_missing(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return True
    return False


def run_child(command: list[str], env: dict[str, str], what: str) -> str:
    """A child process (its own engine session); fails with the lines that report errors."""
    started = time.monotonic()
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        failures = [line for line in output.splitlines() if "ERROR" in line or "FAIL" in line]
        pytest.fail(f"{what} failed ({elapsed:.0f} s):\n" + "\n".join(failures[-40:] or [output]))
    print(f"{what}: {elapsed:.0f} s, load average {os.getloadavg()[0]:.1f}")
    return output


def run_dbt(args: list[str], env: dict[str, str], work: Path) -> str:
    """`dbt <args>` in a child process, with its target/ and logs/ under `work`."""
    command = [
        str(BIN / "dbt"),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
    ]
    return run_child(command, env, f"dbt {' '.join(args[:3])}")


def assert_dbt_passed(output: str, expected_warnings: tuple[str, ...] = ()) -> None:
    """dbt's last summary line: everything selected ran and passed; a warning only from the
    tests named in expected_warnings (each of which must then warn)."""
    lines = output.splitlines()
    summary = next(line for line in reversed(lines) if "TOTAL=" in line)
    assert "ERROR=0" in summary and "SKIP=0" in summary, summary
    assert f"WARN={len(expected_warnings)}" in summary, summary
    for name in expected_warnings:
        warned = re.compile(rf"\bWARN \d+ {re.escape(name)}\b")
        assert any(warned.search(line) for line in lines), (name, summary)


# --- comparison ------------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def duckdb_tables(database: Path, schemas: tuple[str, ...] = COMPARED_SCHEMAS) -> list[str]:
    """`schema.table` of every table and view of `schemas` in a DuckDB file."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        rows = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2",
            list(schemas),
        ).fetchall()
    finally:
        connection.close()
    return [f"{schema}.{name}" for schema, name in rows]


def duckdb_table(database: Path, table: str) -> Table:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        relation = connection.sql(f"select * from {table}")
        return relation.columns, [str(t) for t in relation.types], relation.fetchall()
    finally:
        connection.close()


def assert_same_table(
    table: str, expected: Table, actual_columns: list[str], actual_rows: list[tuple], engine: str
) -> None:
    columns, types, rows = expected
    assert [c.lower() for c in actual_columns] == [c.lower() for c in columns], table
    kept = [i for i, name in enumerate(columns) if name.lower() not in ENGINE_SPECIFIC_COLUMNS]
    columns, types = [columns[i] for i in kept], [types[i] for i in kept]
    rows = [tuple(row[i] for i in kept) for row in rows]
    actual_rows = [tuple(row[i] for i in kept) for row in actual_rows]
    numeric = [t.upper().startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")) for t in types]
    money = [t.upper().startswith("DECIMAL") for t in types]

    def key(row: tuple) -> tuple:
        """The non-numeric values, then the numbers rounded (rows equal on the grain)."""
        values = [_normal(v) for v, is_number in zip(row, numeric, strict=True) if not is_number]
        numbers = [v for v, is_number in zip(row, numeric, strict=True) if is_number]
        return tuple((v is None, "" if v is None else str(v)) for v in values) + tuple(
            (v is None, 0.0 if v is None else round(float(v), 2)) for v in numbers
        )

    expected_rows = sorted(rows, key=key)
    actual_sorted = sorted(actual_rows, key=key)
    assert len(actual_sorted) == len(expected_rows), (
        f"{table}: {engine} has {len(actual_sorted)} rows, DuckDB {len(expected_rows)}"
    )
    assert expected_rows, f"{table}: no rows to compare"
    for want_row, got_row in zip(expected_rows, actual_sorted, strict=True):
        # Money is rounded once, in decimal, by the same rule on every engine: equal to the
        # cent. Doubles (ratios) may differ in their last bits (summation order).
        for name, want, got, is_number, is_money in zip(
            columns, want_row, got_row, numeric, money, strict=True
        ):
            where = f"{table}.{name} at {key(want_row)}: DuckDB {want!r}, {engine} {got!r}"
            if is_money and want is not None and got is not None:
                assert decimal.Decimal(got) == decimal.Decimal(want), where
            elif is_number and want is not None and got is not None:
                tolerance = RATIO_TOLERANCE * max(1.0, abs(float(want)))
                assert abs(float(got) - float(want)) <= tolerance, where
            else:
                assert _normal(got) == _normal(want), where


def assert_tables_match(tables: list[str], duck: Path, read: Any, engine: str) -> None:
    """Every table equals DuckDB's; `read(table) -> (columns, rows)` reads the engine's."""
    for table in tables:
        assert_same_table(table, duckdb_table(duck, table), *read(table), engine)


def build_engine_dataset(folder: Path) -> tuple[Path, Path]:
    """(raw Parquet folder, DuckDB file with every model built from it), under `folder`."""
    raw_dir = folder / "raw"
    generate(raw_dir, opportunities=GENERATED_DEALS, seed=GENERATED_SEED, fmt="parquet")
    if HALF_CENTS:
        plant_half_cents(raw_dir)
    # one deal rejected (an unknown stage name) that the Spark incremental test corrects
    plant_defect(raw_dir)
    duck = folder / "duck.duckdb"
    # Models only: the data tests run on DuckDB elsewhere.
    build(duck, raw_dir=raw_dir, exclude=MODELS_ONLY, progress=False)
    return raw_dir, duck


# Rates that turn an amount of n dollars and 50 cents into a half cent (x 1.05: 7264.50 ->
# 7627.725; x 1.27: 111227.50 -> 141258.925), and 0.5, which does it to any odd number of cents.
HALF_CENT_RATES = {"EUR": "1.05", "GBP": "1.27"}
OTHER_HALF_CENT_RATE = "0.5"


def plant_half_cents(raw_dir: Path) -> None:
    """Move the generated money onto half cents, deterministically: every amount (deal, history
    row, subscription, unit price) becomes its whole part plus 0.50 when that is even, else plus
    0.05 (x 0.3 of an amount ending in 5 cents is a half cent; an even and an odd amount average
    to a half cent); every non-USD rate a constant from HALF_CENT_RATES; the open stages'
    probabilities 0.3, 0.25 and 0.75 in turn; targets and marketing spend gain half a cent."""

    def cents(column: str) -> str:
        whole = f"floor({column})"
        return (
            f"case when {column} is null then null when {whole} % 2 = 0 "
            f"then {whole} + 0.50 else {whole} + 0.05 end"
        )

    rates = " ".join(f"when '{code}' then {rate}" for code, rate in HALF_CENT_RATES.items())
    changes = {
        "opportunities": {"amount": cents("amount")},
        "opportunity_history": {"amount": cents("amount")},
        "subscriptions": {"mrr_amount": cents("mrr_amount")},
        "opportunity_line_items": {"unit_price": cents("unit_price")},
        "exchange_rates": {
            "rate_to_reporting": f"case currency_code when 'USD' then rate_to_reporting "
            f"{rates} else {OTHER_HALF_CENT_RATE} end"
        },
        "stages": {
            "default_probability": "case when is_closed then default_probability "
            "else [0.3, 0.25, 0.75][stage_order % 3 + 1] end"
        },
        "targets": {
            "target_value": "case when metric = 'bookings_amount' "
            "then target_value + 0.005 else target_value end"
        },
        "marketing_spend": {"spend": "spend + 0.005"},
    }
    connection = duckdb.connect()
    try:
        for table, replaced in changes.items():
            path = raw_dir / f"{table}.parquet"
            if not path.exists():
                continue
            columns = connection.sql(f"select * from read_parquet('{path}')").columns
            select = ", ".join(
                f'cast({replaced[c]} as double) as "{c}"' if c in replaced else f'"{c}"'
                for c in columns
            )
            changed = path.with_suffix(".changed.parquet")
            connection.execute(
                f"copy (select {select} from read_parquet('{path}')) to '{changed}' "
                "(format parquet)"
            )
            changed.replace(path)
    finally:
        connection.close()
