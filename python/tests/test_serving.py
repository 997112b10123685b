"""Publishing the serving database and the build lock, on small hand-made DuckDB files (no dbt).

The builds themselves (readers held open through two builds, SIGKILL at several points, two
builds at once) are in test_serving_builds.py.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
from conftest import query

from crm_metrics import serving
from crm_metrics.cli import main
from crm_metrics.runner import PROJECT_DIR


def make_working(path: Path, *, deals: int = 3, with_dq: bool = True) -> Path:
    """A working database shaped like a build's: three published schemas and two that are not."""
    connection = duckdb.connect(str(path))
    try:
        connection.execute("create schema if not exists core")
        connection.execute("create schema if not exists marts")
        connection.execute("create schema if not exists intermediate")
        connection.execute("create schema if not exists staging")
        connection.execute(
            "create or replace table core.fct_deals as "
            "select 'd' || i as deal_id, i * 10 as amount from range(1, ? + 1) as t(i)",
            [deals],
        )
        connection.execute(
            "create or replace table marts.mart_total as "
            "select count(*) as deal_count, sum(amount) as amount from core.fct_deals"
        )
        # a view in a published schema is published as a table (it reads core.fct_deals)
        connection.execute(
            "create or replace view marts.mart_big_deals as "
            "select deal_id from core.fct_deals where amount >= 20"
        )
        if with_dq:
            connection.execute("create schema if not exists data_quality")
            connection.execute(
                "create or replace table data_quality.dq_summary as "
                "select 'deals' as table_name, ? as row_count",
                [deals],
            )
        connection.execute(
            "create or replace table intermediate.int_as_of_date as "
            "select date '2024-06-30' as as_of_date"
        )
        connection.execute("create or replace view staging.stg_deals as select 1 as x")
    finally:
        connection.close()
    return path


def relations(database: Path) -> list[tuple[str, str, str]]:
    return query(
        database,
        "select table_schema, table_name, table_type from information_schema.tables "
        "where table_catalog = current_database() order by 1, 2",
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".publishing-" in path.name)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_default_paths() -> None:
    assert serving.default_serving_path(Path("crm_metrics.duckdb")) == Path(
        "crm_metrics.serving.duckdb"
    )
    assert serving.default_serving_path(Path("a/b.db")) == Path("a/b.serving.db")
    assert serving.default_serving_path(Path("x")) == Path("x.serving.duckdb")
    assert serving.lock_path(Path("a/b.duckdb")) == Path("a/b.duckdb.lock")


def test_publish_copies_the_three_schemas_as_tables(tmp_path: Path) -> None:
    working = make_working(tmp_path / "w.duckdb", deals=3)
    published = serving.publish(working)

    target = tmp_path / "w.serving.duckdb"
    assert published.path == target
    assert relations(target) == [
        ("core", "fct_deals", "BASE TABLE"),
        ("data_quality", "dq_summary", "BASE TABLE"),
        ("marts", "mart_big_deals", "BASE TABLE"),
        ("marts", "mart_total", "BASE TABLE"),
        ("meta", "snapshot", "BASE TABLE"),
    ]
    # 3 deals + 1 total + 2 deals of 20 or more + 1 summary row
    assert (published.tables, published.rows) == (4, 7)
    assert query(target, "select * from core.fct_deals order by 1") == [
        ("d1", 10),
        ("d2", 20),
        ("d3", 30),
    ]
    assert query(target, "select * from marts.mart_total") == [(3, 60)]
    assert query(target, "select * from marts.mart_big_deals order by 1") == [("d2",), ("d3",)]
    info = serving.snapshot_info(target)
    assert info is not None
    assert info["snapshot_id"] == published.snapshot_id
    assert info["as_of_date"] == dt.date(2024, 6, 30)
    assert info["working_database"] == str(working.resolve())
    assert (info["table_count"], info["row_count"]) == (4, 7)
    assert info["published_at"] == published.published_at.replace(tzinfo=None)
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert published.size_bytes == target.stat().st_size
    assert leftovers(tmp_path) == []
    assert not Path(f"{target}.wal").exists()


def storage_number(path: Path) -> int:
    """The storage version number in a DuckDB file's header: a checksum (8 bytes), `DUCK`, then
    the number as a little-endian uint64 (DuckDB's storage documentation)."""
    magic, number = struct.Struct("<8x4sQ").unpack(path.read_bytes()[:20])
    assert magic == b"DUCK"
    return number


def test_the_snapshot_is_written_in_the_format_duckdb_1_0_reads(tmp_path: Path) -> None:
    working = make_working(tmp_path / "w.duckdb")
    published = serving.publish(working)
    # 64: the number DuckDB 0.10 to 1.1 write and read (DuckDB 1.x readers accept 64 and up)
    assert storage_number(published.path) == 64
    assert published.storage_version == "v1.0.0"
    info = serving.snapshot_info(published.path)
    assert info is not None and info["storage_version"] == "v1.0.0"
    # the working database keeps the installed DuckDB's newer format
    assert storage_number(working) > 64


@pytest.mark.parametrize(
    ("version", "number", "recorded"),
    [("v1.2.0", 65, "v1.2.0"), ("latest", None, f"v{duckdb.__version__}")],
)
def test_another_storage_version_is_chosen_by_the_argument(
    tmp_path: Path, version: str, number: int | None, recorded: str
) -> None:
    working = make_working(tmp_path / "w.duckdb")
    published = serving.publish(working, storage_version=version)
    expected = storage_number(working) if number is None else number
    assert storage_number(published.path) == expected
    assert published.storage_version == recorded
    assert query(published.path, "select storage_version from meta.snapshot") == [(recorded,)]
    assert query(published.path, "select * from core.fct_deals order by 1") == [
        ("d1", 10),
        ("d2", 20),
        ("d3", 30),
    ]


@pytest.mark.parametrize("version", ["1.0", "v9.9.9", "newest"])
def test_an_unknown_storage_version_publishes_nothing(tmp_path: Path, version: str) -> None:
    working = make_working(tmp_path / "w.duckdb")
    with pytest.raises(serving.PublishError, match=rf"storage version '{version}' cannot be"):
        serving.publish(working, storage_version=version)
    assert not (tmp_path / "w.serving.duckdb").exists()
    assert leftovers(tmp_path) == []


def test_an_unknown_storage_version_stops_the_build_before_it_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "w.duckdb"
    code = main(["build", "--database", str(database), "--storage-version", "v9.9.9"])
    assert code == 1
    assert "storage version 'v9.9.9' cannot be written" in capsys.readouterr().err
    assert not database.exists()


def test_a_held_reader_keeps_its_snapshot_and_new_connections_see_the_next(
    tmp_path: Path,
) -> None:
    working = make_working(tmp_path / "w.duckdb", deals=3)
    target = serving.publish(working).path
    # A reader in another process holds the file open, answering one query per input line.
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys\n"
            "con = duckdb.connect(sys.argv[1], read_only=True)\n"
            "for _ in sys.stdin:\n"
            "    print(con.execute('select deal_count from marts.mart_total').fetchone()[0],"
            " flush=True)\n",
            str(target),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin is not None and reader.stdout is not None
    try:
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "3"
        make_working(working, deals=5)
        serving.publish(working)
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "3"  # still the old, now unlinked, file
        assert query(target, "select deal_count from marts.mart_total") == [(5,)]
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert reader.returncode == 0, reader.stderr.read()


def test_a_missing_schema_publishes_nothing(tmp_path: Path) -> None:
    working = make_working(tmp_path / "w.duckdb", with_dq=False)
    with pytest.raises(serving.PublishError, match=r"no tables in schema.*data_quality"):
        serving.publish(working)
    assert not (tmp_path / "w.serving.duckdb").exists()
    assert leftovers(tmp_path) == []


def test_the_serving_file_must_differ_from_the_working_one(tmp_path: Path) -> None:
    working = make_working(tmp_path / "w.duckdb")
    with pytest.raises(serving.PublishError, match="another file"):
        serving.publish(working, working)


def test_leftovers_of_dead_publishes_are_removed(tmp_path: Path) -> None:
    working = make_working(tmp_path / "w.duckdb")
    dead = tmp_path / f".w.serving.duckdb.publishing-{dead_pid()}-0badc0de"
    dead.write_bytes(b"half a snapshot")
    Path(f"{dead}.wal").write_bytes(b"wal")
    Path(f"{dead}.tmp").mkdir()
    orphan_wal = tmp_path / f".w.serving.duckdb.publishing-{dead_pid()}-0badf00d.wal"
    orphan_wal.write_bytes(b"wal without its snapshot")
    alive = tmp_path / f".w.serving.duckdb.publishing-{os.getppid()}-00c0ffee"
    alive.write_bytes(b"another process is still writing this one")
    serving.publish(working)
    assert leftovers(tmp_path) == [alive.name]


def test_a_stale_wal_next_to_the_serving_file_is_removed(tmp_path: Path) -> None:
    working = make_working(tmp_path / "w.duckdb")
    target = serving.publish(working).path
    wal = Path(f"{target}.wal")
    wal.write_bytes(b"left by a crashed read-write client")
    serving.publish(working)
    assert not wal.exists()
    assert query(target, "select deal_count from marts.mart_total") == [(3,)]


def test_publish_refuses_while_a_client_has_the_serving_file_open_read_write(
    tmp_path: Path,
) -> None:
    working = make_working(tmp_path / "w.duckdb")
    target = serving.publish(working).path
    before = serving.snapshot_info(target)
    target.chmod(0o644)  # so that the writer can open it even when the tests do not run as root
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n",
            str(target),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        with pytest.raises(serving.PublishError, match=r"open read-write.*read-only"):
            serving.publish(working)
    finally:
        writer.kill()
        writer.wait()
    assert serving.snapshot_info(target) == before
    assert leftovers(tmp_path) == []


def test_the_build_lock_refuses_waits_and_times_out(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    messages: list[str] = []
    with serving.build_lock(database, wait_s=0) as path:
        assert json.loads(path.read_text())["pid"] == os.getpid()
        with (
            pytest.raises(serving.BuildLockedError, match="refusing") as refused,
            serving.build_lock(database, wait_s=0),
        ):
            pass
        assert f"process {os.getpid()}" in str(refused.value)
        started = time.monotonic()
        with (
            pytest.raises(serving.BuildLockedError, match=r"after waiting 0\.5 s"),
            serving.build_lock(database, wait_s=0.5, on_wait=messages.append),
        ):
            pass
        assert time.monotonic() - started >= 0.5
    assert (
        len(messages) == 1
        and f"waiting up to 0.5 s for the build of process {os.getpid()} (started " in messages[0]
    )
    assert path.read_text() == ""  # released: the holder's stamp is cleared

    # a holder that lets go within the wait: the second one gets the lock
    held = threading.Event()

    def hold() -> None:
        with serving.build_lock(database, wait_s=0):
            held.set()
            time.sleep(0.5)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    started = time.monotonic()
    with serving.build_lock(database, wait_s=10):
        waited = time.monotonic() - started
    thread.join()
    assert 0.2 <= waited < 10


def test_target_types_from_profiles() -> None:
    assert serving.is_duckdb_target("duckdb", PROJECT_DIR)
    assert not serving.is_duckdb_target("postgres", PROJECT_DIR)
    assert not serving.is_duckdb_target("spark", PROJECT_DIR)


def test_export_and_report_read_the_published_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    working = make_working(tmp_path / "w.duckdb", deals=3)
    target = serving.publish(working).path
    make_working(working, deals=4)  # the working database moved on; readers see the snapshot

    out = tmp_path / "out"
    assert main(["export", "--database", str(working), "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["database"] == str(target)
    assert manifest["as_of_date"] == "2024-06-30"
    rows = {entry["relation"]: entry["row_count"] for entry in manifest["files"]}
    assert rows == {"core.fct_deals": 3, "marts.mart_big_deals": 2, "marts.mart_total": 1}

    page = tmp_path / "report.html"
    assert main(["report", "--database", str(working), "--out", str(page)]) == 0
    assert "As of 2024-06-30" in page.read_text() and target.name in page.read_text()
    capsys.readouterr()


def test_export_without_a_snapshot_says_how_to_get_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    working = make_working(tmp_path / "w.duckdb")
    assert main(["export", "--database", str(working), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the serving database ") and "w.serving.duckdb" in err
    assert "--serving" in err and "crm-metrics build" in err
    assert len(err.strip().splitlines()) == 1


def test_negative_lock_wait_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["build", "--lock-wait", "-1"])
    assert exit_info.value.code == 2
    assert "must be 0 or more" in capsys.readouterr().err


def test_bench_times_publishing_as_its_own_phase(tmp_path: Path) -> None:
    from crm_metrics.bench import _publish_phase

    working = make_working(tmp_path / "w.duckdb", deals=3)
    phase = _publish_phase(working, tmp_path / "bench.serving.duckdb")
    assert phase.name == "publish" and phase.rows == 7 and phase.wall_s > 0
    assert query(tmp_path / "bench.serving.duckdb", "select deal_count from marts.mart_total") == [
        (3,)
    ]
