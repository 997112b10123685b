"""`crm-metrics bench`: how fast the project builds at a given size, compared with a floor.

One run:
1. generates (or reuses) a Parquet dataset of the given scale in the work folder;
2. measures the floor: DuckDB reading every raw file once into tables, in a fresh process
   with the same settings the build uses;
3. measures dbt's fixed start-up (`dbt_startup`: a `dbt parse` without partial parsing);
4. times a full build from an empty database and a cold dbt target folder (no partial-parse
   file: the build parses from scratch); the presales and customer marts' models and tests are
   reported as a phase of their own (their summed node seconds);
5. times `repeat_parse`: a `dbt parse` with partial parsing, nothing changed since the full
   build (what every later build starts with);
6. times publishing that build's core, marts and data_quality as the serving database (the
   step a whole-project `crm-metrics build` ends with; the bench's builds pass --no-publish so
   that it is timed on its own);
7. changes the raw files as an hourly sync would (`_apply_append`: `crm_metrics.generate.changes`,
   the same changes test_incremental.py checks: about 1% new and changed deals, history,
   accounts and activities, rows that become rejected, a rejected row corrected, a deleted deal,
   a moved as-of date) and times an incremental build (no --full-refresh);
8. times a `--full-refresh` build of the same appended data into a database of its own and
   compares the digests (crm_metrics.digest) of every core, marts and data_quality table of the
   two: "identical" is checked in the same run.
Every build is a user's `crm-metrics build --raw-dir`: every model and data test, dbt's unit
tests left out (as for any build of user data: they check the code, not the data). Every timed
phase runs in its own child process, so its peak memory (RSS) is its own. targets_met holds the
targets of TARGETS, `builds_complete` (every build without a failed or skipped node, each
running at least MIN_DATA_TESTS data tests and every test of its manifest: a build that checks
less does not count) and `identical` (no table differs). The 1-minute load average is read
before the run; a run started above MAX_START_LOAD is repeated after waiting for a quieter
machine (`wait=False`, `--no-wait`: once, flagged in the output and in bench.json). The figures
go to `bench.json` and a short table on stdout, to compare between commits.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from crm_metrics.errors import CrmMetricsError

# Issue 34's targets, each an upper limit (<=): the full build no slower than before ((full
# build - start-up) / floor), the incremental build at most 3x the floor and 0.2x the full
# build, a repeat build's start-up (repeat_parse, seconds) at most 3 s.
TARGETS = {
    "build_minus_startup_over_floor": 14.0,
    "incremental_over_floor": 3.0,
    "incremental_over_full": 0.2,
    "repeat_parse_s": 3.0,
}
# From scale LARGE_SCALE on, also: peak memory (GiB, of any build) below this (strictly).
LARGE_SCALE = 30.0
LARGE_SCALE_PEAK_RSS_GIB = 12.0

# A build that checks less does not count: targets_met also requires every build to run at
# least this many data tests (and no fewer than their manifest declares), with no node failed
# or skipped. 469 is what a `crm-metrics build --raw-dir DIR` (unit tests left out) of main ran
# at commit 8e60dbe (the count does not depend on the scale).
MIN_DATA_TESTS = 469

# A measurement started above this 1-minute load average is repeated (the machine is shared).
MAX_START_LOAD = 2.0

# The presales, engagement and customer-profile marts (README "Presales scorecard, engagement and
# customer profile"): their models and data tests are reported as a phase of their own, summed
# from the full build's node timings.
PRESALES_CUSTOMER_MARTS = (
    "mart_presales_deal_effort",
    "mart_presales_deliverables",
    "mart_presales_time",
    "mart_presales_outcomes",
    "mart_presales_managers",
    "mart_activity_volume",
    "mart_account_engagement",
    "mart_product_bookings",
    "mart_win_rate_by_profile",
    "mart_contract_value",
)

_CLI = [sys.executable, "-m", "crm_metrics.cli"]


@dataclass
class Phase:
    name: str
    wall_s: float
    peak_rss_mb: float
    rows: int
    output: str = ""
    # nodes: for a phase summed from dbt's node timings (presales_customer_marts), how many
    # nodes it covers
    nodes: int | None = None

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.wall_s if self.wall_s else 0.0


def _run_child(
    name: str,
    args: list[str],
    rows: int,
    env: dict[str, str] | None = None,
    *,
    allow_failure: bool = False,
) -> Phase:
    """Run a child process, wait for it with wait4 to read its own peak RSS.

    allow_failure: a non-zero exit is accepted (a build whose data tests failed is still
    timed; the caller reads dbt's run_results.json to tell failed tests from failed models).
    """
    started = time.perf_counter()
    child = subprocess.Popen(
        args,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode != 0 and not allow_failure:
        tail = "\n".join(output.strip().splitlines()[-15:])
        raise CrmMetricsError(f"bench phase {name} failed (exit {child.returncode}):\n{tail}")
    return Phase(
        name=name,
        wall_s=round(wall, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        rows=rows,
        output=output,
    )


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


_FLOOR_CODE = """
import sys, duckdb
from pathlib import Path
raw, database = Path(sys.argv[1]), sys.argv[2]
con = duckdb.connect(database)
try:
    con.execute("create schema if not exists raw_files")
    for path in sorted(raw.glob("*.parquet")):
        literal = "'" + str(path).replace("'", "''") + "'"
        con.execute(
            f'create or replace table raw_files."{path.stem}" as '
            f"select * from read_parquet({literal})"
        )
finally:
    con.close()
"""

# Spark's floor: a local Spark session with the settings of profiles.yml target spark (local[2],
# UTC, 4 shuffle partitions, its own warehouse and Derby metastore) reading every raw file into
# a table (create table as select: the data is read and written, unlike the build's raw_files
# tables, which are external tables over the files). Prints the session start-up and the reading
# seconds (JSON); the phase's wall time includes both, as DuckDB's includes its process start.
_SPARK_FLOOR_CODE = """
import json, os, sys, time
from pathlib import Path
from pyspark.sql import SparkSession
raw, home = Path(sys.argv[1]), Path(sys.argv[2])
started = time.perf_counter()
spark = (
    SparkSession.builder.master("local[2]")
    .config("spark.driver.memory", os.environ.get("CRM_METRICS_SPARK_DRIVER_MEMORY", "2g"))
    .config("spark.ui.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.sql.session.timeZone", "UTC")
    .config("spark.sql.shuffle.partitions", "4")
    .config("spark.sql.warehouse.dir", str(home / "warehouse"))
    .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home / 'derby'}")
    .config(
        "spark.hadoop.javax.jdo.option.ConnectionURL",
        f"jdbc:derby:;databaseName={home / 'metastore_db'};create=true",
    )
    .enableHiveSupport()
    .getOrCreate()
)
session = time.perf_counter() - started
try:
    spark.sql("create database if not exists raw_files")
    for path in sorted(raw.glob("*.parquet")):
        location = str(path).replace("`", "``")
        spark.sql(f"drop table if exists raw_files.{path.stem}")
        spark.sql(
            f"create table raw_files.{path.stem} using parquet as "
            f"select * from parquet.`{location}`"
        )
finally:
    spark.stop()
print(json.dumps({"session_s": round(session, 2),
                  "read_s": round(time.perf_counter() - started - session, 2)}))
"""

TARGET_CHOICES = ("duckdb", "spark")


def _floor_phase(target: str, raw: Path, work: Path, rows: int) -> Phase:
    """The floor of `target`: its engine reading every raw file into tables, in a child."""
    if target == "spark":
        home = work / "spark-floor"
        shutil.rmtree(home, ignore_errors=True)
        phase = _run_child("floor", [*_python(_SPARK_FLOOR_CODE), str(raw), str(home)], rows)
        shutil.rmtree(home, ignore_errors=True)
        return phase
    floor_db = work / "floor.duckdb"
    floor_db.unlink(missing_ok=True)
    phase = _run_child("floor", [*_python(_FLOOR_CODE), str(raw), str(floor_db)], rows)
    floor_db.unlink(missing_ok=True)
    return phase


# Publishing in its own process: prints the rows published (the phase's rows).
_PUBLISH_CODE = """
import sys
from pathlib import Path
from crm_metrics.serving import publish
print(publish(Path(sys.argv[1]), Path(sys.argv[2])).rows)
"""


def _publish_phase(database: Path, serving: Path) -> Phase:
    phase = _run_child("publish", [*_python(_PUBLISH_CODE), str(database), str(serving)], 0)
    phase.rows = int(phase.output.split()[-1])
    return phase


def _raw_rows(raw: Path) -> int:
    import duckdb

    con = duckdb.connect()
    try:
        total = 0
        for path in sorted(raw.glob("*.parquet")):
            literal = "'" + str(path).replace("'", "''") + "'"
            total += con.execute(f"select count(*) from read_parquet({literal})").fetchone()[0]
        return total
    finally:
        con.close()


def _node_profile(database: Path, top: int = 12) -> dict[str, object]:
    """What dbt's run_results.json of the last build says: slowest nodes, time per node type,
    the nodes that failed or were skipped, and the data tests that ran. Raises when a model
    failed or was skipped (the build is not usable)."""
    from crm_metrics.runner import FAILED_STATUSES, work_dir

    path = work_dir(database) / "target" / "run_results.json"
    results = json.loads(path.read_text(encoding="utf-8"))["results"]

    def listed(statuses: frozenset[str] | set[str]) -> list[dict[str, str]]:
        return [
            {
                "node": r["unique_id"],
                "status": r["status"],
                "message": (r.get("message") or "")[:200],
            }
            for r in results
            if r["status"] in statuses
        ]

    failed, skipped = listed(FAILED_STATUSES), listed({"skipped"})
    broken = [f for f in failed + skipped if not f["node"].startswith("test.")]
    if broken:
        raise CrmMetricsError(f"bench: build left models unbuilt: {broken[:3]}")
    by_type: dict[str, float] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        by_type[kind] = round(by_type.get(kind, 0.0) + r["execution_time"], 2)
    slowest = sorted(results, key=lambda r: -r["execution_time"])[:top]
    return {
        "seconds_by_node_type": by_type,
        "slowest_nodes": [
            {"node": r["unique_id"].split(".", 2)[-1], "seconds": round(r["execution_time"], 2)}
            for r in slowest
        ],
        "failed_nodes": failed,
        "skipped_nodes": skipped,
        "tests_run": sum(
            r["unique_id"].startswith("test.") and r["status"] != "skipped" for r in results
        ),
    }


def _load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parents[2],
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _machine() -> dict[str, object]:
    memory_gib = None
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("MemTotal:"):
                    memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def _dataset(
    work: Path, scale: float, deals: int | None, seed: int, reuse: bool
) -> tuple[Path, list[Phase]]:
    """The generated Parquet folder (generated unless reused), restored to its generated state."""
    name = f"raw-deals-{deals}" if deals is not None else f"raw-scale-{scale:g}"
    raw = work / f"{name}-seed-{seed}"
    phases: list[Phase] = []
    if not (reuse and (raw / "opportunity_history.parquet").exists()):
        size = ["--opportunities", str(deals)] if deals is not None else ["--scale", f"{scale:g}"]
        generate_args = [*_CLI, "generate", "--out", str(raw), *size, "--seed", str(seed)]
        phases.append(_run_child("generate", [*generate_args, "--format", "parquet"], rows=0))
    _restore_pristine(raw)
    return raw, phases


def _restore_pristine(raw: Path) -> None:
    """Put back the generated files a previous (possibly interrupted) run set aside."""
    pristine = raw / ".pristine"
    if pristine.exists():
        for path in pristine.glob("*.parquet"):
            path.replace(raw / path.name)
        pristine.rmdir()


def _keep_pristine(raw: Path) -> None:
    """Copy every raw file aside before the append changes them (restored after the run)."""
    pristine = raw / ".pristine"
    pristine.mkdir(exist_ok=True)
    for path in sorted(raw.glob("*.parquet")):
        shutil.copyfile(path, pristine / path.name)


def _summarised(append: dict[str, object], shown: int = 3) -> dict[str, object]:
    """The append's summary for bench.json: every list of ids (the new deals: 10,000 at scale
    10; the corrected deals) is kept as its count and first `shown` ids, at every scale, so the
    figures stay readable and a reader of bench.json meets one shape."""
    return {
        key: {"count": len(value), "first": value[:shown]} if isinstance(value, list) else value
        for key, value in append.items()
    }


def _manifest_tests(database: Path) -> tuple[int, set[str]]:
    """Data tests in the manifest of the last build, and the presales and customer marts' models
    and tests."""
    from crm_metrics.runner import work_dir

    manifest = json.loads(
        (work_dir(database) / "target" / "manifest.json").read_text(encoding="utf-8")
    )
    nodes = manifest["nodes"].values()
    mart_models = {
        node["unique_id"]
        for node in nodes
        if node["resource_type"] == "model" and node["name"] in PRESALES_CUSTOMER_MARTS
    }
    mart_tests = {
        node["unique_id"]
        for node in nodes
        if node["resource_type"] == "test" and node.get("attached_node") in mart_models
    }
    tests = sum(node["resource_type"] == "test" for node in nodes)
    return tests, mart_models | mart_tests


def _presales_customer_phase(database: Path, mart_nodes: set[str]) -> Phase:
    """The presales and customer marts (models and their data tests) in the full build: summed
    node seconds from dbt's run_results.json (they run inside the build, interleaved with other
    nodes)."""
    from crm_metrics.runner import work_dir

    results = json.loads(
        (work_dir(database) / "target" / "run_results.json").read_text(encoding="utf-8")
    )["results"]
    seconds = sum(r["execution_time"] for r in results if r["unique_id"] in mart_nodes)
    ran = sum(r["unique_id"] in mart_nodes for r in results)
    return Phase(
        name="presales_customer_marts", wall_s=round(seconds, 2), peak_rss_mb=0.0, rows=0, nodes=ran
    )


_BUILD_PHASES = ("full_build", "incremental_build", "full_refresh_build")


def _targets(scale: float | None) -> dict[str, float]:
    """TARGETS, plus the peak-memory limit from scale LARGE_SCALE on (`scale` None: a --deals
    run, small)."""
    if scale is not None and scale >= LARGE_SCALE:
        return {**TARGETS, "peak_rss_gib": LARGE_SCALE_PEAK_RSS_GIB}
    return dict(TARGETS)


def _apply_append(raw: Path, append_fraction: float) -> dict[str, object]:
    """THE ONE PLACE where the bench's append (the hourly sync's new and changed rows) is
    applied to the raw folder; returns its summary (generate.changes' last output line).

    Today the changes are written into the raw files in place (crm_metrics.generate.changes);
    to bench a load written as new part files (a folder per table, issue 34), switch this call
    and nothing else: the builds, the row count and the "identical" check read the folder as
    the build does."""
    changes_args = ["-m", "crm_metrics.generate.changes", str(raw), str(append_fraction)]
    appended = _run_child("append", [sys.executable, *changes_args], 0)
    return json.loads(appended.output.strip().splitlines()[-1])


# The digests of one database, in a child process (reading every public table of a scale-30
# build takes memory the bench process should not keep).
_DIGEST_CODE = """
import json, sys
from pathlib import Path
from crm_metrics.digest import digests
print(json.dumps(digests(Path(sys.argv[1]))))
"""


def _identical(incremental: Path, refreshed: Path, target: str) -> dict[str, object]:
    """Compare every core, marts and data_quality table of the incremental build's database with
    the --full-refresh build's (crm_metrics.digest). Only DuckDB databases hold the tables
    locally: on another target nothing is compared (and `identical` is not met)."""
    if target != "duckdb":
        return {
            "compared": False,
            "reason": f"the tables of target {target} are not in a local DuckDB file",
            "tables": 0,
            "differences": [],
        }
    found = []
    for database in (incremental, refreshed):
        child = _run_child("digest", [*_python(_DIGEST_CODE), str(database)], 0)
        found.append(json.loads(child.output.strip().splitlines()[-1]))
    from crm_metrics.digest import differences

    return {
        "compared": True,
        "tables": len(set(found[0]) | set(found[1])),
        # left: the incremental build, right: the --full-refresh build
        "differences": differences(found[0], found[1]),
    }


def _repeat_parse_phase(database: Path, raw: Path, target: str, env: dict[str, str]) -> Phase:
    """`dbt parse` with partial parsing, nothing changed since the full build: the same vars and
    target as the build (a var that differs makes dbt parse everything again)."""
    code = (
        "import sys; from pathlib import Path; from crm_metrics.runner import run_dbt; "
        "run_dbt(['parse'], database=Path(sys.argv[1]), target=sys.argv[2], "
        "vars={'raw_dir': sys.argv[3]}, progress=False)"
    )
    return _run_child(
        "repeat_parse",
        [*_python(code), str(database), target, str(raw.expanduser().resolve())],
        0,
        env,
    )


def _measure(
    raw: Path,
    work: Path,
    phases: list[Phase],
    *,
    append_fraction: float,
    target: str,
    scale: float | None,
) -> dict[str, object]:
    """One measurement. The raw files are set aside first and restored at the end (also when a
    phase fails); in between one deal gets a planted defect (generate.changes.plant_defect)
    that the append corrects."""
    from crm_metrics.generate.changes import plant_defect

    _keep_pristine(raw)
    try:
        plant_defect(raw)
        return _measure_phases(
            raw, work, phases, append_fraction=append_fraction, target=target, scale=scale
        )
    finally:
        # restore the generated files so the next run measures the same data
        _restore_pristine(raw)


def _measure_phases(
    raw: Path,
    work: Path,
    phases: list[Phase],
    *,
    append_fraction: float,
    target: str,
    scale: float | None,
) -> dict[str, object]:
    """Floor, start-up, full build, presales and customer marts, publish, append, incremental
    build; ratios.

    On Spark (target spark: local Spark, in the build's child process) the metastore and
    warehouse live in work/spark (CRM_METRICS_SPARK_DIR), emptied before the full build; there
    is no serving database (publishing is DuckDB's), so no publish phase; the incremental
    models are tables there, so the incremental build recomputes them whole."""
    from crm_metrics.runner import work_dir

    rows = _raw_rows(raw)
    phases.append(_floor_phase(target, raw, work, rows))

    # the database file names the dbt work folder (target/, logs/) on every target
    database = work / ("bench.duckdb" if target == "duckdb" else f"bench-{target}.duckdb")
    for suffix in ("", ".wal"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    env = {"CRM_METRICS_SPARK_DIR": str(work / "spark")} if target == "spark" else {}
    startup = _run_child(
        "dbt_startup",
        [
            *_python(
                "import sys; from pathlib import Path; from crm_metrics.runner import run_dbt; "
                "run_dbt(['parse', '--no-partial-parse'], database=Path(sys.argv[1]), "
                "target=sys.argv[2], progress=False)"
            ),
            str(database),
            target,
        ],
        0,
        env,
    )
    phases.append(startup)

    def build_args(into: Path, *extra: str) -> list[str]:
        """A user's build of the raw folder (unit tests left out by default with --raw-dir);
        --no-publish: publishing is timed as a phase of its own."""
        return [
            *_CLI,
            "build",
            "--raw-dir",
            str(raw),
            "--database",
            str(into),
            "--target",
            target,
            "--no-publish",
            *extra,
        ]

    # a cold target folder: the full build parses from scratch (no partial-parse file, no
    # manifest left by the start-up phase or an earlier run); on Spark an empty metastore
    shutil.rmtree(work_dir(database) / "target", ignore_errors=True)
    if target == "spark":
        shutil.rmtree(work / "spark", ignore_errors=True)
    full = _run_child("full_build", build_args(database), rows, env, allow_failure=True)
    phases.append(full)
    full_profile = _node_profile(database)
    manifest_tests, mart_nodes = _manifest_tests(database)
    phases.append(_presales_customer_phase(database, mart_nodes))
    repeat_parse = _repeat_parse_phase(database, raw, target, env)
    phases.append(repeat_parse)
    publish = None
    if target == "duckdb":
        publish = _publish_phase(database, work / "bench.serving.duckdb")
        phases.append(publish)

    appended = _apply_append(raw, append_fraction)
    appended_rows = _raw_rows(raw)
    incremental = _run_child(
        "incremental_build", build_args(database), appended_rows, env, allow_failure=True
    )
    phases.append(incremental)
    incremental_profile = _node_profile(database)

    # "identical": a --full-refresh build of the same appended data, in a database of its own
    refreshed = work / (
        "bench-refresh.duckdb" if target == "duckdb" else f"bench-refresh-{target}.duckdb"
    )
    for suffix in ("", ".wal"):
        Path(str(refreshed) + suffix).unlink(missing_ok=True)
    shutil.rmtree(work_dir(refreshed) / "target", ignore_errors=True)
    refresh_env = (
        {"CRM_METRICS_SPARK_DIR": str(work / "spark-refresh")} if target == "spark" else {}
    )
    if target == "spark":
        shutil.rmtree(work / "spark-refresh", ignore_errors=True)
    refresh = _run_child(
        "full_refresh_build",
        build_args(refreshed, "--full-refresh"),
        appended_rows,
        refresh_env,
        allow_failure=True,
    )
    phases.append(refresh)
    refresh_profile = _node_profile(refreshed)
    identical = _identical(database, refreshed, target)

    floor = next(p for p in phases if p.name == "floor")
    marts = next(p for p in phases if p.name == "presales_customer_marts")
    peak = max(p.peak_rss_mb for p in phases if p.name in _BUILD_PHASES)
    ratios = {
        "build_minus_startup_over_floor": round((full.wall_s - startup.wall_s) / floor.wall_s, 2),
        "build_over_floor_plus_startup": round(full.wall_s / (floor.wall_s + startup.wall_s), 2),
        "build_over_floor": round(full.wall_s / floor.wall_s, 2),
        "incremental_over_floor": round(incremental.wall_s / floor.wall_s, 2),
        "incremental_over_full": round(incremental.wall_s / full.wall_s, 3),
        "repeat_parse_s": repeat_parse.wall_s,
        "presales_customer_marts_over_full": round(marts.wall_s / full.wall_s, 3),
        "peak_rss_gib": round(peak / 1024, 2),
    }
    if publish is not None:
        ratios["publish_over_full"] = round(publish.wall_s / full.wall_s, 3)
    minimum_tests = max(MIN_DATA_TESTS, manifest_tests)
    checks = {
        name: {
            "failed_nodes": len(profile["failed_nodes"]),
            "skipped_nodes": len(profile["skipped_nodes"]),
            "tests_run": profile["tests_run"],
            "tests_required": minimum_tests,
        }
        for name, profile in (
            ("full_build", full_profile),
            ("incremental_build", incremental_profile),
            ("full_refresh_build", refresh_profile),
        )
    }
    targets = _targets(scale)
    targets_met: dict[str, bool] = {
        key: ratios[key] < limit if key == "peak_rss_gib" else ratios[key] <= limit
        for key, limit in targets.items()
    }
    targets_met["builds_complete"] = all(
        check["failed_nodes"] == 0
        and check["skipped_nodes"] == 0
        and check["tests_run"] >= check["tests_required"]
        for check in checks.values()
    )
    targets_met["identical"] = identical["compared"] and not identical["differences"]
    # Spark logs to the same stream: the floor's figures are its last line that is JSON
    floor_detail = (
        json.loads(next(line for line in reversed(floor.output.splitlines()) if line[:1] == "{"))
        if target == "spark"
        else {}
    )
    return {
        "target": target,
        "raw_rows": rows,
        **({"spark_floor": floor_detail} if floor_detail else {}),
        "append": _summarised(appended),
        "phases": [
            {
                **{k: v for k, v in asdict(p).items() if k != "output"},
                "rows_per_s": round(p.rows_per_s),
            }
            for p in phases
        ],
        "ratios": ratios,
        "builds": checks,
        "identical": identical,
        "profile": {
            "full_build": full_profile,
            "incremental_build": incremental_profile,
            "full_refresh_build": refresh_profile,
        },
        "unit_tests": "left out of every build (a build of user data; they check the code)",
        "targets": {**targets, "builds_complete": True, "identical": True},
        "targets_met": targets_met,
    }


def _wait_for_quiet(max_load: float, timeout_s: float) -> float | None:
    """Wait (up to timeout_s) until the 1-minute load average is at most max_load; return it."""
    deadline = time.monotonic() + timeout_s
    while True:
        load = _load_average()
        if load is None or load[0] <= max_load or time.monotonic() >= deadline:
            return load[0] if load else None
        time.sleep(min(15.0, max(0.0, deadline - time.monotonic())))


def run_bench(
    scale: float,
    work: Path,
    *,
    seed: int = 42,
    deals: int | None = None,
    append_fraction: float = 0.01,
    reuse: bool = True,
    wait: bool = True,
    max_load: float = MAX_START_LOAD,
    attempts: int = 3,
    wait_timeout_s: float = 600.0,
    target: str = "duckdb",
) -> dict[str, object]:
    """Run every phase; return the figures (also written to work/bench.json).

    `deals` replaces `scale` by a deal count (tiny runs, tests). A measurement whose 1-minute
    load average at its start was above `max_load` is repeated (up to `attempts` in all), each
    attempt first waiting up to `wait_timeout_s` for the machine to quieten; `wait=False` runs
    once, at once, and the result says that its start was not quiet. `target` spark runs the
    same phases on local Spark (see _measure_phases).
    """
    if target not in TARGET_CHOICES:
        raise CrmMetricsError(f"bench: --target must be one of {TARGET_CHOICES}, got {target!r}")
    work = work.expanduser().resolve()
    raw, generated = _dataset(work, scale, deals, seed, reuse)
    starts: list[float | None] = []
    attempt = 0
    while attempt < (attempts if wait else 1):
        attempt += 1
        start_load = _wait_for_quiet(max_load, wait_timeout_s) if wait else None
        load_before = _load_average()
        start_load = load_before[0] if load_before else start_load
        starts.append(start_load)
        measured = _measure(
            raw,
            work,
            list(generated),
            append_fraction=append_fraction,
            target=target,
            scale=scale if deals is None else None,
        )
        generated = []
        quiet = start_load is not None and start_load <= max_load
        if quiet or not wait:
            break
    result: dict[str, object] = {
        "scale": scale if deals is None else None,
        "deals": deals,
        "seed": seed,
        **measured,
        "commit": _git_commit(),
        "machine": _machine(),
        # the machine may be shared: the load before the measurement (1/5/15 minutes) and
        # after it; above max_load the timings are inflated, so such a start is repeated
        "load_average": {
            "before": load_before,
            "after": _load_average(),
            "max_start_1min": max_load,
            "attempt_starts_1min": starts,
            "attempts": attempt,
            "quiet_start": quiet,
            "waited": wait,
        },
    }
    (work / "bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def format_table(result: dict[str, object]) -> str:
    lines = [f"{'phase':<18} {'wall s':>9} {'peak MB':>9} {'rows/s':>12}"]
    for phase in result["phases"]:  # type: ignore[union-attr]
        if phase.get("nodes") is not None:
            lines.append(
                f"{phase['name']:<18} {phase['wall_s']:>9.1f} {'':>9} {'':>12} "
                f"(summed seconds of {phase['nodes']} nodes in full_build)"
            )
            continue
        lines.append(
            f"{phase['name']:<18} {phase['wall_s']:>9.1f} {phase['peak_rss_mb']:>9.0f} "
            f"{phase['rows_per_s']:>12,}"
        )
    for key, value in result["ratios"].items():  # type: ignore[union-attr]
        limit = result["targets"].get(key)  # type: ignore[union-attr]
        verdict = ""
        if limit is not None:
            strict = key == "peak_rss_gib"
            met = value < limit if strict else value <= limit
            verdict = (
                f" (target {'<' if strict else '<='} {limit:g}: {'met' if met else 'NOT met'})"
            )
        lines.append(f"{key}: {value}{verdict}")
    for name, check in (result.get("builds") or {}).items():  # type: ignore[union-attr]
        lines.append(
            f"{name}: {check['failed_nodes']} failed, {check['skipped_nodes']} skipped nodes, "
            f"{check['tests_run']} data tests run (at least {check['tests_required']} required)"
        )
    complete = (result.get("targets_met") or {}).get("builds_complete")  # type: ignore[union-attr]
    lines.append(f"builds complete (no failed or skipped node, every test): {complete}")
    identical = result.get("identical") or {}
    if identical.get("compared"):
        differing = identical.get("differences") or []
        lines.append(
            f"incremental identical to --full-refresh: {not differing} ({identical.get('tables')} "
            f"tables compared"
            + (f"; differ: {', '.join(d['table'] for d in differing)}" if differing else "")
            + ")"
        )
    elif identical:
        lines.append(
            f"incremental identical to --full-refresh: not compared ({identical['reason']})"
        )
    load = result.get("load_average") or {}
    if load.get("before"):
        lines.append(f"load average before/after: {load['before']} / {load.get('after')}")
    if not load.get("quiet_start", True):
        how = (
            "--no-wait: not waited for nor repeated"
            if not load.get("waited")
            else f"still so after {load.get('attempts')} attempts"
        )
        lines.append(
            f"NOT A QUIET RUN: started at 1-minute load {load.get('attempt_starts_1min')} above "
            f"{load.get('max_start_1min')} ({how}); the timings are inflated"
        )
    for phase_name, profile in (result.get("profile") or {}).items():  # type: ignore[union-attr]
        slowest = ", ".join(
            f"{node['node']} {node['seconds']:.1f}s" for node in profile["slowest_nodes"][:5]
        )
        lines.append(f"slowest in {phase_name}: {slowest}")
        for kind in ("failed_nodes", "skipped_nodes"):
            if profile[kind]:
                lines.append(f"  {kind.replace('_', ' ')} in {phase_name}: {len(profile[kind])}")
    return "\n".join(lines)
