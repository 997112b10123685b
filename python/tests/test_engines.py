"""The same project on PostgreSQL and Apache Spark agrees with DuckDB on every table of `core`
and `marts`.

One small generated raw set (Parquet) is built on DuckDB (every model), then:
- PostgreSQL: the raw tables are copied into schema `raw_input` of a fresh database on the server
  named by CRM_METRICS_PG_* (`.ci/run` starts one on loopback), as the text DuckDB reads from
  the files, and the full project (every model, data test and unit test) is built there with var
  `raw_schema` (dbt seeds on PostgreSQL are slow: ~1 minute per 3,000 rows).
- Spark: `crm-metrics build --target spark --raw-dir` (dbt-spark's `session` method: Spark in
  local mode, in a child process) builds the whole project from the Parquet files, every data
  and unit test included, once for the module. Spark writes its tables as Parquet under a
  temporary warehouse folder, which DuckDB reads back. Then the raw rows that
  test_incremental appends are appended to a copy of the folder, the incremental model and
  fct_activities with their ancestors and children are built incrementally on Spark, and their
  tables must equal a DuckDB full build of the changed folder.

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
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from crm_metrics.generate import generate
from crm_metrics.generate.changes import apply_changes, plant_defect
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


def _unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: CI must run every engine."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def _module_missing(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return True
    return False


def _run(command: list[str], env: dict[str, str], what: str) -> str:
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


def _run_dbt(args: list[str], env: dict[str, str], work: Path) -> str:
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
    return _run(command, env, f"dbt {' '.join(args[:3])}")


def _assert_dbt_passed(output: str, expected_warnings: tuple[str, ...] = ()) -> None:
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


def _duckdb_tables(database: Path, schemas: tuple[str, ...] = COMPARED_SCHEMAS) -> list[str]:
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


def _duckdb_table(database: Path, table: str) -> Table:
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


def _assert_tables_match(tables: list[str], duck: Path, read: Any, engine: str) -> None:
    """Every table equals DuckDB's; `read(table) -> (columns, rows)` reads the engine's."""
    for table in tables:
        assert_same_table(table, _duckdb_table(duck, table), *read(table), engine)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(raw Parquet folder, DuckDB file with every model built from it)."""
    folder = tmp_path_factory.mktemp("engines")
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


def _copy_raw_to_postgres(raw_dir: Path, connection: Any, schema: str) -> None:
    """Every raw file as a table of text columns, each value as DuckDB casts it to text."""
    reader = duckdb.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create schema {schema}")
            for path in sorted(raw_dir.glob("*.parquet")):
                relation = reader.sql(f"select * from read_parquet('{path}')")
                texts = ", ".join(f'cast("{c}" as varchar) as "{c}"' for c in relation.columns)
                csv_path = path.with_suffix(".pg.csv")
                reader.sql(f"select {texts} from read_parquet('{path}')").write_csv(
                    str(csv_path), header=True
                )
                columns = ", ".join(f'"{c}" text' for c in relation.columns)
                cursor.execute(f'create table {schema}."{path.stem}" ({columns})')
                with csv_path.open(encoding="utf-8") as handle:
                    cursor.copy_expert(
                        f'copy {schema}."{path.stem}" from stdin with (format csv, header true)',
                        handle,
                    )
                csv_path.unlink()
        connection.commit()
    finally:
        reader.close()


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres_server():
    """Creates fresh databases on the configured server (`new() -> (env, connect())`), and
    drops them afterwards. Each test gets its own database: a second build in a database that
    another test built would run the incremental models over that test's rows."""
    if "CRM_METRICS_PG_PASSWORD" not in os.environ:
        _unavailable("PostgreSQL is not configured (CRM_METRICS_PG_HOST/PORT/USER/PASSWORD)")
    if _module_missing("psycopg2") or _module_missing("dbt.adapters.postgres"):
        _unavailable("dbt-postgres is not installed (pip install -e '.[engines]')")
    import psycopg2

    settings = {
        "host": os.environ.get("CRM_METRICS_PG_HOST", "127.0.0.1"),
        "port": int(os.environ.get("CRM_METRICS_PG_PORT", "5432")),
        "user": os.environ.get("CRM_METRICS_PG_USER", "crm_metrics"),
        "password": os.environ["CRM_METRICS_PG_PASSWORD"],
    }
    try:
        admin = psycopg2.connect(
            dbname=os.environ.get("CRM_METRICS_PG_DBNAME", "postgres"), **settings
        )
    except psycopg2.OperationalError as error:
        _unavailable(f"cannot connect to PostgreSQL: {error}")
    admin.autocommit = True
    names: list[str] = []

    def new() -> tuple[dict[str, str], Any]:
        name = f"crm_metrics_test_{secrets.token_hex(4)}"
        with admin.cursor() as cursor:
            cursor.execute(f"create database {name}")
        names.append(name)
        return (
            {"CRM_METRICS_PG_DBNAME": name, "CRM_METRICS_THREADS": "2"},
            lambda: psycopg2.connect(dbname=name, **settings),
        )

    try:
        yield new
    finally:
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f"drop database if exists {name} with (force)")
        admin.close()


@pytest.fixture
def postgres_database(postgres_server):
    """A fresh database of its own for one test: (env, connect())."""
    return postgres_server()


def _postgres_build(
    env: dict[str, str],
    work: Path,
    vars: str,
    *extra: str,
    expected_warnings: tuple[str, ...] = (),
) -> None:
    """`dbt build` on PostgreSQL without seeds; every node selected passes (or warns, where
    expected)."""
    args = ["build", "--target", "postgres", "--exclude-resource-type", "seed", *extra]
    _assert_dbt_passed(_run_dbt([*args, "--vars", vars], env, work), expected_warnings)


def _assert_postgres_matches(connection: Any, duck: Path, tables: list[str]) -> None:
    def read(table: str) -> tuple[list[str], list[tuple]]:
        with connection.cursor() as cursor:
            cursor.execute(f"select * from {table}")
            return [column.name for column in cursor.description], cursor.fetchall()

    _assert_tables_match(tables, duck, read, "PostgreSQL")
    # End the read transaction: its locks would make the next build wait on these tables.
    connection.rollback()


@pytest.mark.slow
def test_postgres_full_build_matches_duckdb(
    postgres_database, generated: tuple[Path, Path], tmp_path: Path
) -> None:
    env, connect = postgres_database
    raw_dir, duck = generated
    tables = _duckdb_tables(duck)
    connection = connect()
    try:
        _copy_raw_to_postgres(raw_dir, connection, "raw_input")
        # Every model, data test and unit test runs and passes.
        _postgres_build(env, tmp_path, "{raw_schema: raw_input}")
        _assert_postgres_matches(connection, duck, tables)
        # A second build runs the incremental model incrementally: its temporary relation
        # (typed by the SQL) must match the contract-typed table, or dbt refuses the schema
        # change. Same raw rows, so the tables stay equal.
        _postgres_build(
            env,
            tmp_path,
            "{raw_schema: raw_input}",
            "--exclude-resource-type",
            "unit_test",
            "--select",
            "int_opportunity_states+",
            "fct_activities+",
        )
        _assert_postgres_matches(connection, duck, tables)
    finally:
        connection.close()


@pytest.mark.slow
def test_postgres_orders_same_instant_history_by_code_point(
    postgres_database, tmp_path: Path
) -> None:
    """Salesforce ids order a deal's same-second history by code point even where the raw
    column's collation is a linguistic one (ICU en-US compares case-insensitively first):
    staging compares source_order `collate "C"` (macro crm_binary_text). The deal and its
    expected path are those of test_same_instant_history.py (006H1)."""
    from test_same_instant_history import _export

    from crm_metrics.importers.salesforce import import_salesforce

    env, connect = postgres_database
    connection = connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1 from pg_collation where collname = 'en-US-x-icu'")
            if cursor.fetchone() is None:
                pytest.skip("PostgreSQL was built without ICU: no linguistic collation")
            # the collation sorts the ids unlike code points: ...Zz9a before ...Zz9A
            cursor.execute(
                "select x from (values ('00830000002Zz9A'), ('00830000002Zz9a')) as v (x) "
                'order by x collate "en-US-x-icu"'
            )
            assert [row[0] for row in cursor.fetchall()] == ["00830000002Zz9a", "00830000002Zz9A"]
        raw = tmp_path / "raw"
        import_salesforce(_export(tmp_path / "export", with_ids=True), raw)
        with connection.cursor() as cursor:
            cursor.execute("create schema raw_input")
            for path in sorted(raw.glob("*.csv")):
                with path.open(encoding="utf-8") as handle:
                    header = handle.readline().strip().split(",")
                columns = ", ".join(f'"{c}" text collate "en-US-x-icu"' for c in header)
                cursor.execute(f'create table raw_input."{path.stem}" ({columns})')
                with path.open(encoding="utf-8") as handle:
                    cursor.copy_expert(
                        f'copy raw_input."{path.stem}" from stdin with (format csv, header true)',
                        handle,
                    )
        connection.commit()
        _postgres_build(
            env,
            tmp_path,
            "{raw_schema: raw_input}",
            "--exclude-resource-type",
            "test",
            "unit_test",
            "--select",
            "+fct_opportunity_changes",
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "select history_row_number, change_kind, new_stage_name "
                "from core.fct_opportunity_changes where opportunity_id = '006H1' order by 1, 2"
            )
            assert cursor.fetchall() == [
                (1, "created", "Prospecting"),
                (2, "lost", "Closed Lost"),
                (3, "reopened", "Proposal/Price Quote"),
                (4, "won", "Closed Won"),
            ]
        connection.rollback()
    finally:
        connection.close()


ADAPTER_MARTS = (
    "mart_funnel_conversion",
    "mart_stage_duration",
    "mart_pipeline_flow",
    "mart_win_rate",
    "mart_bookings",
    "mart_activity_efficiency",
    "mart_slippage",
)


@pytest.mark.slow
@pytest.mark.parametrize("system", ["salesforce", "hubspot"])
def test_postgres_connector_adapter_matches_duckdb(
    postgres_database, tmp_path: Path, system: str
) -> None:
    """The Fivetran adapters on PostgreSQL: the connector-shaped fixtures of
    test_source_adapters (typed columns: timestamps with and without time zone, booleans,
    doubles; HubSpot's property history with millisecond instants) in a schema named after the
    connector, the full project built with the adapter vars, the marts equal to DuckDB's."""
    from fivetran_fixtures import HUBSPOT, SALESFORCE, load_tables

    tables = {"salesforce": SALESFORCE, "hubspot": HUBSPOT}[system]
    adapter_vars = (
        f"{{source_system: fivetran_{system}, source_schema: {system}, as_of_date: '2024-03-31'}}"
    )
    duck = tmp_path / "duck.duckdb"
    load_tables(duck, system, tables)
    build(
        duck,
        vars=yaml.safe_load(adapter_vars),
        select=[f"+{name}" for name in ADAPTER_MARTS],
        exclude=MODELS_ONLY,
        progress=False,
    )
    env, connect = postgres_database
    connection = connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"create schema {system}")
            for name, (columns, rows) in tables.items():
                typed = columns.replace("double", "double precision")
                cursor.execute(f'create table {system}."{name}" ({typed})')
                marks = ", ".join("%s" for _ in rows[0])
                cursor.executemany(f'insert into {system}."{name}" values ({marks})', rows)
        connection.commit()
        # The story's deal E sits on an account deleted in the source: its deal and history
        # are lost as parent_rejected, past the 10% share, so the loss warning is expected.
        _postgres_build(
            env,
            tmp_path,
            adapter_vars,
            "--exclude-resource-type",
            "unit_test",
            expected_warnings=("dq_table_loss_warned",),
        )
        tables_compared = [f"marts.{name}" for name in ADAPTER_MARTS]
        _assert_postgres_matches(connection, duck, tables_compared)
    finally:
        connection.close()


# --- Spark -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if _module_missing("pyspark") or _module_missing("dbt.adapters.spark"):
        _unavailable(
            "dbt-spark[session] and pyspark are not installed (pip install -e '.[engines]')"
        )
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        _unavailable("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
    spark_dir = tmp_path_factory.mktemp("spark")
    return {
        "CRM_METRICS_SPARK_DIR": str(spark_dir),
        "CRM_METRICS_SPARK_DRIVER_MEMORY": "1g",
    }


def _read_spark(warehouse: Path) -> Any:
    """`read(schema.table) -> (columns, rows)` of a Spark table, from its Parquet files."""

    def read(table: str) -> tuple[list[str], list[tuple]]:
        schema, name = table.split(".")
        files = warehouse / f"{schema}.db" / name / "*.parquet"
        reader = duckdb.connect()
        try:
            relation = reader.sql(f"select * from read_parquet('{files}')")
            return relation.columns, relation.fetchall()
        finally:
            reader.close()

    return read


@pytest.fixture(scope="module")
def spark_build(
    spark_env: dict[str, str],
    generated: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Path]:
    """The whole project built on Spark by the CLI: (its output, the warehouse folder)."""
    raw_dir, _ = generated
    work = tmp_path_factory.mktemp("spark-build")
    output = _run(
        [
            str(BIN / "crm-metrics"),
            "build",
            "--target",
            "spark",
            "--raw-dir",
            str(raw_dir),
            "--database",
            str(work / "unused.duckdb"),
        ],
        spark_env,
        "crm-metrics build --target spark",
    )
    return output, Path(spark_env["CRM_METRICS_SPARK_DIR"]) / "warehouse"


@pytest.mark.slow
def test_spark_full_build_passes_every_test(spark_build: tuple[str, Path]) -> None:
    output, _ = spark_build
    summary = next(line for line in output.splitlines() if line.startswith("models: "))
    counts = {
        f"{kind} {what}": int(number)
        for kind, part in re.findall(r"(models|tests): ([^;]+)", summary)
        for number, what in re.findall(r"(\d+) (\w+)", part)
    }
    assert counts["models failed"] == counts["models skipped"] == 0, summary
    assert counts["tests failed"] == counts["tests skipped"] == counts["tests warnings"] == 0, (
        summary
    )
    # Every model (124 when written) and every data and unit test ran.
    assert counts["models built"] >= 120 and counts["tests passed"] >= 500, summary


@pytest.mark.slow
def test_spark_tables_match_duckdb(
    spark_build: tuple[str, Path], generated: tuple[Path, Path]
) -> None:
    _, warehouse = spark_build
    _, duck = generated
    tables = _duckdb_tables(duck)
    assert len(tables) >= 45, tables  # 49 when written
    _assert_tables_match(tables, duck, _read_spark(warehouse), "Spark")


@pytest.mark.slow
def test_spark_incremental_build_equals_full(
    spark_build: tuple[str, Path],
    spark_env: dict[str, str],
    generated: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """After the change generator's cases (crm_metrics.generate.changes, as in
    test_incremental: a late history row, new and changed deals and accounts, rows that become
    rejected, the planted reject corrected, a deleted deal, a moved as-of date, new, changed and
    rejected activities), an incremental Spark build of the incremental model and fct_activities,
    their ancestors and children equals a DuckDB full build of the changed folder;
    test_spark_tables_match_duckdb checked the unchanged one."""
    _, warehouse = spark_build
    raw_dir, duck = generated
    changed_raw = tmp_path / "raw"
    shutil.copytree(raw_dir, changed_raw)
    changes = apply_changes(changed_raw)
    changed_duck = tmp_path / "changed.duckdb"
    build(changed_duck, raw_dir=changed_raw, exclude=MODELS_ONLY, progress=False)

    output = _run_dbt(
        [
            "run",
            "--target",
            "spark",
            "--vars",
            json.dumps({"raw_dir": str(changed_raw)}),
            "--select",
            *INCREMENTAL_SELECT,
            "--exclude",
            "config.materialized:view",
        ],
        spark_env,
        tmp_path,
    )
    _assert_dbt_passed(output)
    assert re.search(r"OK created sql incremental model \w+\.int_opportunity_states\b", output)
    assert re.search(r"OK created sql table model \w+\.fct_activities\b", output)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    rebuilt = {result["unique_id"].split(".")[-1] for result in results["results"]}
    tables = [
        table
        for table in _duckdb_tables(changed_duck, (*COMPARED_SCHEMAS, "intermediate"))
        if table.split(".")[1] in rebuilt
        and (not table.startswith("intermediate.") or table.endswith(".int_opportunity_states"))
    ]
    assert {"intermediate.int_opportunity_states", "core.fct_activities"} <= set(tables)
    assert len(tables) >= 30, tables
    # The appended rows change both tables: equal to the changed folder's build
    # means the incremental run took them in.
    for table in ("intermediate.int_opportunity_states", "core.fct_activities"):
        assert _duckdb_table(changed_duck, table)[2] != _duckdb_table(duck, table)[2], table
    _assert_tables_match(tables, changed_duck, _read_spark(warehouse), "Spark")
    # The deals that became rejected or were deleted are gone, the corrected one is back, and
    # the copy of the stored rows was dropped.
    columns, rows = _read_spark(warehouse)("intermediate.int_opportunity_states")
    states = {row[columns.index("opportunity_id")] for row in rows}
    assert changes["duplicate"] not in states
    assert changes["deleted"] not in states
    assert changes["corrected"] and set(changes["corrected"]) <= states
    assert not list(warehouse.glob("*.db/*__crm_previous")), "the copy of the stored rows stayed"


# Type names that one of the engines rejects: PostgreSQL has no `double`, Spark's `varchar`
# needs a length and Spark has no `text`; `float` is 4 bytes on DuckDB and Spark but 8 on
# PostgreSQL. Text columns say `string`, which dbt's contracts translate per engine (TEXT on
# PostgreSQL and DuckDB, string on Spark: contract alias_types);
# doubles say "{{ var('crm_double_type')[target.type] }}" (dbt_project.yml spells it per engine).
NON_PORTABLE_TYPES = {"double", "varchar", "text", "float"}


def test_contract_data_types_are_portable() -> None:
    too_narrow = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models") or []:
            for column in model.get("columns") or []:
                data_type = str(column.get("data_type", "")).strip().lower()
                if data_type in NON_PORTABLE_TYPES:
                    too_narrow.append(f"{path.name}: {model['name']}.{column['name']} {data_type}")
    assert not too_narrow, (
        "data_type names PostgreSQL or Spark reject; write string for text or "
        "\"{{ var('crm_double_type')[target.type] }}\" for double:\n" + "\n".join(too_narrow)
    )


def test_unit_test_names_fit_postgres_identifiers() -> None:
    """dbt names a unit test's relation after the test: PostgreSQL cuts names at 63 bytes."""
    too_long = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for unit_test in document.get("unit_tests") or []:
            if len(unit_test["name"].encode()) > 63:
                too_long.append(f"{path.relative_to(PROJECT_DIR)}: {unit_test['name']}")
    assert not too_long, "unit test names longer than 63 bytes:\n" + "\n".join(too_long)


# A cast in a SQL unit-test fixture that one engine rejects (PostgreSQL: double, string;
# Spark: varchar without a length, text). Empty inputs are `rows: []`: dbt then types the
# nulls from the input relation itself, on every engine.
NON_PORTABLE_CAST = re.compile(r"\bas\s+(varchar|text|string|double|float)\b(?!\s*precision)", re.I)


def test_unit_test_fixtures_are_portable() -> None:
    """Every unit test runs on DuckDB, PostgreSQL and Spark: no SQL fixture casts to a type
    name one of them rejects."""
    found = []
    for path in sorted((PROJECT_DIR / "models").rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for unit_test in document.get("unit_tests") or []:
            fixtures = [*unit_test.get("given", []), unit_test.get("expect", {})]
            for fixture in fixtures:
                rows = fixture.get("rows")
                if fixture.get("format") == "sql" and isinstance(rows, str):
                    for match in NON_PORTABLE_CAST.finditer(rows):
                        found.append(f"{path.name}: {unit_test['name']}: {match.group(0)}")
    assert not found, "SQL fixtures with a non-portable cast:\n" + "\n".join(found)
