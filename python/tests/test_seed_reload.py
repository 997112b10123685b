"""The demo seeds are reloaded only when something they depend on changed (no dbt: a hand-made
project folder and DuckDB file stand in for the project and a seeded database)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from crm_metrics.runner import _seed_state, _seeds_unchanged, _write_seed_stamp


def _project(folder: Path) -> Path:
    (folder / "seeds" / "demo").mkdir(parents=True)
    (folder / "seeds" / "demo" / "users.csv").write_text("user_id\nu1\nu2\n", encoding="utf-8")
    (folder / "dbt_project.yml").write_text("name: x\n", encoding="utf-8")
    return folder


def _seeded(database: Path, rows: int) -> None:
    con = duckdb.connect(str(database))
    try:
        con.execute("create schema if not exists raw_demo")
        con.execute(
            "create or replace table raw_demo.users as select range as user_id from range(?)",
            [rows],
        )
    finally:
        con.close()


def test_seeds_reload_only_after_a_change(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    database = tmp_path / "db.duckdb"
    state = _seed_state(project, "duckdb", {"as_of_date": None})
    assert state is not None
    _seeded(database, 2)
    assert not _seeds_unchanged(database, state)  # never seeded into this database

    _write_seed_stamp(database, state)
    assert _seeds_unchanged(database, state)
    # the same inputs give the same digest
    assert _seeds_unchanged(database, _seed_state(project, "duckdb", {"as_of_date": None}))

    # other vars, an edited CSV, a new seed file, an edited dbt_project.yml: reload
    assert not _seeds_unchanged(
        database, _seed_state(project, "duckdb", {"as_of_date": "2025-01-01"})
    )
    csv = project / "seeds" / "demo" / "users.csv"
    csv.write_text("user_id\nu1\nu3\n", encoding="utf-8")
    assert not _seeds_unchanged(database, _seed_state(project, "duckdb", {"as_of_date": None}))
    csv.write_text("user_id\nu1\nu2\n", encoding="utf-8")
    assert _seeds_unchanged(database, _seed_state(project, "duckdb", {"as_of_date": None}))
    extra = project / "seeds" / "demo" / "leads.csv"
    extra.write_text("lead_id\n", encoding="utf-8")
    assert not _seeds_unchanged(database, _seed_state(project, "duckdb", {"as_of_date": None}))
    extra.unlink()
    (project / "dbt_project.yml").write_text("name: y\n", encoding="utf-8")
    assert not _seeds_unchanged(database, _seed_state(project, "duckdb", {"as_of_date": None}))
    (project / "dbt_project.yml").write_text("name: x\n", encoding="utf-8")

    # the database lost rows, or is a new file: reload
    _seeded(database, 1)
    assert not _seeds_unchanged(database, state)
    _seeded(database, 2)
    assert _seeds_unchanged(database, state)
    database.unlink()
    assert not _seeds_unchanged(database, state)

    # other engines always seed
    assert _seed_state(project, "postgres", {}) is None
