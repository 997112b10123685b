"""Helpers shared by test modules (`from helpers import ...`, like conftest's `query`)."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from crm_metrics.contract import load_contract
from crm_metrics.generate import generate
from crm_metrics.runner import run_dbt


def build_raw(database: Path, raw_dir: Path, select: Iterable[str]) -> list:
    """`dbt build` of the selected nodes from the raw files in `raw_dir`, without the demo seeds
    and the unit tests (they check the code, not these files: the demo build runs them);
    tests reading models outside the selection are left out rather than failing on a missing
    table (indirect selection cautious). Returns dbt's results."""
    return run_dbt(
        [
            "build",
            "--exclude",
            "resource_type:seed",
            "resource_type:unit_test",
            "--select",
            *select,
            "--indirect-selection",
            "cautious",
        ],
        database=database,
        vars={"raw_dir": str(raw_dir)},
        progress=False,
    )


def shuffle_history(raw: Path, seed: int) -> None:
    """Shuffle the rows of raw/opportunity_history.csv (the file's order must mean nothing)."""
    path = raw / "opportunity_history.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    random.Random(seed).shuffle(body)
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *body])


def generate_and_build(
    folder: Path, *, opportunities: int, seed: int, shuffle_seed: int, marts: Iterable[str]
) -> tuple[Path, Path]:
    """Generated raw files in folder/raw, history shuffled, built up to `marts` into
    folder/build.duckdb: (raw folder, database)."""
    raw = folder / "raw"
    generate(raw, opportunities=opportunities, seed=seed)
    shuffle_history(raw, seed=shuffle_seed)
    database = folder / "build.duckdb"
    build_raw(database, raw, [f"+{mart}" for mart in marts])
    return raw, database


def write_table(folder: Path, table: str, rows: list[dict[str, str]]) -> None:
    """`<table>.csv` with the contract's columns (missing values empty; header only when `rows`
    is empty)."""
    columns = load_contract()[table].column_names
    with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


def month_of(value: datetime | date) -> date:
    return date(value.year, value.month, 1)


def next_month(value: date) -> date:
    return date(value.year + value.month // 12, value.month % 12 + 1, 1)
