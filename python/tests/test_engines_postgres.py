"""PostgreSQL builds the same project as DuckDB, table for table (engines.py says how)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from engines import (
    MODELS_ONLY,
    assert_dbt_passed,
    assert_tables_match,
    duckdb_tables,
    module_missing,
    run_dbt,
    unavailable,
)

from crm_metrics.runner import build


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
        unavailable("PostgreSQL is not configured (CRM_METRICS_PG_HOST/PORT/USER/PASSWORD)")
    if module_missing("psycopg2") or module_missing("dbt.adapters.postgres"):
        unavailable("dbt-postgres is not installed (pip install -e '.[engines]')")
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
        unavailable(f"cannot connect to PostgreSQL: {error}")
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
    assert_dbt_passed(run_dbt([*args, "--vars", vars], env, work), expected_warnings)


def _assert_postgres_matches(connection: Any, duck: Path, tables: list[str]) -> None:
    def read(table: str) -> tuple[list[str], list[tuple]]:
        with connection.cursor() as cursor:
            cursor.execute(f"select * from {table}")
            return [column.name for column in cursor.description], cursor.fetchall()

    assert_tables_match(tables, duck, read, "PostgreSQL")
    # End the read transaction: its locks would make the next build wait on these tables.
    connection.rollback()


@pytest.mark.slow
def test_postgres_full_build_matches_duckdb(
    postgres_database, engine_dataset: tuple[Path, Path], tmp_path: Path
) -> None:
    env, connect = postgres_database
    raw_dir, duck = engine_dataset
    tables = duckdb_tables(duck)
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
