"""The generator's load mode: tables as folders of parts, and the hourly changes of
`crm_metrics.generate.changes` written as a NEW part holding only new and changed versions.

The same dataset is generated twice, as files and as loads, and gets the same defect and
changes: the files are rewritten in place, the loads get new parts. The current records
rebuilt from the parts here (plain Python: per key the rows of the latest `_loaded_at`, less
the `_deleted` ones) must be the rewritten files' rows, and each new part's rows are counted
from what the changes report.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from conftest import query

from crm_metrics.contract import load_contract
from crm_metrics.generate import generate
from crm_metrics.generate.changes import TABLES, apply_changes, plant_defect
from crm_metrics.runner import build

CONTRACT = load_contract()
FIRST = "20260101T000000Z"


def rows_of(path: Path) -> list[dict]:
    if path.suffix == ".csv":
        return pacsv.read_csv(path).to_pylist()
    return pq.read_table(path).to_pylist()


def parts(raw: Path, table: str) -> list[Path]:
    return sorted((raw / table).glob("*.parquet"))


def current_records(raw: Path, table: str) -> Counter:
    """Rows of each key's latest load that are not deleted, as a multiset without markers."""
    by_key: dict[tuple, list[dict]] = {}
    for path in parts(raw, table):
        for row in rows_of(path):
            key = tuple(row[column] for column in CONTRACT[table].key)
            by_key.setdefault(key, []).append(row)
    records: Counter = Counter()
    for versions in by_key.values():
        latest = max(row["_loaded_at"] for row in versions)
        for row in versions:
            if row["_loaded_at"] == latest and not row.get("_deleted"):
                records[tuple(sorted((k, v) for k, v in row.items() if not k.startswith("_")))] += 1
    return records


def file_records(raw: Path, table: str) -> Counter:
    return Counter(tuple(sorted(row.items())) for row in rows_of(raw / f"{table}.parquet"))


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("loads")
    files, loads = root / "files", root / "loads"
    counts = generate(files, opportunities=300, seed=11, fmt="parquet")
    assert generate(loads, opportunities=300, seed=11, fmt="parquet", loads=True) == counts
    first = {table: current_records(loads, table) for table in TABLES}
    defects = (plant_defect(files), plant_defect(loads))
    changes = (apply_changes(files), apply_changes(loads))
    return {"files": files, "loads": loads, "first": first, "defects": defects, "changes": changes}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_first_load_is_one_part_per_table_with_the_files_rows(tmp_path: Path, fmt: str) -> None:
    raw = tmp_path / "raw"
    counts = generate(raw, opportunities=120, seed=3, fmt=fmt, loads=True)
    generate(tmp_path / "files", opportunities=120, seed=3, fmt=fmt)
    assert sorted(path.name for path in raw.iterdir()) == sorted(counts)
    for table, rows in counts.items():
        (part,) = sorted((raw / table).iterdir())
        assert part.name == f"{FIRST}.{fmt}"
        content = rows_of(part)
        assert len(content) == rows
        assert {row["_loaded_at"] for row in content} == (
            {dt.datetime(2026, 1, 1)} if rows else set()
        )
        if fmt == "csv":
            header = part.read_text().splitlines()[0].split(",")
            file_rows = Counter(
                tuple(sorted(row.items())) for row in rows_of(tmp_path / "files" / f"{table}.csv")
            )
            part_rows = Counter(
                tuple(sorted((k, v) for k, v in row.items() if k != "_loaded_at"))
                for row in content
            )
            assert part_rows == file_rows, table
        else:
            header = pq.read_schema(part).names
            assert current_records(raw, table) == file_records(tmp_path / "files", table), table
        assert header == [*CONTRACT[table].column_names, "_loaded_at"]


def test_changes_as_loads_give_the_records_of_the_rewritten_files(datasets: dict) -> None:
    files_changes, loads_changes = datasets["changes"]
    assert datasets["defects"][0] == datasets["defects"][1]
    load = loads_changes["load"]
    assert {k: v for k, v in loads_changes.items() if k != "load"} == files_changes
    for table in TABLES:
        assert current_records(datasets["loads"], table) == file_records(
            datasets["files"], table
        ), table
    # the defect went in as its own load, the changes in the next one; nothing was rewritten
    assert [path.name for path in parts(datasets["loads"], "opportunities")] == [
        f"{FIRST}.parquet",
        "20260101T010000Z.parquet",
        "20260101T020000Z.parquet",
    ]
    assert load["part"] == "20260101T020000Z" and load["loaded_at"] == "2026-01-01 02:00:00"


def test_the_new_part_holds_only_new_and_changed_versions(datasets: dict) -> None:
    raw = datasets["loads"]
    changes = datasets["changes"][1]
    load = changes["load"]
    new_parts = {table: rows_of(raw / table / f"{load['part']}.parquet") for table in TABLES}
    assert {table: len(rows) for table, rows in new_parts.items()} == load["rows"]
    assert all(
        row["_loaded_at"] == dt.datetime(2026, 1, 1, 2)
        for rows in new_parts.values()
        for row in rows
    )

    deals = Counter(row["opportunity_id"] for row in new_parts["opportunities"])
    # new, changed, the corrected reject, the deleted deal, and the duplicate twice (its
    # original row and the second row with its id: both rows of that load)
    assert sum(deals.values()) == len(changes["new_deals"]) + changes["changed_deals"] + 2 + 1 + 1
    assert deals[changes["duplicate"]] == 2
    assert all(deals[deal] == 1 for deal in [*changes["new_deals"], *changes["corrected"]])
    deleted = [row for rows in new_parts.values() for row in rows if row["_deleted"]]
    history_of_deleted = [
        row
        for row in rows_of(raw / "opportunity_history" / f"{FIRST}.parquet")
        if row["opportunity_id"] == changes["deleted"]
    ]
    assert sorted((row["opportunity_id"], str(row.get("changed_at"))) for row in deleted) == sorted(
        [(changes["deleted"], "None")]
        + [(row["opportunity_id"], str(row["changed_at"])) for row in history_of_deleted]
    )
    assert load["deleted_versions"] == {
        "accounts": 0,
        "opportunities": 1,
        "opportunity_history": len(history_of_deleted),
        "activities": 0,
    }
    # accounts: the new one and max(1, n // 3) changed ones (n = 3 sampled deals of 300)
    assert len(new_parts["accounts"]) == 1 + 1
    # activities: the rows added (new ones and the duplicate's second row), the changed one,
    # the duplicate's original row
    assert len(new_parts["activities"]) == changes["rows_added"]["activities"] + 2
    # no version repeats a row already current before the changes, except the originals that
    # go with a key given a second row (the duplicate deal and the duplicate activity)
    repeated = 0
    for table, rows in new_parts.items():
        before = datasets["first"][table]
        for row in rows:
            record = tuple(sorted((k, v) for k, v in row.items() if not k.startswith("_")))
            if not row["_deleted"] and record in before:
                repeated += 1
    # the first load holds the defect's row before it was planted: the corrected deal's new
    # version equals it again
    assert repeated == 2 + len(changes["corrected"])


@pytest.mark.slow
def test_loads_build_the_facts_of_the_rewritten_files(datasets: dict, tmp_path: Path) -> None:
    """Built (with the raw contract's load rule), the loads give the facts the rewritten files
    give: the latest versions are the records, the deleted deal is gone (rejected
    deleted_in_source there, absent here), the other changes alike."""
    facts = ["core.fct_opportunities", "core.fct_opportunity_stage_spans", "core.fct_activities"]
    tables = {}
    for name in ("files", "loads"):
        database = tmp_path / f"{name}.duckdb"
        build(
            database,
            raw_dir=datasets[name],
            progress=False,
            select=["+fct_opportunities", "+fct_opportunity_stage_spans", "+fct_activities"],
            exclude=["resource_type:test", "resource_type:unit_test"],
        )
        tables[name] = {
            fact: query(database, f"select * from {fact} order by all") for fact in facts
        }
    for fact in facts:
        assert tables["files"][fact], fact
        assert tables["loads"][fact] == tables["files"][fact], fact
    deleted = datasets["changes"][1]["deleted"]
    assert all(row[0] != deleted for row in tables["loads"]["core.fct_opportunities"])
