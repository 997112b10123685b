"""Source freshness: `dbt source freshness` on raw files whose `_loaded_at` was written by hand
relative to now (stale: error, recent: pass, in between: warn, no marker column: a warning and
no failure), and the freshness line of `crm-metrics build` (the same instants, read directly).

Thresholds are the defaults of dbt_project.yml (warn after 2 h, error after 24 h); the chosen
ages sit well inside each band, so a slow machine cannot move a table across one.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from crm_metrics import freshness
from crm_metrics.cli import main
from crm_metrics.errors import DbtNodesFailedError
from crm_metrics.generate import generate
from crm_metrics.runner import run_dbt, work_dir


def _now() -> dt.datetime:
    """The instant the markers are written from: taken when a test writes them, not when the
    module is imported (pytest-xdist imports every module at collection, possibly many minutes
    before the module's tests run)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


# table -> (how the marker is written, its rows' ages): the latest (smallest age) counts
MARKED = {
    # stale: error (latest 30 h ago), ISO text with an offset (+02:00)
    "opportunities": ("offset", [dt.timedelta(hours=30), dt.timedelta(hours=50)]),
    # recent: pass (10 minutes), ISO text in UTC with Z
    "accounts": ("zulu", [dt.timedelta(minutes=10), dt.timedelta(hours=3)]),
    # in between: warn (5 h), epoch seconds as text (dlt's _dlt_load_id)
    "users": ("epoch", [dt.timedelta(hours=5), dt.timedelta(hours=9)]),
}
EXPECTED_STATUS = {"opportunities": "error", "accounts": "pass", "users": "warn"}


def _written(instant: dt.datetime, how: str) -> str:
    if how == "epoch":
        return str(int(instant.timestamp()))
    if how == "zulu":
        return instant.strftime("%Y-%m-%dT%H:%M:%SZ")
    return instant.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()


def _add_marker(path: Path, how: str, ages: list[dt.timedelta], now: dt.datetime) -> dt.datetime:
    """Give every row of a CSV file a `_loaded_at`, the ages in turn; the latest instant."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert len(body) >= len(ages)
    instants = [now - ages[index % len(ages)] for index in range(len(body))]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*header, "_loaded_at"])
        for row, instant in zip(body, instants, strict=True):
            writer.writerow([*row, _written(instant, how)])
    return max(instants)


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dt.datetime]]:
    folder = tmp_path_factory.mktemp("freshness") / "raw"
    generate(folder, opportunities=30, seed=11)
    now = _now()
    latest = {
        table: _add_marker(folder / f"{table}.csv", how, ages, now)
        for table, (how, ages) in MARKED.items()
    }
    return folder, latest


def test_dbt_source_freshness_on_stale_recent_and_unmarked_tables(
    raw: tuple[Path, dict[str, dt.datetime]], tmp_path: Path
) -> None:
    folder, latest = raw
    database = tmp_path / "fresh.duckdb"
    events: list = []
    with pytest.raises(DbtNodesFailedError) as failed:  # a stale table errors, as it should
        run_dbt(
            ["source", "freshness", "--select", "source:crm"],
            database=database,
            vars={"raw_dir": str(folder)},
            progress=events.append,
        )
    status = {
        result.name: result.status
        for result in failed.value.results
        if result.resource_type == "source"  # not the on-run-start hook loading the files
    }
    for table, expected in EXPECTED_STATUS.items():
        assert status[table] == expected, (table, status)
    # every other contract table has no marker: reported, not failed (no runtime error)
    unmarked = set(status) - set(MARKED)
    assert unmarked and {status[name] for name in unmarked} == {"pass"}
    warnings = [
        event.data.msg
        for event in events
        if event.info.name == "JinjaLogWarning" and "no load marker" in event.data.msg
    ]
    assert any("has no column _loaded_at" in text and ".stages" in text for text in warnings)
    assert len(warnings) == len(unmarked)

    # dbt's max_loaded_at is the hand-chosen latest instant, whatever way it was written
    sources = json.loads((work_dir(database) / "target" / "sources.json").read_text())
    found = {
        result["unique_id"].rsplit(".", 1)[-1]: result["max_loaded_at"]
        for result in sources["results"]
    }
    for table, instant in latest.items():
        parsed = dt.datetime.fromisoformat(found[table].replace("Z", "+00:00"))
        assert parsed.astimezone(dt.UTC) == instant, table

    # the build's freshness line reads the same instants from the working database directly
    tables = {
        table.name.split(".", 1)[1]: table
        for table in freshness.measure(
            database, work_dir(database) / "target" / "manifest.json", {"raw_dir": str(folder)}
        )
    }
    for table, instant in latest.items():
        assert tables[table].state == "loaded"
        expected_age = (dt.datetime.now(dt.UTC) - instant).total_seconds()
        assert abs(tables[table].age_s - expected_age) < 120, table
        assert tables[table].status == EXPECTED_STATUS[table]
    assert {tables[name].state for name in unmarked} <= {"no_marker", "absent"}


def test_build_prints_one_freshness_line(
    raw: tuple[Path, dict[str, dt.datetime]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = raw
    database = tmp_path / "line.duckdb"
    argv = ["build", "--raw-dir", str(folder), "--database", str(database)]
    assert main([*argv, "--select", "stg_crm__users"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "freshness" in line]
    assert len(lines) == 1, lines
    assert re.match(r"freshness: stalest crm\.opportunities, last loaded 30\.\d h ago", lines[0])
    assert "(error); 3 of " in lines[0] and "--verbose lists every table" in lines[0]

    assert main([*argv, "--select", "stg_crm__users", "--verbose"]) == 0
    out = capsys.readouterr().out
    # the markers were written when the module's first test ran: minutes may have passed since
    assert re.search(r"^  crm\.accounts: last loaded 1\d min ago \(pass\)$", out, re.M), out
    assert re.search(r"^  crm\.users: last loaded 5\.\d h ago \(warn\)$", out, re.M), out
    assert "\n  crm.stages: no column _loaded_at (no load marker)\n" in out


def test_freshness_line_without_markers_and_on_bad_input(tmp_path: Path) -> None:
    unmarked = [
        freshness.TableFreshness("crm.users", "_loaded_at", "no_marker"),
        freshness.TableFreshness("crm.leads", "_loaded_at", "absent"),
    ]
    assert freshness.report(unmarked) == (
        "freshness: no raw table carries a load marker (_loaded_at); nothing to measure"
    )
    assert freshness.report(unmarked, verbose=True).splitlines()[1:] == [
        "  crm.users: no column _loaded_at (no load marker)",
        "  crm.leads: no such table",
    ]
    # no manifest, no database: one sentence, no exception
    said = freshness.collect(tmp_path / "none.duckdb", tmp_path / "manifest.json")
    assert isinstance(said, str) and said.startswith("freshness: not measured (")
    assert [freshness.age_text(s) for s in (59, 3599, 7200, 200_000)] == [
        "1 min",
        "60 min",
        "2.0 h",
        "2.3 days",
    ]


def test_dbt_source_freshness_on_a_connector_schema_and_another_loader(tmp_path: Path) -> None:
    """Fivetran's `_fivetran_synced` (a timestamp with time zone) on the connector's source, and
    Stitch's `_sdc_batched_at` named by var crm_loaded_at_column on raw tables of var
    raw_schema; tables the connector did not sync are reported as absent, not failed."""
    import duckdb

    database = tmp_path / "warehouse.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("create schema salesforce; create schema stitch_crm")
    now = _now()
    synced = {"opportunity": dt.timedelta(minutes=40), "account": dt.timedelta(days=3)}
    for table, age in synced.items():
        connection.execute(
            f"create table salesforce.{table} (id varchar, _fivetran_synced timestamptz)"
        )
        connection.execute(
            f"insert into salesforce.{table} values ('a', ?), ('b', ?)",
            [now - age, now - age - dt.timedelta(hours=1)],
        )
    connection.execute("create table stitch_crm.users (user_id varchar, _sdc_batched_at timestamp)")
    batched = (now - dt.timedelta(hours=7)).replace(tzinfo=None)
    connection.execute("insert into stitch_crm.users values ('u1', ?)", [batched])
    connection.close()

    def statuses(select: str, variables: dict) -> tuple[dict[str, str], list[str]]:
        events: list = []
        try:
            results = run_dbt(
                ["source", "freshness", "--select", select],
                database=database,
                vars=variables,
                progress=events.append,
            )
        except DbtNodesFailedError as exc:
            results = exc.results
        warned = [e.data.msg for e in events if e.info.name == "JinjaLogWarning"]
        return {r.name: r.status for r in results if r.resource_type == "source"}, warned

    found, warned = statuses(
        "source:fivetran_salesforce",
        {"source_system": "fivetran_salesforce", "source_schema": "salesforce"},
    )
    assert found["opportunity"] == "pass" and found["account"] == "error"
    assert found["lead"] == "pass"  # not synced: reported
    assert any("salesforce.lead does not exist" in text for text in warned)

    found, warned = statuses(
        "source:crm.users", {"raw_schema": "stitch_crm", "crm_loaded_at_column": "_sdc_batched_at"}
    )
    assert found == {"users": "warn"} and warned == []
