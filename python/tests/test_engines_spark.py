"""Spark builds the same project as DuckDB, table for table, also incrementally (engines.py
says how)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from engines import (
    BIN,
    COMPARED_SCHEMAS,
    INCREMENTAL_SELECT,
    MODELS_ONLY,
    assert_dbt_passed,
    assert_tables_match,
    duckdb_table,
    duckdb_tables,
    module_missing,
    run_child,
    run_dbt,
    unavailable,
)

from crm_metrics.generate.changes import apply_changes
from crm_metrics.runner import build

# --- Spark -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spark_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    if module_missing("pyspark") or module_missing("dbt.adapters.spark"):
        unavailable(
            "dbt-spark[session] and pyspark are not installed (pip install -e '.[engines]')"
        )
    if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
        unavailable("Spark needs a Java runtime (java on PATH or JAVA_HOME)")
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
    engine_dataset: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, Path]:
    """The whole project built on Spark by the CLI: (its output, the warehouse folder)."""
    raw_dir, _ = engine_dataset
    work = tmp_path_factory.mktemp("spark-build")
    output = run_child(
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
    spark_build: tuple[str, Path], engine_dataset: tuple[Path, Path]
) -> None:
    _, warehouse = spark_build
    _, duck = engine_dataset
    tables = duckdb_tables(duck)
    assert len(tables) >= 45, tables  # 49 when written
    assert_tables_match(tables, duck, _read_spark(warehouse), "Spark")


@pytest.mark.slow
def test_spark_incremental_build_equals_full(
    spark_build: tuple[str, Path],
    spark_env: dict[str, str],
    engine_dataset: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    """After the change generator's cases (crm_metrics.generate.changes, as in
    test_incremental: a late history row, new and changed deals and accounts, rows that become
    rejected, the planted reject corrected, a deleted deal, a moved as-of date, new, changed and
    rejected activities), an incremental Spark build of the incremental model and fct_activities,
    their ancestors and children equals a DuckDB full build of the changed folder;
    test_spark_tables_match_duckdb checked the unchanged one."""
    _, warehouse = spark_build
    raw_dir, duck = engine_dataset
    changed_raw = tmp_path / "raw"
    shutil.copytree(raw_dir, changed_raw)
    changes = apply_changes(changed_raw)
    changed_duck = tmp_path / "changed.duckdb"
    build(changed_duck, raw_dir=changed_raw, exclude=MODELS_ONLY, progress=False)

    output = run_dbt(
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
    assert_dbt_passed(output)
    assert re.search(r"OK created sql incremental model \w+\.int_opportunity_states\b", output)
    assert re.search(r"OK created sql table model \w+\.fct_activities\b", output)
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())
    rebuilt = {result["unique_id"].split(".")[-1] for result in results["results"]}
    tables = [
        table
        for table in duckdb_tables(changed_duck, (*COMPARED_SCHEMAS, "intermediate"))
        if table.split(".")[1] in rebuilt
        and (not table.startswith("intermediate.") or table.endswith(".int_opportunity_states"))
    ]
    assert {"intermediate.int_opportunity_states", "core.fct_activities"} <= set(tables)
    assert len(tables) >= 30, tables
    # The appended rows change both tables: equal to the changed folder's build
    # means the incremental run took them in.
    for table in ("intermediate.int_opportunity_states", "core.fct_activities"):
        assert duckdb_table(changed_duck, table)[2] != duckdb_table(duck, table)[2], table
    assert_tables_match(tables, changed_duck, _read_spark(warehouse), "Spark")
    # The deals that became rejected or were deleted are gone, the corrected one is back, and
    # the copy of the stored rows was dropped.
    columns, rows = _read_spark(warehouse)("intermediate.int_opportunity_states")
    states = {row[columns.index("opportunity_id")] for row in rows}
    assert changes["duplicate"] not in states
    assert changes["deleted"] not in states
    assert changes["corrected"] and set(changes["corrected"]) <= states
    assert not list(warehouse.glob("*.db/*__crm_previous")), "the copy of the stored rows stayed"
