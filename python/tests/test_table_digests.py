"""Every `core`, `marts` and `data_quality` table equals the digest stored before a change.

The digests in `digests/tables.json` are written by `table_digest.py --write`. A change that
alters a table on purpose regenerates them in a commit naming the tables that changed and why;
a refactor never does. A stored digest covers the columns it lists, so a table may gain columns
at its end (v5 added some to v4 marts) and keep its digest; a stored column changed, removed or
moved fails.

v4 input: the `generated` dataset is a v4 export (`generate(..., v5=False)`: no v5 table or
column), so its stored digests prove every v4 column unchanged; `v5_empty` is the same files
with every v5 table present and empty, and must give the same tables as `generated`. On both,
the marts that only v5 tables feed are empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from table_digest import DIGESTS, build_all, digests

pytestmark = pytest.mark.slow

# marts all of whose inputs are v5 tables: empty on v4 input (checked once they exist)
V5_ONLY_MARTS = ("mart_product_usage", "mart_activation", "mart_support_load")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, demo_db: Path) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("digests"), demo=demo_db)


def _stored() -> dict[str, dict[str, dict[str, Any]]]:
    return json.loads(Path(DIGESTS).read_text(encoding="utf-8"))


def _differences(stored: dict[str, dict], actual: dict[str, dict]) -> dict[str, Any]:
    problems: dict[str, Any] = {}
    added = sorted(set(actual) - set(stored))
    removed = sorted(set(stored) - set(actual))
    if added:
        problems["tables added"] = added
    if removed:
        problems["tables removed"] = removed
    changed = {
        table: {"stored": stored[table], "built": actual[table]}
        for table in sorted(set(stored) & set(actual))
        if actual[table] != stored[table]
    }
    if changed:
        problems[f"{len(changed)} table(s) differ from the stored digest"] = changed
    return problems


@pytest.mark.parametrize("dataset", ["demo", "generated", "v5_empty", "corrupted"])
def test_every_table_equals_its_stored_digest(built: dict[str, Path], dataset: str) -> None:
    stored_all = _stored()
    # v5_empty has digests of its own once they are written; until then it must give the
    # generated dataset's (the same v4 files, the v5 tables empty)
    stored = stored_all.get(dataset, stored_all["generated"])
    problems = _differences(stored, digests(built[dataset], stored))
    assert not problems, problems


def test_empty_v5_tables_build_what_absent_ones_do(built: dict[str, Path]) -> None:
    """Every table, every column: v5 tables present and empty give what absent ones give."""
    problems = _differences(digests(built["generated"]), digests(built["v5_empty"]))
    assert not problems, problems


def test_digests_cover_the_stored_columns(tmp_path: Path) -> None:
    """Columns appended keep a table's digest; a stored column changed, removed or moved
    changes it (hand-made tables, the digests compared with each other)."""
    database = tmp_path / "d.duckdb"

    def write(sql: str) -> dict[str, Any]:
        connection = duckdb.connect(str(database))
        try:
            connection.execute("create schema if not exists marts")
            connection.execute("drop table if exists marts.t")
            connection.execute(sql)
        finally:
            connection.close()
        return digests(database)

    stored = write("create table marts.t as select * from (values (1, 'a'), (2, 'b')) v(k, x)")
    appended = (
        "create table marts.t as select * from (values (2, 'b', 9.5), (1, 'a', null)) v(k, x, y)"
    )
    write(appended)
    assert digests(database, stored) == stored
    assert digests(database) != stored  # without the stored columns: all of them
    for sql in (
        "create table marts.t as select * from (values (1, 'a'), (2, 'c')) v(k, x)",  # value
        "create table marts.t as select * from (values (1), (2)) v(k)",  # removed
        "create table marts.t as select * from (values ('a', 1), ('b', 2)) v(x, k)",  # moved
        "create table marts.t as select * from (values (1, 1), (2, 2)) v(k, x)",  # type
        "create table marts.t as select * from (values (1, 'a')) v(k, x)",  # row gone
    ):
        write(sql)
        assert digests(database, stored) != stored, sql


@pytest.mark.parametrize("dataset", ["generated", "v5_empty"])
@pytest.mark.parametrize("mart", V5_ONLY_MARTS)
def test_v5_only_marts_are_empty_on_v4_input(
    built: dict[str, Path], dataset: str, mart: str
) -> None:
    connection = duckdb.connect(str(built[dataset]), read_only=True)
    try:
        exists = connection.execute(
            "select count(*) from information_schema.tables"
            " where table_schema = 'marts' and table_name = ?",
            [mart],
        ).fetchone()[0]
        if not exists:
            pytest.skip(f"{mart} is not built (yet)")
        assert connection.execute(f"select count(*) from marts.{mart}").fetchone()[0] == 0
    finally:
        connection.close()
