"""Whole builds and the serving database: readers held open, builds killed, builds at once.

One working database is built once for the module (60 generated deals) and published; every
test starts from whatever snapshot is published and says what it expects of the next one.
Snapshots are told apart by `meta.snapshot.snapshot_id` and by their numbers: the raw folders
have different deals, and each snapshot's deal and won counts are checked against the raw
files themselves (plain Python over Parquet, not the project's facts). Within a snapshot a
cross-mart identity must hold: deals in core.fct_opportunities = accepted opportunities in
data_quality.dq_summary, and won deals in core = won_count summed over marts.mart_win_rate =
won_count summed over marts.mart_bookings.

The tests are in this order on purpose only for speed (each reuses the working database);
none depends on what another left behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO

import pyarrow.parquet as pq
import pytest
from conftest import query

from crm_metrics import runner, serving
from crm_metrics.bench import MIN_DATA_TESTS
from crm_metrics.cli import main
from crm_metrics.generate import generate
from crm_metrics.runner import work_dir

pytestmark = pytest.mark.slow

IDENTITY_SQL = """
select
    (select snapshot_id from meta.snapshot) as snapshot_id,
    (select count(*) from core.fct_opportunities) as deals,
    (
        select sum(row_count) from data_quality.dq_summary
        where table_name = 'opportunities' and outcome = 'accepted'
    ) as accepted_deals,
    (select count(*) from core.fct_opportunities where outcome = 'won') as won_deals,
    (select sum(won_count) from marts.mart_win_rate) as win_rate_won,
    (select sum(won_count) from marts.mart_bookings) as bookings_won
"""

# A reader in its own process. held: one connection for its whole life; fresh: a new
# connection per query. One JSON line per query until the stop file appears.
READER = """
import json, sys, time
from pathlib import Path
import duckdb
path, stop, mode, sql = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
held = duckdb.connect(path, read_only=True) if mode == "held" else None
while not stop.exists():
    connection = held or duckdb.connect(path, read_only=True)
    row = connection.execute(sql).fetchone()
    if held is None:
        connection.close()
    print(json.dumps([str(value) for value in row]), flush=True)
    time.sleep(0.05)
"""

# `crm-metrics build` that stops (sleeps, to be killed) at a point: after some dbt nodes have
# finished, after a few tables were copied into the temporary snapshot, or with the snapshot
# written and fsynced but not yet renamed into place (publishing the working database as the
# build killed at "copy" left it: its dbt build had finished). It writes the point to the ready
# file.
KILLABLE_BUILD = """
import sys, time
from pathlib import Path
point, ready, argv = sys.argv[1], Path(sys.argv[2]), sys.argv[3:]
from crm_metrics import cli, serving

def stop_here():
    ready.write_text(point)
    time.sleep(3600)

if point == "dbt":
    from dbt.cli import main as dbt_main
    original_init = dbt_main.dbtRunner.__init__
    finished = []
    def on_event(event):
        if event.info.name == "NodeFinished":
            finished.append(event)
            if len(finished) == 120:
                stop_here()
    def init(self, manifest=None, callbacks=None):
        original_init(self, manifest=manifest, callbacks=[*(callbacks or []), on_event])
    dbt_main.dbtRunner.__init__ = init
elif point == "copy":
    original_copy = serving._copy_relation
    copied = []
    def copy(connection, schema, name):
        rows = original_copy(connection, schema, name)
        copied.append(name)
        if len(copied) == 5:
            stop_here()
        return rows
    serving._copy_relation = copy
elif point == "rename":
    # dbt is not run again: the working database is whole from the build killed at "copy"
    from crm_metrics import runner
    runner.build = lambda database, **options: []
    serving._swap_into_place = lambda temp, path: stop_here()
sys.exit(cli.main(argv))
"""


def expected_numbers(raw: Path) -> tuple[int, int]:
    """(deals, won deals) from the raw files: a deal is won when its latest history row's stage
    is a won stage; a deal without history rows has its current stage (the raw contract gives
    it one history row with that stage)."""
    won_stages = {
        row["stage_name"]
        for row in pq.read_table(raw / "stages.parquet").to_pylist()
        if row["is_won"]
    }
    stage = {
        row["opportunity_id"]: row["stage_name"]
        for row in pq.read_table(raw / "opportunities.parquet").to_pylist()
    }
    latest: dict[str, object] = {}
    for row in pq.read_table(raw / "opportunity_history.parquet").to_pylist():
        key = row["opportunity_id"]
        if key in stage and (key not in latest or row["changed_at"] > latest[key]):
            latest[key] = row["changed_at"]
            stage[key] = row["stage_name"]
    return len(stage), sum(name in won_stages for name in stage.values())


def check_identity(row: list) -> tuple[str, int, int]:
    """Assert the cross-mart identity on one query's row; return (snapshot id, deals, won)."""
    snapshot_id, deals, accepted, won, win_rate_won, bookings_won = row
    assert deals == accepted, row
    assert won == win_rate_won == bookings_won, row
    return str(snapshot_id), int(deals), int(won)


def current(serving_db: Path) -> tuple[str, int, int]:
    (row,) = query(serving_db, IDENTITY_SQL)
    return check_identity([str(value) for value in row])


def from_new_process(serving_db: Path) -> tuple[str, int, int]:
    code = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "print(json.dumps([str(v) for v in con.execute(sys.argv[2]).fetchone()]))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code, str(serving_db), IDENTITY_SQL],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return check_identity(json.loads(output))


def collect(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if ".publishing-" in path.name)


def run_results_by_type(database: Path) -> dict[str, int]:
    """Nodes of the last build of `database` that ran, per resource type (run_results.json)."""
    results = json.loads((work_dir(database) / "target" / "run_results.json").read_text())
    return dict(Counter(r["unique_id"].split(".")[0] for r in results["results"]))


def build_argv(raw: Path, database: Path, *extra: str) -> list[str]:
    return ["build", "--raw-dir", str(raw), "--database", str(database), *extra]


@pytest.fixture(scope="module")
def raws(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("serving_raw")
    sizes = {"a": (60, 3), "b": (75, 4), "c": (90, 5)}
    folders = {}
    for name, (deals, seed) in sizes.items():
        folders[name] = base / name
        generate(folders[name], opportunities=deals, seed=seed, fmt="parquet")
    return folders


@pytest.fixture(scope="module")
def numbers(raws: dict[str, Path]) -> dict[str, tuple[int, int]]:
    found = {name: expected_numbers(raw) for name, raw in raws.items()}
    assert len(set(found.values())) == len(found)  # the builds can be told apart by numbers
    return found


@pytest.fixture(scope="module")
def working(raws: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("serving") / "crm.duckdb"
    outcome = serving.build_and_publish(database, raw_dir=raws["a"], progress=False)
    assert outcome.published is not None
    return database


def test_a_reader_holds_the_serving_database_through_two_builds(
    working: Path,
    raws: dict[str, Path],
    numbers: dict[str, tuple[int, int]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serving_db = serving.default_serving_path(working)
    first_id, *_ = current(serving_db)
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, str(serving_db), str(stop), mode, IDENTITY_SQL],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("held", "fresh")
    }
    # read their output as it comes (a full pipe would block them)
    lines: dict[str, list[str]] = {mode: [] for mode in readers}
    threads = [
        threading.Thread(target=collect, args=(reader.stdout, lines[mode]))
        for mode, reader in readers.items()
    ]
    for thread in threads:
        thread.start()

    def wait_for(mode: str, text: str) -> None:
        deadline = time.monotonic() + 120
        while not any(text in line for line in list(lines[mode])):
            assert readers[mode].poll() is None, readers[mode].stderr.read()
            assert time.monotonic() < deadline, f"the {mode} reader never saw {text}"
            time.sleep(0.05)

    try:
        # both readers have the file open before the first build starts
        for mode in readers:
            wait_for(mode, first_id)
        for name in ("b", "c"):
            assert main(build_argv(raws[name], working)) == 0
            assert f"published {serving_db}" in capsys.readouterr().out
            # a raw-folder build leaves out dbt's unit tests (and still publishes), never a
            # data test
            ran = run_results_by_type(working)
            assert "unit_test" not in ran and ran["test"] >= MIN_DATA_TESTS
        last_id, deals, won = from_new_process(serving_db)
        assert (deals, won) == numbers["c"]
        wait_for("fresh", last_id)
    finally:
        stop.write_text("")
        for reader in readers.values():
            reader.wait(timeout=60)
        for thread in threads:
            thread.join(timeout=60)
        errors = {mode: reader.stderr.read() for mode, reader in readers.items()}
    for mode, reader in readers.items():
        assert reader.returncode == 0 and errors[mode] == "", errors[mode]

    seen = {mode: [check_identity(json.loads(line)) for line in lines[mode]] for mode in readers}
    # each snapshot is one build's numbers, whole
    for rows in seen.values():
        for snapshot_id, deals, won in rows:
            assert (deals, won) in numbers.values()
            assert {(d, w) for s, d, w in rows if s == snapshot_id} == {(deals, won)}
    # the held connection kept the first snapshot all along
    assert {snapshot_id for snapshot_id, _, _ in seen["held"]} == {first_id}
    # new connections moved forward through the snapshots, never back, ending on the last
    order = [first_id]
    for snapshot_id, _, _ in seen["fresh"]:
        if snapshot_id != order[-1]:
            assert snapshot_id not in order, "a new connection saw an older snapshot"
            order.append(snapshot_id)
    assert order[-1] == last_id and len(order) == 3


def kill_at(point: str, argv: list[str], ready: Path, serving_db: Path) -> None:
    """Run a build that stops at `point`, SIGKILL it there."""
    child = subprocess.Popen(
        [sys.executable, "-c", KILLABLE_BUILD, point, str(ready), *argv],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 900
        while not ready.exists():
            assert child.poll() is None, f"the build ended before {point}: {child.stderr.read()}"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        if point != "dbt":
            assert leftovers(serving_db.parent), "the temporary snapshot is being written"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL


def test_builds_killed_at_three_points_leave_the_last_good_snapshot(
    working: Path,
    raws: dict[str, Path],
    numbers: dict[str, tuple[int, int]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Killed in turn: while dbt builds the models (the working database is half rebuilt), while
    # the snapshot is being copied, and with the snapshot written but not renamed into place.
    # Each build starts with --lock-wait 0 (the killed build's lock went with it). The one
    # killed at "copy" got through its whole dbt build after the one killed in dbt (the working
    # database recovered); the one killed at "rename" and the last one publish that database
    # without running dbt again (a build that runs dbt and publishes is the reader test's).
    serving_db = serving.default_serving_path(working)
    before = current(serving_db)
    name = next(name for name in raws if numbers[name] != before[1:])
    for point in ("dbt", "copy", "rename"):
        argv = build_argv(raws[name], working, "--lock-wait", "0")
        kill_at(point, argv, tmp_path / f"ready-{point}", serving_db)
        # the last good snapshot is in place, whole, for this process and a new one
        assert current(serving_db) == before, point
        assert from_new_process(serving_db) == before, point

    # the next publish succeeds; the killed publishes' files are cleaned up
    monkeypatch.setattr(runner, "build", lambda database, **options: [])
    assert main(build_argv(raws[name], working, "--lock-wait", "0")) == 0
    assert f"published {serving_db}" in capsys.readouterr().out
    snapshot_id, deals, won = current(serving_db)
    assert snapshot_id != before[0] and (deals, won) == numbers[name]
    assert leftovers(serving_db.parent) == []


def test_failed_and_partial_builds_publish_nothing(
    working: Path,
    raws: dict[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    serving_db = serving.default_serving_path(working)
    before = current(serving_db)

    broken = tmp_path / "broken"
    broken.mkdir()
    for path in raws["b"].glob("*.parquet"):
        if path.name != "accounts.parquet":  # a required table
            (broken / path.name).write_bytes(path.read_bytes())
    assert main(build_argv(broken, working)) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: dbt build failed") and "accounts" in lines[0]
    assert lines[-1].startswith(
        f"nothing published: readers keep the last good snapshot {serving_db} (published "
    )
    assert current(serving_db) == before

    assert main(build_argv(raws["b"], working, "--select", "stg_crm__users")) == 0
    out = capsys.readouterr().out
    assert "not published (a partial build; only a whole-project build publishes)" in out
    assert f"readers keep the last good snapshot {serving_db}" in out
    assert current(serving_db) == before

    argv = build_argv(raws["b"], working, "--select", "stg_crm__users", "--no-publish")
    assert main(argv) == 0
    assert "not published (--no-publish;" in capsys.readouterr().out
    assert current(serving_db) == before


def test_leaving_out_only_unit_tests_still_publishes(
    working: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which builds publish, decided on the options: dbt is not run again (runner.build is
    replaced by one returning no node), the working database of the module's build is
    published as it is."""
    asked: list[dict] = []
    monkeypatch.setattr(runner, "build", lambda database, **options: asked.append(options) or [])
    serving_db = serving.default_serving_path(working)
    before = current(serving_db)

    excluded = serving.build_and_publish(
        working, exclude=["mart_win_rate"], unit_tests=False, progress=False
    )
    assert excluded.published is None and "a partial build" in excluded.message
    assert current(serving_db) == before

    outcome = serving.build_and_publish(working, unit_tests=False, progress=False)
    assert outcome.published is not None and outcome.published.path == serving_db
    assert current(serving_db)[0] != before[0]
    assert [options["unit_tests"] for options in asked] == [False, False]


def test_two_builds_at_once_wait_or_refuse(raws: dict[str, Path], tmp_path: Path) -> None:
    database = tmp_path / "two.duckdb"
    lock = serving.lock_path(database)
    partial = build_argv(raws["a"], database, "--select", "stg_crm__users", "stg_crm__accounts")
    command = [sys.executable, "-m", "crm_metrics.cli"]

    def holder() -> int | None:
        try:
            return json.loads(lock.read_text() or "{}").get("pid")
        except (OSError, ValueError):
            return None

    first = subprocess.Popen([*command, *partial], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while holder() != first.pid:
        assert first.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)

    refused = subprocess.run(
        [*command, *partial, "--lock-wait", "0"], capture_output=True, text=True, timeout=120
    )
    second = subprocess.Popen(
        [*command, *partial, "--lock-wait", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # who holds the lock, in turn, until both have finished
    turns = [first.pid]
    deadline = time.monotonic() + 600
    while first.poll() is None or second.poll() is None:
        now = holder()
        if now is not None and now != turns[-1]:
            turns.append(now)
        assert time.monotonic() < deadline
        time.sleep(0.02)
    first_out, _ = first.communicate()
    second_out, second_err = second.communicate()

    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert line.startswith(f"error: the build of process {first.pid}")
    assert f"is writing the working database {database}; refusing" in line

    assert first.returncode == 0 and second.returncode == 0, second_err
    assert f"waiting up to 300 s for the build of process {first.pid} (started " in second_err
    # the second build got the lock once the first had let go, and never the other way
    # round: the two did not interleave
    assert turns == [first.pid, second.pid]
    assert "not published (a partial build" in first_out + second_out
    assert lock.read_text() == ""  # released
