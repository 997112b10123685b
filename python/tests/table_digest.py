"""Order-free digests of every `core`, `marts` and `data_quality` table of a built database.

`test_table_digests.py` builds the demo, one generated folder (a v4 export: `generate(...,
v5=False)`, no v5 table or column), the same files plus every v5 table present with its header
only (`v5_empty`), and one corrupted folder (v4 generated rows with every row-level corruption
of `test_data_quality.corrupt`, so the reject and findings tables hold rows), and compares each
table's digest with `digests/tables.json`. A refactor that changes no number keeps every
digest; a change that is meant to alter a table regenerates the file, in a commit that names
the tables and says why:

    .venv/bin/python python/tests/table_digest.py --write

The digest rule (what a digest covers; doubles to 12 significant digits; a stored digest's
columns) is crm_metrics.digest's, which the bench uses too.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from crm_metrics.digest import digests

HERE = Path(__file__).resolve().parent
DIGESTS = HERE / "digests" / "tables.json"
# The generated folder every digest run builds besides the demo seeds (small, but with every
# kind of row the generator writes).
GENERATED = {"opportunities": 800, "seed": 13}


def add_empty_v5_tables(raw: Path) -> None:
    """Every v5 table (V5_TABLES) as a CSV file with its header only."""
    from crm_metrics.contract import load_contract
    from crm_metrics.generate import V5_TABLES

    contract = load_contract()
    for name in V5_TABLES:
        header = ",".join(contract[name].column_names) + "\n"
        (raw / f"{name}.csv").write_text(header, encoding="utf-8")


def build_all(folder: Path, demo: Path | None = None) -> dict[str, Path]:
    """Build the four datasets under `folder`; their databases by dataset. `demo`: an already
    built demo database (the test suite's), used instead of building the demo again."""
    from test_data_quality import as_of_date, corrupt

    from crm_metrics.errors import DbtNodesFailedError
    from crm_metrics.generate import generate
    from crm_metrics.runner import build, run_dbt

    if demo is None:
        demo = folder / "demo.duckdb"
        _check(build(demo, progress=False, unit_tests=False), "demo")
    databases = {"demo": demo}
    raw = folder / "generated"
    generate(raw, **GENERATED, v5=False)
    databases["generated"] = folder / "generated.duckdb"
    _check(
        build(databases["generated"], raw_dir=raw, progress=False, unit_tests=False), "generated"
    )
    # the same v4 files plus every v5 table present and empty
    raw_empty = folder / "v5_empty"
    generate(raw_empty, **GENERATED, v5=False)
    add_empty_v5_tables(raw_empty)
    databases["v5_empty"] = folder / "v5_empty.duckdb"
    _check(
        build(databases["v5_empty"], raw_dir=raw_empty, progress=False, unit_tests=False),
        "v5_empty",
    )
    # Corrupted rows: `dbt run` (the data tests would rightly fail on them), then every model
    # must have built. v4 rows (the v5 tables present and empty: the corruption reads every
    # contract table), so the stored digests hold while marts gain v5 columns.
    clean = folder / "clean"
    generate(clean, opportunities=40, seed=3, v5=False)
    add_empty_v5_tables(clean)
    data = corrupt(clean)
    corrupted_raw = folder / "corrupted"
    data.write(corrupted_raw, drop_rejected=False, shuffle=None)
    corrupted = folder / "corrupted.duckdb"
    variables = {"raw_dir": str(corrupted_raw), "as_of_date": as_of_date(data)}
    try:
        results = run_dbt(["run"], database=corrupted, vars=variables, progress=False)
    except DbtNodesFailedError as exc:
        results = exc.results
    _check(results, "corrupted")
    databases["corrupted"] = corrupted
    return databases


def _check(results: list, name: str) -> None:
    failed = [r for r in results if r.failed or r.status == "skipped"]
    if failed:
        raise RuntimeError(f"the {name} build failed: {[result.name for result in failed]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write {DIGESTS}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        built = {name: digests(database) for name, database in build_all(Path(folder)).items()}
    text = json.dumps(built, indent=1, sort_keys=True) + "\n"
    if args.write:
        DIGESTS.parent.mkdir(parents=True, exist_ok=True)
        DIGESTS.write_text(text, encoding="utf-8")
        print(f"wrote {DIGESTS}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
