"""Run dbt in-process: build the arguments, invoke dbtRunner, turn failures into CrmMetricsError.

dbt's own console output is switched off (`--log-level none`); progress is shown from dbt's event
callbacks instead (`crm_metrics.progress` for `crm-metrics build`, one line per finished node
for a plain `run_dbt`), and dbt's full debug log is kept in a
per-database work folder (see `work_dir`), next to its `target/` folder. Each database file gets
its own work folder, so concurrent builds of different databases (parallel tests, several
engineers on one machine) never share dbt's target/ or logs/.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crm_metrics.errors import CrmMetricsError, DbtNodesFailedError, is_lock_error, lock_error
from crm_metrics.paths import PROJECT_DIR

DATABASE_ENV_VAR = "CRM_METRICS_DUCKDB_PATH"

# Statuses of dbt's RunResult that mean the node did not do its job.
FAILED_STATUSES = frozenset({"error", "fail", "runtime error"})
STATUS_LABELS = {
    "success": "OK",
    "pass": "PASS",
    "error": "ERROR",
    "fail": "FAIL",
    "warn": "WARN",
    "skipped": "SKIP",
    "runtime error": "ERROR",
    "no-op": "NO-OP",
}


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class NodeResult:
    name: str
    status: str
    message: str | None
    resource_type: str = ""

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


def work_dir(database: Path) -> Path:
    """dbt's target/ and logs/ folder for one database file, under the system temp folder."""
    resolved = database.expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / "crm-metrics" / f"{resolved.stem}-{digest}"


@contextmanager
def _database_env(database: Path) -> Iterator[None]:
    """Point profiles.yml at `database` for the duration of one invoke."""
    previous = os.environ.get(DATABASE_ENV_VAR)
    os.environ[DATABASE_ENV_VAR] = str(database)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(DATABASE_ENV_VAR, None)
        else:
            os.environ[DATABASE_ENV_VAR] = previous


class _Progress:
    """dbtRunner callback printing `[12/140] OK model stg_crm__users (0.1s)` per finished node."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.total = 0
        self.done = 0

    def __call__(self, event: Any) -> None:
        name = event.info.name
        if name == "ConcurrencyLine":
            self.total = int(event.data.node_count)
        elif name == "NodeFinished":
            node = event.data.node_info
            result = event.data.run_result
            label = STATUS_LABELS.get(result.status, result.status.upper())
            with self.lock:  # dbt's worker threads finish nodes concurrently
                self.done += 1
                stream = self.stream or sys.stdout
                stream.write(
                    f"[{self.done}/{max(self.total, self.done)}] {label} {node.resource_type} "
                    f"{node.node_name} ({result.execution_time:.1f}s)\n"
                )
                stream.flush()


def one_line(text: str | None) -> str:
    """dbt's message on one line, without the macro call chain (it is in the log)."""
    line = " ".join(part.strip() for part in (text or "").splitlines() if part.strip())
    return line.split(" > in macro ")[0]


def _close_duckdb() -> None:
    """Close the database dbt-duckdb keeps open between invokes.

    dbt-duckdb holds its DuckDB connection in a class-level environment that can outlive the
    invoke (its handle count does not always return to the state that closes it), which keeps
    the file locked against other processes for as long as this process runs (a test session,
    a notebook). Closing it here is safe: the next invoke opens a new one.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter (target) without dbt-duckdb
        return
    environment = getattr(DuckDBConnectionManager, "_ENV", None)
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def dbt_args(
    command: list[str],
    *,
    database: Path,
    target: str,
    vars: dict | None,
    project_dir: Path,
) -> list[str]:
    """The full argument list for dbtRunner.invoke (global options after the subcommand)."""
    folder = work_dir(database)
    return [
        *command,
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        "--target",
        target,
        "--vars",
        json.dumps(vars or {}, default=str),
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
        "--log-level",
        "none",
        "--log-level-file",
        "debug",
        "--no-use-colors",
        "--no-send-anonymous-usage-stats",
    ]


_RAW_FILE_PATTERN = re.compile(
    r"(?:files|file=|file) ?[\"']?(?P<path>[^\"'\n]+\.(?:csv|parquet))[\"']?", re.IGNORECASE
)
_READER_ERROR = re.compile(
    r"Error when sniffing file|CSV Error|No magic bytes|Invalid Input Error|Invalid unicode",
    re.IGNORECASE,
)


def raw_file_error(text: str) -> str | None:
    """A one-line cause and hint for DuckDB's error on a malformed raw file, else None."""
    found = _RAW_FILE_PATTERN.search(text)
    if found is None or not _READER_ERROR.search(text):
        return None
    path = found.group("path")
    kind = "Parquet" if path.lower().endswith(".parquet") else "CSV"
    first = next((line for line in text.splitlines() if "Error:" in line), text)
    first = first.rsplit("Error:", 1)[-1].strip().rstrip(".")[:200]
    hint = (
        "write it as a Parquet file or remove it"
        if kind == "Parquet"
        else "save it as comma-separated UTF-8 text with a header row and the same number of "
        "fields on every line"
    )
    return f"cannot read the raw {kind} file {path} ({first}); {hint}"


def run_dbt(
    command: list[str],
    *,
    database: Path,
    target: str = "duckdb",
    vars: dict | None = None,
    project_dir: Path = PROJECT_DIR,
    progress: bool | Callable[[Any], None] = True,
) -> list[NodeResult]:
    """Invoke `dbt <command>` against the DuckDB file `database`; return one result per node.

    `progress`: True prints one line per finished node, False nothing, a callable receives
    dbt's events (e.g. a `crm_metrics.progress.BuildProgress`).

    Raises CrmMetricsError naming the failing nodes with dbt's messages when a node fails, or
    with dbt's message when dbt itself fails (parse error, bad argument, locked database).
    """
    from dbt.cli.main import dbtRunner  # slow import: only when dbt is really run

    database = database.expanduser().resolve()
    callbacks: list[Callable[[Any], None]] = (
        [progress] if callable(progress) else [_Progress()] if progress else []
    )
    args = dbt_args(command, database=database, target=target, vars=vars, project_dir=project_dir)
    log_file = work_dir(database) / "logs" / "dbt.log"
    with _database_env(database):
        try:
            outcome = dbtRunner(callbacks=callbacks).invoke(args)
        finally:
            _close_duckdb()

    if outcome.exception is not None:
        if is_lock_error(outcome.exception):
            raise lock_error(database, outcome.exception)
        unreadable = raw_file_error(str(outcome.exception))
        if unreadable is not None:
            raise CrmMetricsError(f"dbt {command[0]} failed: {unreadable}")
        raise CrmMetricsError(
            f"dbt {command[0]} failed: {one_line(str(outcome.exception))} (log: {log_file})"
        )

    results = [
        NodeResult(
            name=result.node.name,
            status=str(result.status),
            message=result.message,
            resource_type=str(result.node.resource_type),
        )
        for result in getattr(outcome.result, "results", None) or []
    ]
    failed = [result for result in results if result.failed]
    for result in failed:
        if is_lock_error(result.message or ""):
            raise lock_error(database, result.message or "")
    if failed or not outcome.success:
        lines = [
            f"dbt {command[0]} failed: {len(failed)} node(s) failed (log: {log_file})",
            *(
                f"  {result.resource_type} {result.name}: {one_line(result.message)}"
                for result in failed
            ),
        ]
        raise DbtNodesFailedError("\n".join(lines), results)
    return results


SEED_STAMP = "seeds.json"
_SEED_SCHEMA = "raw_demo"


def _seed_digest(project_dir: Path, target: str, all_vars: dict) -> str:
    """sha256 of what `dbt seed` loads: every file under seeds/ (the CSVs and their YAML, by
    path and content), dbt_project.yml (seed configs), the target and the build's vars."""
    digest = hashlib.sha256()
    seeds = project_dir / "seeds"
    for path in sorted(seeds.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(seeds)).encode() + b"\0" + path.read_bytes())
    digest.update((project_dir / "dbt_project.yml").read_bytes())
    digest.update(json.dumps([target, all_vars], sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _seed_tables(database: Path) -> dict[str, int]:
    """Row count per table of schema raw_demo in the DuckDB file (empty when there is none)."""
    import duckdb

    database = database.expanduser().resolve()
    if not database.exists():
        return {}
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return {}
    try:
        names = connection.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [_SEED_SCHEMA],
        ).fetchall()
        return {
            name: connection.execute(f'select count(*) from {_SEED_SCHEMA}."{name}"').fetchone()[0]
            for (name,) in names
        }
    except duckdb.Error:
        return {}
    finally:
        connection.close()


def _seed_state(project_dir: Path, target: str, all_vars: dict) -> dict | None:
    """The digest the seeds are checked against; None where it does not apply (a target other
    than DuckDB always seeds)."""
    if target != "duckdb":
        return None
    return {"digest": _seed_digest(project_dir, target, all_vars)}


def _seeds_unchanged(database: Path, state: dict) -> bool:
    """True when the last `dbt seed` into this database loaded the same digest and the database
    still holds exactly the raw_demo tables and row counts that seeding left (a new, replaced or
    edited database is reseeded)."""
    stamp = work_dir(database) / SEED_STAMP
    try:
        stored = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    tables = stored.get("tables")
    return (
        bool(tables)
        and stored.get("digest") == state["digest"]
        and (_seed_tables(database) == tables)
    )


def _write_seed_stamp(database: Path, state: dict) -> None:
    stamp = work_dir(database) / SEED_STAMP
    stamp.parent.mkdir(parents=True, exist_ok=True)
    tables = _seed_tables(database)
    stamp.write_text(json.dumps({**state, "tables": tables}, indent=2), encoding="utf-8")


def uses_user_data(raw_dir: Path | None, vars: dict | None) -> bool:
    """Whether a build reads the user's data rather than the bundled demo seeds: a raw folder,
    var raw_dir or raw_schema, or a source_system other than contract. `crm-metrics build`
    leaves dbt's unit tests out of such builds by default (they check the code, which the demo
    build, `make test` and CI check; dbt recommends not running them in production)."""
    variables = vars or {}
    return (
        raw_dir is not None
        or variables.get("raw_dir") is not None
        or variables.get("raw_schema") is not None
        or variables.get("source_system") not in (None, "contract")
    )


def _excluded_types(unit_tests: bool) -> list[str]:
    """The build's resource-type exclusions: seeds (loaded in their own invoke), and the unit
    tests unless they run."""
    types = ["seed"] if unit_tests else ["seed", "unit_test"]
    return [arg for kind in types for arg in ("--exclude-resource-type", kind)]


def build(
    database: Path,
    *,
    raw_dir: Path | None = None,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
    full_refresh: bool = False,
    vars: dict | None = None,
    as_of_date: str | None = None,
    target: str = "duckdb",
    progress: bool | Callable[[Any], None] = True,
    project_dir: Path = PROJECT_DIR,
    unit_tests: bool = True,
) -> list[NodeResult]:
    """Seeds, then models and tests in one `dbt build`.

    With `raw_dir` the raw tables are read from that folder's files (var `raw_dir`) and the
    demo seeds are left out. A `progress` with a `start(total, planned)` method (BuildProgress)
    is told the number of nodes of both invokes before the first one runs. `unit_tests=False`
    leaves dbt's unit tests out (`--exclude-resource-type unit_test`); every data test runs.
    """
    all_vars = dict(vars or {})
    command = ["build", *_excluded_types(unit_tests)]
    if raw_dir is not None:
        raw_dir = raw_dir.expanduser().resolve()
        if not raw_dir.is_dir():
            raise CrmMetricsError(
                f"--raw-dir {raw_dir} is not a folder; pass a folder of <table>.csv or "
                "<table>.parquet files (see contract/raw_schema.yml)"
            )
        all_vars["raw_dir"] = str(raw_dir)
    raw_schema = all_vars.get("raw_schema")
    if raw_schema is not None and not _PLAIN_NAME.match(str(raw_schema)):
        raise CrmMetricsError(
            f"var raw_schema must be a plain schema name (letters, digits, underscores), "
            f"got {str(raw_schema)!r}; load the raw tables into such a schema"
        )
    if as_of_date is not None:
        all_vars["as_of_date"] = as_of_date
    if select:
        command += ["--select", *select]
    if exclude:
        command += ["--exclude", *exclude]
    if full_refresh:
        command.append("--full-refresh")
    options: dict[str, Any] = {
        "database": database,
        "target": target,
        "vars": all_vars,
        "project_dir": project_dir,
        "progress": progress,
    }
    # the demo seeds are reloaded only when they or what they depend on changed (_seed_digest)
    # or the database no longer holds them as they were loaded; --full-refresh always reloads
    seed_state = _seed_state(project_dir, target, all_vars) if raw_dir is None else None
    skip_seeds = (
        seed_state is not None and not full_refresh and _seeds_unchanged(database, seed_state)
    )
    start = getattr(progress, "start", None)
    if start is not None:
        selection = [arg for arg in command[1:] if arg != "--full-refresh"]  # dbt ls has none
        planned = planned_nodes(selection, seeds=raw_dir is None and not skip_seeds, **options)
        start(sum(planned.values()) if planned is not None else None, planned)
    seeded: list[NodeResult] = []
    if raw_dir is None and not skip_seeds:
        # The staging models read the raw tables through `source()` and look at their columns
        # when they compile, so dbt's DAG does not order them after the seeds: load the seeds
        # first, in their own invoke.
        seeded = run_dbt(["seed", *(["--full-refresh"] if full_refresh else [])], **options)
        if seed_state is not None:
            _write_seed_stamp(database, seed_state)
    try:
        return seeded + run_dbt(command, **options)
    except DbtNodesFailedError as exc:
        exc.results = seeded + exc.results
        raise


# Resource types whose nodes `dbt build` runs and reports (NodeFinished), as `dbt ls` names them.
_RUN_TYPES = (
    "seed",
    "model",
    "snapshot",
    "test",
    "unit_test",
    "exposure",
    "saved_query",
    "function",
)


def _list_nodes(selection: list[str], **options: Any) -> list[dict] | None:
    """`dbt ls` of `selection` as JSON rows (unique_id, resource_type, config), None on error."""
    from dbt.cli.main import dbtRunner

    args = dbt_args(
        [
            "ls",
            *selection,
            "--output",
            "json",
            "--output-keys",
            "unique_id",
            "resource_type",
            "config",
        ],
        database=options["database"],
        target=options["target"],
        vars=options["vars"],
        project_dir=options["project_dir"],
    )
    with _database_env(options["database"]):
        try:
            outcome = dbtRunner().invoke(args)
        finally:
            _close_duckdb()
    if outcome.exception is not None or not outcome.success:
        return None  # the build itself reports the error
    return [json.loads(line) for line in outcome.result or []]


def planned_nodes(selection: list[str], *, seeds: bool, **options: Any) -> dict[str, int] | None:
    """Nodes a build of `selection` (plus every seed when `seeds`) will run, per resource type.

    Counted from dbt's own selection (`dbt ls`, which parses like the build and leaves the
    partial-parse file for it): ephemeral models are compiled into others and do not run.
    None when dbt cannot list them (the build then fails with dbt's message).
    """
    plain_build = selection == _excluded_types(True)
    rows = _list_nodes([] if seeds and plain_build else selection, **options)
    if rows is None:
        return None
    if seeds and not plain_build:
        seed_rows = _list_nodes(["--resource-type", "seed"], **options)
        if seed_rows is None:
            return None
        rows += seed_rows
    counts: Counter[str] = Counter(
        row["resource_type"]
        for row in rows
        if row["resource_type"] in _RUN_TYPES
        and (row.get("config") or {}).get("materialized") != "ephemeral"
        and (seeds or row["resource_type"] != "seed")
    )
    return {kind: counts[kind] for kind in _RUN_TYPES if counts[kind]}


def summarize(results: list[NodeResult]) -> str:
    """One line: models built/failed/skipped, seeds loaded/failed, tests passed/failed/warned."""

    def count(kinds: tuple[str, ...], statuses: frozenset[str] | set[str]) -> int:
        return sum(r.resource_type in kinds and r.status in statuses for r in results)

    tests = ("test", "unit_test")
    return (
        f"models: {count(('model',), {'success'})} built, "
        f"{count(('model',), FAILED_STATUSES)} failed, {count(('model',), {'skipped'})} skipped; "
        f"seeds: {count(('seed',), {'success'})} loaded, "
        f"{count(('seed',), FAILED_STATUSES)} failed; "
        f"tests: {count(tests, {'pass'})} passed, {count(tests, FAILED_STATUSES)} failed, "
        f"{count(tests, {'warn'})} warnings, {count(tests, {'skipped'})} skipped"
    )


def _dq_fetch(database: Path, sql: str) -> list[tuple]:
    """Rows of one query on the database's data_quality schema; empty when it was not built."""
    import duckdb

    try:
        connection = duckdb.connect(str(database.expanduser().resolve()), read_only=True)
    except duckdb.Error:
        return []
    try:
        return connection.execute(sql).fetchall()
    except duckdb.Error:
        return []
    finally:
        connection.close()


def _dq_rows(database: Path) -> list[tuple]:
    """(table, outcome, reason, row_count, example_key) of data_quality.dq_summary with rows."""
    return _dq_fetch(
        database,
        "select table_name, outcome, reason, row_count, example_key"
        " from data_quality.dq_summary"
        " where outcome in ('rejected', 'finding') and row_count > 0"
        " order by table_name, outcome desc, reason",
    )


def _dq_warnings(database: Path) -> list[str]:
    """A WARNING line per raw table whose lost rows (rejects other than deleted_in_source,
    exact_duplicate and other_pipeline) reach var dq_loss_warn_share of its rows read, or that is
    required and lost all of them, from data_quality.dq_table_alerts; the largest share first."""
    alerts = _dq_fetch(
        database,
        "select message from data_quality.dq_table_alerts"
        " where is_loss_warned or (is_all_rejected and is_required)"
        " order by lost_share desc, table_name",
    )
    return [f"WARNING: {message}" for (message,) in alerts]


def dq_report(database: Path) -> str:
    """The WARNING lines, then rejected rows and findings per table and reason, from
    data_quality.dq_summary.

    Empty when the data is clean or neither was built (a --select without them).
    """
    lines = _dq_warnings(database)
    rows = _dq_rows(database)
    if rows:
        lines.append(
            "data quality (see schema data_quality: dq_<table>_rejects, dq_findings, dq_summary):"
        )
    for table, outcome, reason, count, example in rows:
        lines.append(f"  {table}: {count} {outcome} {reason} (e.g. {example})")
    return "\n".join(lines)


def dq_totals(database: Path) -> str:
    """The WARNING lines, then one line: rejected rows and findings in how many tables; empty
    when there are none."""
    lines = _dq_warnings(database)
    rows = _dq_rows(database)
    if rows:
        rejected = sum(count for _, outcome, _, count, _ in rows if outcome == "rejected")
        findings = sum(count for _, outcome, _, count, _ in rows if outcome == "finding")
        tables = len({table for table, *_ in rows})
        lines.append(
            f"data quality: {rejected} rejected rows, {findings} findings in {tables} tables "
            "(data_quality.dq_summary; --verbose lists them)"
        )
    return "\n".join(lines)
