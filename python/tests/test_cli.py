"""The CLI end to end: argument handling, clean errors, build, export, contract check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import query

from crm_metrics.cli import main
from crm_metrics.contract import load_contract

COMMANDS = [
    [],
    ["build"],
    ["export"],
    ["generate"],
    ["contract"],
    ["contract", "check"],
    ["docs"],
    ["docs", "check"],
]


def assert_not_locked(database: Path) -> None:
    """Nothing in this process holds the file, and another process can open it read-write.

    (An in-process read-write open would prove nothing: DuckDB reuses this process's open
    instance of the file. A read-only open fails while a read-write instance is open here.)
    """
    duckdb.connect(str(database), read_only=True).close()
    subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()", database],
        check=True,
    )


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "top")
def test_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: crm-metrics" in capsys.readouterr().out


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_build_missing_raw_dir_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys, "build", "--raw-dir", str(tmp_path / "nope"), "--database", str(tmp_path / "x.db")
    )
    assert code == 1
    assert err.startswith("error: ") and "nope" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("text", ["{as_of_date: [1", "- a list", "'just a string'"])
def test_build_bad_vars_is_a_clean_error(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "build", "--vars", text, "--database", str(tmp_path / "x"))
    assert code == 1
    assert err.startswith("error: --vars")
    assert "Traceback" not in out + err


def test_build_bad_as_of_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--as-of-date", "2024-13-01"])
    assert exit_info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "unit_tests"),
    [
        ([], True),  # the demo build (`make run`) runs them
        (["--raw-dir", "RAW"], False),  # user data: left out by default
        (["--vars", "{raw_schema: crm_raw}"], False),
        (["--vars", "{raw_dir: RAW}"], False),
        (["--vars", "{source_system: fivetran_hubspot}"], False),
        (["--vars", "{source_system: contract}"], True),
        (["--raw-dir", "RAW", "--unit-tests"], True),
        (["--no-unit-tests"], False),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_build_leaves_unit_tests_out_of_user_data_builds(
    argv: list[str],
    unit_tests: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """What `crm-metrics build` asks of the build (no build runs: the call is recorded)."""
    from crm_metrics import serving
    from crm_metrics.errors import CrmMetricsError

    asked: dict = {}

    def record(database: Path, **options: object) -> None:
        asked.update(options)
        raise CrmMetricsError("recorded")

    monkeypatch.setattr(serving, "build_and_publish", record)
    argv = [str(tmp_path) if arg == "RAW" else arg.replace("RAW", str(tmp_path)) for arg in argv]
    assert main(["build", "--database", str(tmp_path / "x.duckdb"), *argv]) == 1
    assert asked["unit_tests"] is unit_tests
    assert asked["exclude"] is None and asked["select"] is None  # not a partial build
    assert capsys.readouterr().err == "error: recorded\n"


def test_generate_size_options_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "--out", "x", "--opportunities", "10", "--scale", "2"])
    assert exit_info.value.code == 2


def test_contract_check_passes_on_the_committed_tree(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "contract", "check")
    assert code == 0, err


def test_export_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(
        capsys, "export", "--database", str(tmp_path / "none.duckdb"), "--out", str(tmp_path)
    )
    assert code == 1
    assert "does not exist" in err and "crm-metrics build" in err


def test_export_reports_a_locked_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A lock is per process: hold the file from a child process.
    database = tmp_path / "locked.duckdb"
    duckdb.connect(str(database)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('ready', flush=True);"
            " time.sleep(60)",
            str(database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        code, out, err = run_cli(
            capsys, "export", "--serving", str(database), "--out", str(tmp_path / "out")
        )
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    assert "locked" in err and str(database) in err and "close the other client" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


def test_export_quotes_names_and_paths(tmp_path: Path) -> None:
    from crm_metrics.export import export_marts

    database = tmp_path / "q.duckdb"
    connection = duckdb.connect(str(database))
    try:
        connection.execute("create schema marts; create schema core")
        connection.execute(
            """create table marts."it's""; drop table core.t; --" as select 1 as "a'b" """
        )
        connection.execute('create table marts."../../escape" as select 2 as a')
        connection.execute("create table core.t as select * from range(3)")
    finally:
        connection.close()
    out_dir = tmp_path / "o'ut"
    manifest = json.loads(export_marts(database, out_dir).read_text())
    relations = {entry["relation"]: entry for entry in manifest["files"]}
    assert set(relations) == {
        "core.t",
        """marts.it's"; drop table core.t; --""",
        "marts.../../escape",
    }
    assert relations["core.t"]["row_count"] == 3
    for entry in manifest["files"]:
        path = (out_dir / entry["path"]).resolve()
        assert path.is_relative_to(out_dir.resolve()) and path.is_file()
    assert manifest["as_of_date"] is None


@pytest.mark.slow
def test_failing_node_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Raw files with headers only: the contract requires a non-empty `stages` table, and the
    # post-hook of int_stages_validated fails the node with a message saying so.
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    for table in load_contract().tables.values():
        if table.required:
            (raw_dir / f"{table.name}.csv").write_text(",".join(table.column_names) + "\n")
    database = tmp_path / "empty.duckdb"
    code, out, err = run_cli(
        capsys, "build", "--raw-dir", str(raw_dir), "--database", str(database)
    )
    assert code == 1
    assert "error: dbt build failed: 1 node(s) failed" in err
    assert "model int_stages_validated: " in err and "stages" in err
    assert "Traceback" not in out + err
    assert "ERROR model int_stages_validated" in out  # progress line
    assert "models: " in err  # summary
    assert_not_locked(database)


@pytest.mark.slow
def test_missing_required_raw_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw_dir = tmp_path / "raw"
    raw_dir.mkdir()
    code, out, err = run_cli(
        capsys, "build", "--raw-dir", str(raw_dir), "--database", str(tmp_path / "x.duckdb")
    )
    assert code == 1
    assert err.startswith("error: dbt build failed:") and "accounts" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in out + err


@pytest.mark.slow
def test_demo_db_is_not_locked(demo_db: Path) -> None:
    assert_not_locked(demo_db)


@pytest.mark.slow
def test_export_demo_db(demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "out"
    code, _, err = run_cli(capsys, "export", "--serving", str(demo_db), "--out", str(out_dir))
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["database"] == str(demo_db.resolve())
    tables = query(
        demo_db,
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('core', 'marts')",
    )
    assert {entry["relation"] for entry in manifest["files"]} == {name for (name,) in tables}
    for entry in manifest["files"]:
        schema, name = entry["relation"].split(".", 1)
        [(expected,)] = query(demo_db, f'select count(*) from "{schema}"."{name}"')
        assert entry["row_count"] == expected, entry["relation"]
        path = out_dir / entry["path"]
        connection = duckdb.connect()
        try:
            [(actual,)] = connection.execute(
                "select count(*) from read_parquet(?)", [str(path)]
            ).fetchall()
        finally:
            connection.close()
        assert actual == expected
        assert [c["name"] for c in entry["columns"]]
    assert_not_locked(demo_db)


def test_generate_writes_one_file_per_contract_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "raw"
    code, out, err = run_cli(
        capsys, "generate", "--out", str(out_dir), "--opportunities", "20", "--seed", "7"
    )
    assert code == 0, err
    assert f"{len(load_contract().table_names)} tables" in out
    written = {path.stem for path in out_dir.glob("*.csv")}
    assert written == set(load_contract().table_names)
