"""`crm-metrics bench`: how fast the project builds at a given size, compared with a floor.

One run:
1. generates (or reuses) a Parquet dataset of the given scale in the work folder;
2. measures the floor: DuckDB reading every raw file once into tables, in a fresh process
   with the same settings the build uses;
3. measures dbt's fixed start-up (a `dbt parse` without partial parsing);
4. times a full build (all models and data tests; unit tests excluded) from an empty database;
5. times publishing that build's core, marts and data_quality as the serving database (the
   step a whole-project `crm-metrics build` ends with; the bench's builds exclude the unit
   tests, so they do not publish by themselves);
6. appends about 1% new history rows and activities to the raw files and times an
   incremental build (no --full-refresh) of the same selection.
Every timed phase runs in its own child process, so its peak memory (RSS) is its own. The
figures go to `bench.json` and a short table on stdout, to compare between commits.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from crm_metrics.errors import CrmMetricsError

# The target "full build within 4x the floor plus dbt's fixed start-up" read strictly:
# (full build - start-up) / floor <= 4. build_over_floor_plus_startup is the looser reading.
TARGETS = {
    "build_minus_startup_over_floor": 4.0,
    "incremental_over_full": 0.2,
    "peak_rss_gib": 8.0,
}


@dataclass
class Phase:
    name: str
    wall_s: float
    peak_rss_mb: float
    rows: int
    output: str = ""

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

_APPEND_CODE = """
import sys, duckdb
from pathlib import Path
raw = Path(sys.argv[1])
fraction = float(sys.argv[2])
con = duckdb.connect()
try:
    def lit(path):
        return "'" + str(path).replace("'", "''") + "'"
    hist, acts = raw / "opportunity_history.parquet", raw / "activities.parquet"
    # new history: the latest row of a sample of deals, one day later, with the amount 5% up
    con.execute(f'''
        create table new_history as
        with latest as (
            select *, row_number() over (partition by opportunity_id order by changed_at desc) as rn
            from read_parquet({lit(hist)})
        )
        select * exclude (rn) replace (
            changed_at + interval 1 day as changed_at,
            round(amount * 1.05, 2) as amount
        )
        from latest
        where rn = 1 and hash(opportunity_id) % 1000 < {int(fraction * 1000 * 6)}
        order by opportunity_id
    ''')
    con.execute(f'''
        create table new_activities as
        select * replace (
            activity_id || '_b' as activity_id,
            activity_at + interval 1 day as activity_at
        )
        from read_parquet({lit(acts)})
        where hash(activity_id) % 1000 < {int(fraction * 1000)}
        order by activity_id
    ''')
    for name, path in [("new_history", hist), ("new_activities", acts)]:
        tmp = path.with_suffix(".tmp.parquet")
        con.execute(
            f"copy (select * from read_parquet({lit(path)}) union all select * from {name}) "
            f"to {lit(tmp)} (format parquet)"
        )
        tmp.replace(path)
    print(con.execute("select count(*) from new_history").fetchone()[0],
          con.execute("select count(*) from new_activities").fetchone()[0])
finally:
    con.close()
"""


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
    and the nodes that did not succeed. Raises when a model failed (the build is not usable)."""
    from crm_metrics.runner import work_dir

    path = work_dir(database) / "target" / "run_results.json"
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    failed = [
        {"node": r["unique_id"], "status": r["status"], "message": (r.get("message") or "")[:200]}
        for r in results
        if r["status"] in ("error", "fail", "runtime error", "skipped")
    ]
    broken = [f for f in failed if not f["node"].startswith("test.")]
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
        "failed_tests": failed,
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


def run_bench(
    scale: float,
    work: Path,
    *,
    seed: int = 42,
    append_fraction: float = 0.01,
    reuse: bool = True,
) -> dict[str, object]:
    """Run every phase; return the figures (also written to work/bench.json)."""
    work = work.expanduser().resolve()
    raw = work / f"raw-scale-{scale:g}-seed-{seed}"
    cli = [sys.executable, "-m", "crm_metrics.cli"]
    phases: list[Phase] = []

    if not (reuse and (raw / "opportunity_history.parquet").exists()):
        generate = _run_child(
            "generate",
            [
                *cli,
                "generate",
                "--out",
                str(raw),
                "--scale",
                f"{scale:g}",
                "--seed",
                str(seed),
                "--format",
                "parquet",
            ],
            rows=0,
        )
        phases.append(generate)
    # a previous run appended rows: start each run from the generated files, not from those
    pristine = raw / ".pristine"
    if pristine.exists():
        for path in pristine.glob("*.parquet"):
            path.replace(raw / path.name)
        pristine.rmdir()
    rows = _raw_rows(raw)

    floor_db = work / "floor.duckdb"
    floor_db.unlink(missing_ok=True)
    phases.append(_run_child("floor", [*_python(_FLOOR_CODE), str(raw), str(floor_db)], rows))
    floor_db.unlink(missing_ok=True)

    database = work / "bench.duckdb"
    for suffix in ("", ".wal"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    startup = _run_child(
        "dbt_startup",
        [
            *_python(
                "import sys; from pathlib import Path; from crm_metrics.runner import run_dbt; "
                "run_dbt(['parse', '--no-partial-parse'], database=Path(sys.argv[1]), "
                "progress=False)"
            ),
            str(database),
        ],
        0,
    )
    phases.append(startup)

    build_args = [
        *cli,
        "build",
        "--raw-dir",
        str(raw),
        "--database",
        str(database),
        "--exclude",
        "resource_type:unit_test",
    ]
    load_before = _load_average()
    full = _run_child("full_build", build_args, rows, allow_failure=True)
    phases.append(full)
    full_profile = _node_profile(database)
    publish = _publish_phase(database, work / "bench.serving.duckdb")
    phases.append(publish)

    pristine.mkdir(exist_ok=True)
    for name in ("opportunity_history.parquet", "activities.parquet"):
        target = pristine / name
        target.write_bytes((raw / name).read_bytes())
    appended = _run_child(
        "append_1pct", [*_python(_APPEND_CODE), str(raw), str(append_fraction)], 0
    )
    incremental = _run_child("incremental_build", build_args, _raw_rows(raw), allow_failure=True)
    phases.append(incremental)
    incremental_profile = _node_profile(database)
    load_after = _load_average()
    # restore the generated files so the next run measures the same data
    for path in pristine.glob("*.parquet"):
        path.replace(raw / path.name)
    pristine.rmdir()

    floor = next(p for p in phases if p.name == "floor")
    peak = max(p.peak_rss_mb for p in phases if p.name in ("full_build", "incremental_build"))
    ratios = {
        "build_minus_startup_over_floor": round((full.wall_s - startup.wall_s) / floor.wall_s, 2),
        "build_over_floor_plus_startup": round(full.wall_s / (floor.wall_s + startup.wall_s), 2),
        "build_over_floor": round(full.wall_s / floor.wall_s, 2),
        "incremental_over_full": round(incremental.wall_s / full.wall_s, 3),
        "publish_over_full": round(publish.wall_s / full.wall_s, 3),
        "peak_rss_gib": round(peak / 1024, 2),
    }
    result: dict[str, object] = {
        "scale": scale,
        "seed": seed,
        "raw_rows": rows,
        "appended_rows": dict(
            zip(
                ("opportunity_history", "activities"),
                map(int, appended.output.split()[-2:]),
                strict=True,
            )
        ),
        "commit": _git_commit(),
        "machine": _machine(),
        # the machine may be shared: 1/5/15-minute load averages before the full build and
        # after the incremental one (above the core count, timings are inflated)
        "load_average": {"before": load_before, "after": load_after},
        "phases": [
            {
                **{k: v for k, v in asdict(p).items() if k != "output"},
                "rows_per_s": round(p.rows_per_s),
            }
            for p in phases
        ],
        "ratios": ratios,
        "profile": {"full_build": full_profile, "incremental_build": incremental_profile},
        "targets": TARGETS,
        "targets_met": {key: ratios[key] <= limit for key, limit in TARGETS.items()},
    }
    (work / "bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def format_table(result: dict[str, object]) -> str:
    lines = [f"{'phase':<18} {'wall s':>9} {'peak MB':>9} {'rows/s':>12}"]
    for phase in result["phases"]:  # type: ignore[union-attr]
        lines.append(
            f"{phase['name']:<18} {phase['wall_s']:>9.1f} {phase['peak_rss_mb']:>9.0f} "
            f"{phase['rows_per_s']:>12,}"
        )
    for key, value in result["ratios"].items():  # type: ignore[union-attr]
        limit = result["targets"].get(key)  # type: ignore[union-attr]
        verdict = ""
        if limit is not None:
            verdict = f" (target <= {limit:g}: {'met' if value <= limit else 'NOT met'})"
        lines.append(f"{key}: {value}{verdict}")
    load = result.get("load_average") or {}
    if load.get("before"):
        lines.append(f"load average before/after: {load['before']} / {load.get('after')}")
    for phase_name, profile in (result.get("profile") or {}).items():  # type: ignore[union-attr]
        slowest = ", ".join(
            f"{node['node']} {node['seconds']:.1f}s" for node in profile["slowest_nodes"][:5]
        )
        lines.append(f"slowest in {phase_name}: {slowest}")
        if profile["failed_tests"]:
            lines.append(f"  failed tests in {phase_name}: {len(profile['failed_tests'])}")
    return "\n".join(lines)
