"""`crm-metrics export` manifest on a small hand-made database: one entry per table with its
file, row count, column types (as declared) and the model's descriptions from the YAML; the files
read back with the same rows and types, in Parquet and in CSV."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pytest

from crm_metrics.cli import main

TABLES = {
    "marts.mart_win_rate": (
        "period_month date, segment varchar, owner_id varchar, opportunity_type varchar, "
        "won_count bigint, lost_count bigint, win_rate double, won_amount decimal(18,2)",
        [
            ("2024-01-01", "SMB", "usr_1", "new_business", 2, 1, 2 / 3, "1500.50"),
            ("2024-01-01", "ENT", "usr_2", "renewal", 0, 3, 0.0, "0.00"),
            ("2024-02-01", "unknown", "usr_1", "expansion", 1, 0, 1.0, "99.99"),
        ],
    ),
    "core.dim_stages": (
        "stage_name varchar, stage_order integer, is_won boolean",
        [("Qualification", 1, False), ("Closed Won", 9, True)],
    ),
    "marts.not_a_model": ("value integer", []),
}
EXPECTED_TYPES = {
    "marts.mart_win_rate": [
        "DATE",
        "VARCHAR",
        "VARCHAR",
        "VARCHAR",
        "BIGINT",
        "BIGINT",
        "DOUBLE",
        "DECIMAL(18,2)",
    ],
    "core.dim_stages": ["VARCHAR", "INTEGER", "BOOLEAN"],
    "marts.not_a_model": ["INTEGER"],
}


@pytest.fixture
def small_db(tmp_path: Path) -> Path:
    database = tmp_path / "small.duckdb"
    connection = duckdb.connect(str(database))
    try:
        connection.execute("create schema core; create schema marts; create schema staging")
        connection.execute("create table staging.not_exported (x integer)")
        for relation, (columns, rows) in TABLES.items():
            connection.execute(f"create table {relation} ({columns})")
            for row in rows:
                marks = ", ".join("?" for _ in row)
                connection.execute(f"insert into {relation} values ({marks})", list(row))
    finally:
        connection.close()
    return database


def read_manifest(out_dir: Path) -> dict:
    return json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_manifest_lists_each_file_with_rows_types_and_docs(
    small_db: Path, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "out"
    assert main(["export", "--serving", str(small_db), "--out", str(out_dir), "--format", fmt]) == 0
    manifest = read_manifest(out_dir)
    files = {entry["relation"]: entry for entry in manifest["files"]}
    assert sorted(files) == sorted(TABLES)  # staging is not exported

    for relation, (_, rows) in TABLES.items():
        entry = files[relation]
        schema, name = relation.split(".")
        assert entry["path"] == f"{schema}/{name}.{fmt}"
        assert entry["format"] == fmt
        assert entry["row_count"] == len(rows)
        assert [column["type"] for column in entry["columns"]] == EXPECTED_TYPES[relation]
        path = out_dir / entry["path"]
        assert path.is_file()
        if fmt == "csv":
            with path.open(newline="", encoding="utf-8") as handle:
                header, *body = list(csv.reader(handle))
            assert header == [column["name"] for column in entry["columns"]]
            assert len(body) == len(rows)
        else:
            connection = duckdb.connect()
            try:
                described = connection.execute(
                    "select column_name, column_type from (describe select * from read_parquet(?))",
                    [str(path)],
                ).fetchall()
                (count,) = connection.execute(
                    "select count(*) from read_parquet(?)", [str(path)]
                ).fetchone()
            finally:
                connection.close()
            assert count == len(rows)
            assert described == [(column["name"], column["type"]) for column in entry["columns"]]

    # Descriptions come from the model YAML; a table without a model has none.
    win_rate = files["marts.mart_win_rate"]
    assert "period_month" in win_rate["description"]
    assert all(column["description"] for column in win_rate["columns"])
    assert files["marts.not_a_model"]["description"] == ""
    assert files["marts.not_a_model"]["columns"][0]["description"] == ""


def test_parquet_values_round_trip(small_db: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    assert main(["export", "--serving", str(small_db), "--out", str(out_dir)]) == 0
    connection = duckdb.connect()
    try:
        rows = connection.execute(
            "select cast(period_month as varchar), segment, won_count, won_amount "
            "from read_parquet(?) order by segment",
            [str(out_dir / "marts" / "mart_win_rate.parquet")],
        ).fetchall()
    finally:
        connection.close()
    assert [(row[0], row[1], row[2], str(row[3])) for row in rows] == [
        ("2024-01-01", "ENT", 0, "0.00"),
        ("2024-01-01", "SMB", 2, "1500.50"),
        ("2024-02-01", "unknown", 1, "99.99"),
    ]


def test_reexport_in_another_format_removes_the_old_files(small_db: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    assert main(["export", "--serving", str(small_db), "--out", str(out_dir)]) == 0
    assert (
        main(["export", "--serving", str(small_db), "--out", str(out_dir), "--format", "csv"]) == 0
    )
    assert not list(out_dir.rglob("*.parquet"))
    assert len(list(out_dir.rglob("*.csv"))) == len(read_manifest(out_dir)["files"])
