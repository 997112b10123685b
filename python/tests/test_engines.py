"""The same project on PostgreSQL and Apache Spark agrees with DuckDB on the headline marts.

One small generated raw set (Parquet) is built on DuckDB (the headline marts' subgraph), then:
- PostgreSQL: the raw tables are copied into schema `raw_input` of a fresh database on the server
  named by CRM_METRICS_PG_* (`.ci/run` starts one on loopback), as the text DuckDB reads from
  the files, and the full project (every model, data test and unit test) is built there with var
  `raw_schema` (dbt seeds on PostgreSQL are slow: ~1 minute per 3,000 rows).
- Spark: dbt-spark's `session` method (Spark in local mode, in a child process) builds the
  headline marts' subgraph from the Parquet files (`spark__crm_load_raw_dir`). Spark writes its
  tables as Parquet under a temporary warehouse folder, which DuckDB reads back. Unit tests are
  left out there (see the README).

Rows are matched on their non-numeric columns (the grain); money (decimal) columns may differ by
0.01 and other numbers by 1e-9 (relative above 1). Without the engine (no server settings, no
adapter, no Java) the tests skip, except with CI=true, where they fail.
"""

from __future__ import annotations

import datetime as dt
import decimal
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
from crm_metrics.runner import PROJECT_DIR, build

HEADLINE_MARTS = (
    "mart_funnel_conversion",
    "mart_stage_duration",
    "mart_pipeline_flow",
    "mart_win_rate",
    "mart_mrr_movements",
)
HEADLINE_SELECT = [f"+{name}" for name in HEADLINE_MARTS]
MART_SCHEMA = "marts"
DBT = Path(sys.executable).parent / "dbt"
IN_CI = os.environ.get("CI", "").lower() == "true"
GENERATED_DEALS = 150
GENERATED_SEED = 7


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


def _run_dbt(args: list[str], env: dict[str, str], work: Path) -> str:
    """`dbt <args>` in a child process (its own engine session); fails with dbt's errors."""
    command = [
        str(DBT),
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
    started = time.monotonic()
    done = subprocess.run(
        command, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    elapsed = time.monotonic() - started
    output = done.stdout + done.stderr
    if done.returncode != 0:
        failures = [line for line in output.splitlines() if "ERROR" in line or "FAIL" in line]
        pytest.fail(
            f"dbt {args[0]} failed ({elapsed:.0f} s):\n" + "\n".join(failures[-40:] or [output])
        )
    print(f"dbt {' '.join(args[:2])}: {elapsed:.0f} s")
    return output


# --- comparison ------------------------------------------------------------------------------


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def _duckdb_mart(database: Path, mart: str) -> tuple[list[str], list[str], list[tuple]]:
    """Column names, DuckDB type names and rows of one mart of a DuckDB file."""
    connection = duckdb.connect(str(database), read_only=True)
    try:
        relation = connection.sql(f"select * from {MART_SCHEMA}.{mart}")
        return relation.columns, [str(t) for t in relation.types], relation.fetchall()
    finally:
        connection.close()


def assert_same_mart(
    mart: str,
    expected: tuple[list[str], list[str], list[tuple]],
    actual_columns: list[str],
    actual_rows: list[tuple],
    engine: str,
) -> None:
    columns, types, rows = expected
    assert [c.lower() for c in actual_columns] == [c.lower() for c in columns], mart
    numeric = [t.upper().startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL")) for t in types]
    money = [t.upper().startswith("DECIMAL") for t in types]

    def key(row: tuple) -> tuple:
        values = [_normal(v) for v, is_number in zip(row, numeric, strict=True) if not is_number]
        return tuple((v is None, "" if v is None else str(v)) for v in values)

    expected_rows = sorted(rows, key=key)
    actual_sorted = sorted(actual_rows, key=key)
    assert len(actual_sorted) == len(expected_rows), (
        f"{mart}: {engine} has {len(actual_sorted)} rows, DuckDB {len(expected_rows)}"
    )
    assert expected_rows, f"{mart}: no rows to compare"
    for want_row, got_row in zip(expected_rows, actual_sorted, strict=True):
        for name, want, got, is_number, is_money in zip(
            columns, want_row, got_row, numeric, money, strict=True
        ):
            want, got = _normal(want), _normal(got)
            where = f"{mart}.{name} at {key(want_row)}: DuckDB {want!r}, {engine} {got!r}"
            if is_number and want is not None and got is not None:
                tolerance = 0.01 if is_money else 1e-9 * max(1.0, abs(want))
                assert abs(float(got) - float(want)) <= tolerance, where
            else:
                assert got == want, where


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(raw Parquet folder, DuckDB file with the headline marts built from it)."""
    folder = tmp_path_factory.mktemp("engines")
    raw_dir = folder / "raw"
    generate(raw_dir, opportunities=GENERATED_DEALS, seed=GENERATED_SEED, fmt="parquet")
    duck = folder / "duck.duckdb"
    # Models only: the data tests run on DuckDB elsewhere (some test models outside the subgraph).
    build(
        duck,
        raw_dir=raw_dir,
        select=HEADLINE_SELECT,
        exclude=["resource_type:test", "resource_type:unit_test"],
        progress=False,
    )
    return raw_dir, duck


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


@pytest.mark.slow
def test_postgres_full_build_matches_duckdb(
    postgres_database, generated: tuple[Path, Path], tmp_path: Path
) -> None:
    env, connect = postgres_database
    raw_dir, duck = generated
    connection = connect()
    try:
        _copy_raw_to_postgres(raw_dir, connection, "raw_input")
        output = _run_dbt(
            [
                "build",
                "--target",
                "postgres",
                "--exclude-resource-type",
                "seed",
                "--vars",
                "{raw_schema: raw_input}",
            ],
            env,
            tmp_path,
        )
        # Every model, data test and unit test ran and passed.
        summary = next(line for line in reversed(output.splitlines()) if "TOTAL=" in line)
        assert "ERROR=0" in summary and "SKIP=0" in summary and "WARN=0" in summary, summary
        _assert_headline_marts_match(connection, duck)
        # A second build runs the incremental models incrementally: their temporary relation
        # (typed by the SQL) must match the contract-typed table, or dbt refuses the schema
        # change. Same raw rows, so the marts stay equal.
        output = _run_dbt(
            [
                "build",
                "--target",
                "postgres",
                "--exclude-resource-type",
                "seed",
                "--exclude-resource-type",
                "unit_test",
                "--select",
                "int_opportunity_states+",
                "fct_activities+",
                "--vars",
                "{raw_schema: raw_input}",
            ],
            env,
            tmp_path,
        )
        summary = next(line for line in reversed(output.splitlines()) if "TOTAL=" in line)
        assert "ERROR=0" in summary and "SKIP=0" in summary and "WARN=0" in summary, summary
        _assert_headline_marts_match(connection, duck)
    finally:
        connection.close()


def _assert_headline_marts_match(connection: Any, duck: Path) -> None:
    for mart in HEADLINE_MARTS:
        with connection.cursor() as cursor:
            cursor.execute(f"select * from {MART_SCHEMA}.{mart}")
            columns = [column.name for column in cursor.description]
            rows = cursor.fetchall()
        assert_same_mart(mart, _duckdb_mart(duck, mart), columns, rows, "PostgreSQL")
    # End the read transaction: its locks would make the next build wait on these tables.
    connection.rollback()


ADAPTER_MARTS = (
    "mart_funnel_conversion",
    "mart_stage_duration",
    "mart_pipeline_flow",
    "mart_win_rate",
    "mart_bookings",
    "mart_activity_efficiency",
)


@pytest.mark.slow
def test_postgres_salesforce_adapter_matches_duckdb(postgres_database, tmp_path: Path) -> None:
    """The Fivetran Salesforce adapter on PostgreSQL: the connector-shaped fixture of
    test_source_adapters (typed columns: timestamps, booleans, doubles) in schema `salesforce`,
    the full project built with the adapter vars, the marts equal to DuckDB's."""
    from fivetran_fixtures import SALESFORCE, load_tables

    adapter_vars = (
        "{source_system: fivetran_salesforce, source_schema: salesforce, as_of_date: '2024-03-31'}"
    )
    duck = tmp_path / "duck.duckdb"
    load_tables(duck, "salesforce", SALESFORCE)
    build(
        duck,
        vars=yaml.safe_load(adapter_vars),
        select=[f"+{name}" for name in ADAPTER_MARTS],
        exclude=["resource_type:test", "resource_type:unit_test"],
        progress=False,
    )
    env, connect = postgres_database
    connection = connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("create schema salesforce")
            for name, (columns, rows) in SALESFORCE.items():
                typed = columns.replace("double", "double precision")
                cursor.execute(f'create table salesforce."{name}" ({typed})')
                marks = ", ".join("%s" for _ in rows[0])
                cursor.executemany(f'insert into salesforce."{name}" values ({marks})', rows)
        connection.commit()
        output = _run_dbt(
            [
                "build",
                "--target",
                "postgres",
                "--exclude-resource-type",
                "seed",
                "--exclude-resource-type",
                "unit_test",
                "--vars",
                adapter_vars,
            ],
            env,
            tmp_path,
        )
        summary = next(line for line in reversed(output.splitlines()) if "TOTAL=" in line)
        assert "ERROR=0" in summary and "SKIP=0" in summary and "WARN=0" in summary, summary
        for mart in ADAPTER_MARTS:
            with connection.cursor() as cursor:
                cursor.execute(f"select * from {MART_SCHEMA}.{mart}")
                columns = [column.name for column in cursor.description]
                rows = cursor.fetchall()
            assert_same_mart(mart, _duckdb_mart(duck, mart), columns, rows, "PostgreSQL")
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


@pytest.mark.slow
def test_spark_headline_marts_match_duckdb(
    spark_env: dict[str, str], generated: tuple[Path, Path], tmp_path: Path
) -> None:
    raw_dir, duck = generated

    # Models only: Spark in local mode spends seconds per statement, so its ~100 data tests of
    # the subgraph would take several minutes of CI; the comparison below checks the results.
    _run_dbt(
        [
            "run",
            "--target",
            "spark",
            "--vars",
            f"{{raw_dir: '{raw_dir}'}}",
            "--select",
            *HEADLINE_SELECT,
        ],
        spark_env,
        tmp_path,
    )
    warehouse = Path(spark_env["CRM_METRICS_SPARK_DIR"]) / "warehouse"
    reader = duckdb.connect()
    try:
        for mart in HEADLINE_MARTS:
            files = warehouse / f"{MART_SCHEMA}.db" / mart / "*.parquet"
            relation = reader.sql(f"select * from read_parquet('{files}')")
            assert_same_mart(
                mart, _duckdb_mart(duck, mart), relation.columns, relation.fetchall(), "Spark"
            )
    finally:
        reader.close()


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
