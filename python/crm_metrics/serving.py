"""The serving database that readers open, and the lock that keeps one build per working database.

The build writes its working database (`--database`) in place, table by table. Readers (BI
tools, SQL clients, notebooks, `export`, `report`) open the serving database instead: after a
build of the whole project whose models and tests all passed, the tables of `core`, `marts` and
`data_quality` are copied into a new DuckDB file next to the serving path, flushed to disk
(fsync) and renamed over it (`os.replace`, atomic on POSIX). A reader that has the old file open
keeps reading it (the unlinked file lives on until its last reader closes it); a connection
opened afterwards sees the new file. Nothing is ever written into the serving file in place.

Layout of a snapshot: the schemas `core`, `marts` and `data_quality` with real tables (views in
the working database are materialised), plus `meta.snapshot`, one row describing the snapshot
(id, publish time, as_of_date, working database, dbt invocation id, storage version).

Storage version: the working database is in the format of the DuckDB the package pins (2.0,
storage version 69), which DuckDB 1.x cannot open ("can only read versions between 64 and 68"),
and the DuckDB engines embedded in BI tools and SQL clients are 1.x. So the snapshot is written
in the storage format of `DEFAULT_STORAGE_VERSION` (v1.0.0: storage version 64, which every
DuckDB from 1.0.0 on reads; the oldest a DuckDB 2.0 writes). What we publish needs nothing
newer: integers, decimal(18,2), double, varchar, boolean, date and timestamp columns in plain
tables, no newer type (variant, geometry) and no catalog feature of a later format. What a later
format adds is compression only (a smaller file, not other values). `storage_version` (the
`--storage-version` option) chooses another: a `vX.Y.Z` DuckDB release, or `latest`.

Rules:
- A partial build (`--select` or `--exclude`), a failed build, `--no-publish` and non-DuckDB
  targets publish nothing; the last good snapshot stays. A build that leaves out only dbt's unit
  tests (`unit_tests=False`: they check the code, not the data; every data test still runs) is
  whole and publishes.
- The serving file is made read-only (mode 0444): a client opening it read-write fails at once
  instead of taking DuckDB's exclusive lock. Publishing refuses while a process has it open
  read-write anyway (root ignores file modes), since such a client would write a `.wal` file
  next to it that DuckDB would replay onto the next snapshot.
- A publish that dies half way (SIGKILL, power loss) leaves a hidden
  `.<serving name>.publishing-<pid>-<hex>` file; the next publish removes those of dead processes.

The working database has one writer: a build holds an exclusive `flock` on `<database>.lock`
(created next to it, never removed) from before `dbt seed` until after publishing. A second
build waits up to `lock_wait` seconds (saying whom it waits for), then gives up with a message;
`lock_wait=0` refuses at once. The lock goes with its process: a killed build frees it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crm_metrics.errors import CrmMetricsError, DbtNodesFailedError

PUBLISHED_SCHEMAS = ("core", "marts", "data_quality")
SNAPSHOT_TABLE = "meta.snapshot"
# The oldest storage format DuckDB 2.0 writes; DuckDB 1.0.0 and every later release read it.
DEFAULT_STORAGE_VERSION = "v1.0.0"
_STORAGE_VERSION = re.compile(r"^(v\d+\.\d+\.\d+|latest)$")
DEFAULT_LOCK_WAIT_S = 600.0
MEMORY_ENV_VAR = "CRM_METRICS_DUCKDB_MEMORY_LIMIT"
_TEMP_PATTERN = re.compile(r"\.publishing-(?P<pid>\d+)-[0-9a-f]+$")


class BuildLockedError(CrmMetricsError):
    """Another build holds the working database's lock (and did not let go in time)."""


class PublishError(CrmMetricsError):
    """The snapshot could not be written or renamed into place; the old one stays."""


@dataclass(frozen=True)
class Published:
    """What one publish wrote."""

    path: Path
    snapshot_id: str
    published_at: dt.datetime
    tables: int
    rows: int
    size_bytes: int
    seconds: float
    storage_version: str = DEFAULT_STORAGE_VERSION


@dataclass
class BuildOutcome:
    """A successful build's node results, what was published (None: nothing) and why."""

    results: list
    published: Published | None
    message: str
    serving: Path | None = None
    database: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # the raw tables' load markers after the build (crm_metrics.freshness.collect; None: not
    # measured, a target other than DuckDB)
    freshness: list | str | None = None


def default_serving_path(database: Path) -> Path:
    """`<name>.serving.duckdb` next to the working database (`crm_metrics.serving.duckdb`)."""
    database = Path(database)
    return database.with_name(f"{database.stem}.serving{database.suffix or '.duckdb'}")


def lock_path(database: Path) -> Path:
    """The build lock file of a working database: `<database>.lock` next to it."""
    return Path(f"{Path(database)}.lock")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- the build lock ------------------------------------------------------------------------------


def _holder(path: Path) -> str:
    """Who holds the lock, from what the holder wrote into the lock file."""
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "another build"
    where = "" if info.get("host") in (None, socket.gethostname()) else f" on {info['host']}"
    started = f" (started {info['started_at']})" if info.get("started_at") else ""
    return f"the build of process {info['pid']}{where}{started}"


@contextlib.contextmanager
def build_lock(
    database: Path,
    *,
    wait_s: float = DEFAULT_LOCK_WAIT_S,
    on_wait: Callable[[str], None] | None = None,
    poll_s: float = 0.2,
) -> Iterator[Path]:
    """Hold the working database's exclusive build lock for the duration of the block.

    Waits up to `wait_s` seconds for another holder (calling `on_wait` once with a message
    naming it), then raises BuildLockedError; `wait_s=0` refuses at once.
    """
    database = Path(database).expanduser().resolve()
    path = lock_path(database)
    database.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait_s, 0.0)
        waited = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _holder(path)
                if time.monotonic() >= deadline:
                    if wait_s <= 0:
                        raise BuildLockedError(
                            f"{holder} is writing the working database {database}; refusing to "
                            "start a second build on it (lock wait 0 s): retry when it has "
                            "finished, or pass --lock-wait SECONDS to wait for it"
                        ) from None
                    raise BuildLockedError(
                        f"{holder} is still writing the working database {database} after "
                        f"waiting {wait_s:g} s; nothing was built: retry later, or pass a longer "
                        "--lock-wait"
                    ) from None
                if not waited and on_wait is not None:
                    on_wait(
                        f"waiting up to {wait_s:g} s for {holder} to finish with the working "
                        f"database {database} (lock {path})"
                    )
                waited = True
                time.sleep(poll_s)
        stamp = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "command": " ".join(sys.argv),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, (json.dumps(stamp) + "\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(descriptor, 0)
            fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


# --- publishing ----------------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _remove_temp(temp: Path) -> None:
    """A temporary snapshot with DuckDB's companions (`.wal`, spill folder `.tmp`)."""
    _remove_file(temp)
    _remove_file(Path(f"{temp}.wal"))
    shutil.rmtree(Path(f"{temp}.tmp"), ignore_errors=True)


def remove_stale_temp_files(serving: Path) -> list[Path]:
    """Remove temporary snapshots of `serving` left by publishes whose process is gone."""
    removed = []
    for candidate in serving.parent.glob(f".{serving.name}.publishing-*"):
        # the snapshot itself, or a `.wal` / `.tmp` companion that outlived it
        temp = candidate.with_name(candidate.name.removesuffix(".wal").removesuffix(".tmp"))
        found = _TEMP_PATTERN.search(temp.name)
        if found is None or temp in removed:
            continue
        pid = int(found.group("pid"))
        if pid != os.getpid() and not _pid_alive(pid):
            _remove_temp(temp)
            removed.append(temp)
    return removed


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _writer_holds(serving: Path) -> bool:
    """True when a process holds DuckDB's write lock on `serving` (opened it read-write)."""
    try:
        descriptor = os.open(serving, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        # DuckDB takes an fcntl write lock for a read-write open and a read lock for a
        # read-only one: a shared lock is refused only while a writer holds the file. (fcntl
        # locks are per process: closing this descriptor would also drop a lock that a DuckDB
        # connection of this very process holds on the file; builds hold none.)
        fcntl.lockf(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(descriptor, fcntl.LOCK_UN)
        return False
    finally:
        os.close(descriptor)


def _invocation_id(database: Path) -> str | None:
    """dbt's invocation id of the last build of `database` (its run_results.json)."""
    from crm_metrics.runner import work_dir

    try:
        results = json.loads((work_dir(database) / "target" / "run_results.json").read_text())
        return str(results["metadata"]["invocation_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _copy_relation(connection: Any, schema: str, name: str) -> int:
    """One table (or view, materialised) of the working database into the snapshot."""
    relation = f"{_identifier(schema)}.{_identifier(name)}"
    connection.execute(f"create table {relation} as select * from working.{relation}")
    (rows,) = connection.execute(f"select count(*) from {relation}").fetchone()
    return int(rows)


def check_storage_version(version: str) -> str:
    """`version` when the installed DuckDB can write that storage format, else PublishError."""
    import duckdb

    text = str(version).strip()
    problem = None
    if not _STORAGE_VERSION.match(text):
        problem = "it is not a DuckDB release such as v1.0.0, nor latest"
    else:
        try:
            duckdb.connect(":memory:", config={"storage_compatibility_version": text}).close()
        except duckdb.Error:
            problem = f"DuckDB {duckdb.__version__} knows no release {text}"
    if problem is not None:
        raise PublishError(
            f"storage version {version!r} cannot be written: {problem}; give the oldest DuckDB "
            f"release your readers run (default {DEFAULT_STORAGE_VERSION}: DuckDB 1.0.0 and "
            "later read it), or latest"
        )
    return text


def _write_snapshot(
    database: Path,
    temp: Path,
    snapshot_id: str,
    published_at: dt.datetime,
    storage_version: str,
) -> tuple[int, int, str]:
    """Write every table of PUBLISHED_SCHEMAS of `database`, plus meta.snapshot, into `temp`.

    Returns the table count, the row count and the storage version DuckDB wrote (its tag, e.g.
    `v1.0.0`: the oldest DuckDB release that reads the file).
    """
    import duckdb

    # A new file takes the format of storage_compatibility_version (the working database,
    # attached below, keeps its own).
    connection = duckdb.connect(
        str(temp), config={"storage_compatibility_version": storage_version}
    )
    try:
        (written,) = connection.execute(
            "select tags['storage_version'] from duckdb_databases() "
            "where database_name = current_database()"
        ).fetchone()
        written = str(written or storage_version).removesuffix("+")
        memory_limit = os.environ.get(MEMORY_ENV_VAR, "6GB")
        connection.execute(f"set memory_limit = {_literal(memory_limit)}")
        connection.execute("set enable_progress_bar = false")  # the CLI prints its own lines
        connection.execute(f"attach {_literal(str(database))} as working (read_only)")
        relations = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'working' and table_schema in (?, ?, ?) "
            "order by table_schema, table_name",
            list(PUBLISHED_SCHEMAS),
        ).fetchall()
        missing = sorted(set(PUBLISHED_SCHEMAS) - {schema for schema, _ in relations})
        if missing:
            raise PublishError(
                f"the working database {database} has no tables in schema(s) "
                f"{', '.join(missing)}; a whole-project build creates them"
            )
        for schema in PUBLISHED_SCHEMAS:
            connection.execute(f"create schema {_identifier(schema)}")
        rows = sum(_copy_relation(connection, schema, name) for schema, name in relations)
        as_of = None
        with contextlib.suppress(duckdb.Error):
            (as_of,) = connection.execute(
                "select max(as_of_date) from working.intermediate.int_as_of_date"
            ).fetchone()
        connection.execute("create schema meta")
        connection.execute(
            "create table meta.snapshot as select "
            "?::varchar as snapshot_id, ?::timestamp as published_at, ?::date as as_of_date, "
            "?::varchar as working_database, ?::varchar as dbt_invocation_id, "
            "?::integer as table_count, ?::bigint as row_count, ?::varchar as storage_version",
            [
                snapshot_id,
                published_at.replace(tzinfo=None),
                as_of,
                str(database),
                _invocation_id(database),
                len(relations),
                rows,
                written,
            ],
        )
        connection.execute("detach working")
        connection.execute("checkpoint")
    finally:
        connection.close()
    return len(relations), rows, written


def _swap_into_place(temp: Path, serving: Path) -> None:
    """Rename the finished snapshot over the serving path and make the rename durable."""
    wal = Path(f"{serving}.wal")
    if _writer_holds(serving):
        raise PublishError(
            f"a process has the serving database {serving} open read-write; readers must open "
            "it read-only (duckdb -readonly, read_only=True): close that client and build again"
        )
    # No writer: a .wal next to the serving file is left over from a crashed read-write client
    # and would be replayed onto the new snapshot.
    _remove_file(wal)
    with contextlib.suppress(OSError):  # a file system without modes still gets the snapshot
        os.chmod(temp, 0o444)
    os.replace(temp, serving)
    directory = os.open(serving.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def publish(
    database: Path,
    serving: Path | None = None,
    storage_version: str = DEFAULT_STORAGE_VERSION,
) -> Published:
    """Publish `core`, `marts` and `data_quality` of the working database as the serving file.

    `storage_version` is the DuckDB release whose storage format the file is written in (see the
    module's docstring). Raises PublishError (the previous snapshot stays in place) when it cannot.
    """
    import duckdb

    storage_version = check_storage_version(storage_version)
    database = Path(database).expanduser().resolve()
    serving = Path(serving or default_serving_path(database)).expanduser().resolve()
    if serving == database:
        raise PublishError(
            f"the serving database must be another file than the working database {database}"
        )
    if not database.is_file():
        raise PublishError(f"the working database {database} does not exist; build it first")
    serving.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(serving)
    started = time.perf_counter()
    snapshot_id = uuid.uuid4().hex
    published_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    temp = serving.with_name(f".{serving.name}.publishing-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        tables, rows, written = _write_snapshot(
            database, temp, snapshot_id, published_at, storage_version
        )
        _fsync(temp)
        size = temp.stat().st_size
        _swap_into_place(temp, serving)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PublishError(f"publishing {serving} failed: {first}") from None
    except OSError as exc:
        raise PublishError(f"publishing {serving} failed: {exc.strerror or exc}") from None
    finally:
        _remove_temp(temp)
    return Published(
        path=serving,
        snapshot_id=snapshot_id,
        published_at=published_at,
        tables=tables,
        rows=rows,
        size_bytes=size,
        seconds=round(time.perf_counter() - started, 2),
        storage_version=written,
    )


def snapshot_info(serving: Path) -> dict[str, Any] | None:
    """meta.snapshot of the serving file as a dict, or None when there is no readable snapshot."""
    import duckdb

    serving = Path(serving).expanduser().resolve()
    if not serving.is_file():
        return None
    try:
        connection = duckdb.connect(str(serving), read_only=True)
    except duckdb.Error:
        return None
    try:
        cursor = connection.execute(f"select * from {SNAPSHOT_TABLE}")
        row = cursor.fetchone()
        columns = [column[0] for column in cursor.description]
    except duckdb.Error:
        return None
    finally:
        connection.close()
    return dict(zip(columns, row, strict=True)) if row else None


def as_of_date(connection: Any) -> Any:
    """The snapshot's as_of_date (meta.snapshot), else the working database's (int_as_of_date)."""
    for schema, table, column in (
        ("meta", "snapshot", "as_of_date"),
        ("intermediate", "int_as_of_date", "as_of_date"),
    ):
        (exists,) = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()
        if exists:
            row = connection.execute(f"select max({column}) from {schema}.{table}").fetchone()
            return row[0] if row else None
    return None


def as_of_text(connection: Any) -> str | None:
    """as_of_date as ISO text (`YYYY-MM-DD`), for a manifest or a page; None when there is none."""
    value = as_of_date(connection)
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def kept_snapshot_note(serving: Path) -> str:
    """One line for a build that published nothing: what readers keep seeing."""
    info = snapshot_info(serving)
    if info is None:
        return (
            f"nothing published: there is no serving database {serving} yet (the first "
            "successful whole-project build publishes it)"
        )
    as_of = f", as of {info['as_of_date']}" if info.get("as_of_date") else ""
    return (
        f"nothing published: readers keep the last good snapshot {serving} (published "
        f"{info['published_at']} UTC{as_of})"
    )


def missing_snapshot_error(serving: Path, database: Path | None) -> CrmMetricsError:
    """For `export` / `report` when the serving file is not there."""
    hint = ""
    if database is not None and Path(database).expanduser().is_file():
        hint = (
            f" (the working database {Path(database).expanduser().resolve()} exists: its last "
            "build was partial, failed or ran with --no-publish; pass --serving with its path "
            "to read it directly, but not while a build writes it)"
        )
    return CrmMetricsError(
        f"the serving database {serving} does not exist{hint}; run a whole-project "
        "`crm-metrics build` first (it publishes the serving database)"
    )


def is_duckdb_target(target: str, project_dir: Path) -> bool:
    """Whether profiles.yml's `target` uses dbt-duckdb (only those write a working file)."""
    try:
        profiles = yaml.safe_load((project_dir / "profiles.yml").read_text(encoding="utf-8"))
        output = profiles["crm_metrics"]["outputs"][target]
        return str(output["type"]).lower() == "duckdb"
    except (OSError, yaml.YAMLError, KeyError, TypeError):
        return target == "duckdb"


def _with_note(exc: CrmMetricsError, note: str) -> CrmMetricsError:
    """The same error with `note` as its last line."""
    message = f"{exc}\n{note}"
    if isinstance(exc, DbtNodesFailedError):
        return DbtNodesFailedError(message, exc.results)
    try:
        return type(exc)(message)
    except TypeError:
        return CrmMetricsError(message)


def _describe(published: Published) -> str:
    size_mb = published.size_bytes / 1024 / 1024
    return (
        f"published {published.path} ({published.tables} tables, {published.rows:,} rows, "
        f"{size_mb:.1f} MB, in {published.seconds:.1f} s; storage {published.storage_version}, "
        "readable by that DuckDB release and later): open it read-only"
    )


def build_and_publish(
    database: Path,
    *,
    serving: Path | None = None,
    publish_snapshot: bool = True,
    lock_wait: float = DEFAULT_LOCK_WAIT_S,
    on_wait: Callable[[str], None] | None = None,
    storage_version: str = DEFAULT_STORAGE_VERSION,
    **build_options: Any,
) -> BuildOutcome:
    """`runner.build` under the working database's lock, then publish when the build was whole.

    build_options are runner.build's (raw_dir, select, exclude, full_refresh, vars, as_of_date,
    target, progress, project_dir, unit_tests); `unit_tests=False` alone is not partial. A
    failed build raises its CrmMetricsError with a last line saying that readers keep the last
    good snapshot. An unknown `storage_version` fails before anything is built.
    """
    from crm_metrics.runner import PROJECT_DIR, build

    storage_version = check_storage_version(storage_version)
    database = Path(database).expanduser().resolve()
    target = build_options.get("target", "duckdb")
    if not is_duckdb_target(target, build_options.get("project_dir", PROJECT_DIR)):
        results = build(database, **build_options)
        return BuildOutcome(
            results,
            None,
            f"not published: target {target} is not DuckDB (its readers query the warehouse)",
        )
    serving = Path(serving or default_serving_path(database)).expanduser().resolve()
    if serving == database:
        raise CrmMetricsError(
            f"--serving must name another file than the working database {database}; "
            f"the default is {default_serving_path(database)}"
        )
    partial = bool(build_options.get("select") or build_options.get("exclude"))
    try:
        with build_lock(database, wait_s=lock_wait, on_wait=on_wait):
            results = build(database, **build_options)
            freshness = _freshness(database, build_options)
            if not publish_snapshot or partial:
                reason = "--no-publish" if not publish_snapshot else "a partial build"
                kept = kept_snapshot_note(serving).removeprefix("nothing published: ")
                return BuildOutcome(
                    results,
                    None,
                    f"not published ({reason}; only a whole-project build publishes): {kept}",
                    serving,
                    database,
                    freshness=freshness,
                )
            published = publish(database, serving, storage_version)
    except CrmMetricsError as exc:
        # Without a serving file there is nothing to keep: the error stays one line.
        if not serving.is_file():
            raise
        raise _with_note(exc, kept_snapshot_note(serving)) from None
    return BuildOutcome(
        results, published, _describe(published), serving, database, freshness=freshness
    )


def _freshness(database: Path, build_options: dict[str, Any]) -> list | str:
    """The raw tables' freshness, read while the build still holds the working database (from
    the manifest the build wrote): crm_metrics.freshness.collect."""
    from crm_metrics.freshness import collect
    from crm_metrics.runner import work_dir

    variables = dict(build_options.get("vars") or {})
    return collect(database, work_dir(database) / "target" / "manifest.json", variables)
