"""Load markers (docs/raw-data.md "Loads"): `_loaded_at` makes a key's rows versions, the latest
load is the record, older loads are superseded; `_deleted` on the latest version rejects it
deleted_in_source (macros/staging/crm_raw_table.sql, the staging models'
key_counts, dq_summary, tests/dq_raw_rows_reconcile.sql).

Small raw folders are written here; every expected value is worked out by hand below. Loads are
L1 = 2024-05-01 10:00:00 and L2 = 2024-05-08 10:00:00 (UTC). users and stages carry no marker
(read as before the markers existed).

accounts (`_loaded_at`, `_deleted`), 13 rows:

    A1  Acme L1 | Acme Corp L2                 -> Acme Corp; 1 superseded
    A2  Beta L1 | Beta L2 deleted              -> deleted_in_source; 1 superseded
    A3  Gamma (no _loaded_at) | Gamma Ltd L1   -> Gamma Ltd (null is older); 1 superseded
    A4  Delta L1 | Delta L2 | Delta Inc L2     -> duplicate_key x2 (the latest load differs);
                                                  1 superseded
    A5  Epsilon L2 | Epsilon L2                -> one accepted, one exact_duplicate
    A6  Zeta L1 deleted | Zeta L2              -> accepted (restored); 1 superseded
    accepted 4 (A1 A3 A5 A6) + rejected 4 (1 deleted, 2 duplicate_key, 1 exact_duplicate)
    + superseded 5 = 13

opportunities (`_loaded_at`), 4 rows:

    O1  A1, amount 100 L1 | amount 250 L2      -> 250; 1 superseded
    O2  A3, amount 300 L2                      -> accepted
    O3  A2 (deleted), amount 50 L2             -> parent_rejected
    accepted 2 + rejected 1 + superseded 1 = 4

opportunity_history (`_loaded_at`), 7 rows, key (deal, changed_at, source_order):

    O1  04-01 09:00 '1' Prospecting 100 L1 | the same '1' with 250 L2 -> the L2 row; 1 superseded
    O2  04-02 09:00 no source_order 300 L1 | '5' 300 L2
        -> a row of that instant has no source_order, so the instant's rows are one key
           (the contract's order_column rule): the L2 row; 1 superseded
    O2  04-04 09:00 no source_order, Prospecting | Closed Won, both L2
        -> the latest load's rows differ: ambiguous_order x2 (as without markers)
    O3  04-03 09:00 '1' Prospecting 50 L2      -> parent_rejected
    accepted 2 + rejected 3 + superseded 2 = 7
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import query

from crm_metrics.contract import load_contract
from crm_metrics.errors import DbtNodesFailedError
from crm_metrics.runner import run_dbt

pytestmark = pytest.mark.slow

L1 = "2024-05-01 10:00:00"
L2 = "2024-05-08 10:00:00"
SELECT = ["+dq_table_alerts", "+fct_opportunities", "+dim_accounts", "+dq_raw_rows_reconcile"]

USERS = [
    {"user_id": "u1", "full_name": "Una", "role": "AE"},
    {"user_id": "u2", "full_name": "Udo", "role": "AE"},
]
STAGES = [
    {"stage_name": "Prospecting", "stage_order": "1", "is_closed": "false", "is_won": "false"},
    {"stage_name": "Closed Won", "stage_order": "2", "is_closed": "true", "is_won": "true"},
    {"stage_name": "Closed Lost", "stage_order": "3", "is_closed": "true", "is_won": "false"},
]
CREATED = "2024-01-01 00:00:00"


def account(account_id: str, name: str, loaded_at: str, deleted: str = "false") -> dict:
    return {
        "account_id": account_id,
        "account_name": name,
        "created_at": CREATED,
        "_loaded_at": loaded_at,
        "_deleted": deleted,
    }


ACCOUNTS = [
    account("A1", "Acme", L1),
    account("A1", "Acme Corp", L2),
    account("A2", "Beta", L1),
    account("A2", "Beta", L2, deleted="true"),
    account("A3", "Gamma", ""),
    account("A3", "Gamma Ltd", L1),
    account("A4", "Delta", L1),
    account("A4", "Delta", L2),
    account("A4", "Delta Inc", L2),
    account("A5", "Epsilon", L2),
    account("A5", "Epsilon", L2),
    account("A6", "Zeta", L1, deleted="1"),
    account("A6", "Zeta", L2, deleted="0"),
]


def deal(deal_id: str, account_id: str, amount: str, loaded_at: str) -> dict:
    return {
        "opportunity_id": deal_id,
        "account_id": account_id,
        "owner_id": "u1",
        "created_at": "2024-04-01 09:00:00",
        "close_date": "2024-06-30",
        "amount": amount,
        "stage_name": "Prospecting",
        "_loaded_at": loaded_at,
    }


OPPORTUNITIES = [
    deal("O1", "A1", "100", L1),
    deal("O1", "A1", "250", L2),
    deal("O2", "A3", "300", L2),
    deal("O3", "A2", "50", L2),
]


def change(deal_id: str, at: str, order: str, stage: str, amount: str, loaded_at: str) -> dict:
    return {
        "opportunity_id": deal_id,
        "changed_at": at,
        "source_order": order,
        "stage_name": stage,
        "amount": amount,
        "close_date": "2024-06-30",
        "_loaded_at": loaded_at,
    }


HISTORY = [
    change("O1", "2024-04-01 09:00:00", "1", "Prospecting", "100", L1),
    change("O1", "2024-04-01 09:00:00", "1", "Prospecting", "250", L2),
    change("O2", "2024-04-02 09:00:00", "", "Prospecting", "300", L1),
    change("O2", "2024-04-02 09:00:00", "5", "Prospecting", "300", L2),
    change("O2", "2024-04-04 09:00:00", "", "Prospecting", "300", L2),
    change("O2", "2024-04-04 09:00:00", "", "Closed Won", "300", L2),
    change("O3", "2024-04-03 09:00:00", "1", "Prospecting", "50", L2),
]


def write(folder: Path, table: str, rows: list[dict], markers: tuple[str, ...] = ()) -> None:
    """`<table>.csv` with the contract's columns and the marker columns `markers`."""
    columns = load_contract()[table].column_names + list(markers)
    with open(folder / f"{table}.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") for column in columns})


def build(database: Path, raw: Path, extra_vars: dict | None = None) -> list:
    return run_dbt(
        [
            "build",
            "--exclude",
            "resource_type:seed",
            "resource_type:unit_test",
            "--select",
            *SELECT,
            "--indirect-selection",
            "cautious",
        ],
        database=database,
        vars={"raw_dir": str(raw), **(extra_vars or {})},
        progress=False,
    )


def summary(database: Path, table: str) -> dict[tuple[str, str], int]:
    rows = query(
        database,
        "select outcome, reason, row_count from data_quality.dq_summary"
        f" where table_name = '{table}' and outcome <> 'finding'",
    )
    return {(outcome, reason): count for outcome, reason, count in rows}


def rejects(database: Path, table: str) -> list[tuple[str, str]]:
    return sorted(
        query(database, f"select dq_row_key, reject_reason from data_quality.dq_{table}_rejects")
    )


@pytest.fixture(scope="module")
def loads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("loads")
    raw = folder / "raw"
    raw.mkdir()
    write(raw, "users", USERS)
    write(raw, "stages", STAGES)
    write(raw, "accounts", ACCOUNTS, ("_loaded_at", "_deleted"))
    write(raw, "opportunities", OPPORTUNITIES, ("_loaded_at",))
    write(raw, "opportunity_history", HISTORY, ("_loaded_at",))
    database = folder / "loads.duckdb"
    results = build(database, raw)
    statuses = {r.name: r.status for r in results if r.resource_type == "test"}
    # rows read = accepted + rejected + superseded, for every table (the data test)
    assert statuses["dq_raw_rows_reconcile"] == "pass"
    return database


def test_accounts_keep_the_latest_load_of_each_key(loads: Path) -> None:
    names = dict(query(loads, "select account_id, account_name from core.dim_accounts"))
    assert names == {"A1": "Acme Corp", "A3": "Gamma Ltd", "A5": "Epsilon", "A6": "Zeta"}
    assert summary(loads, "accounts") == {
        ("accepted", "accepted"): 4,
        ("rejected", "deleted_in_source"): 1,
        ("rejected", "duplicate_key"): 2,
        ("rejected", "exact_duplicate"): 1,
        ("superseded", "superseded"): 5,
    }
    # superseded versions are no rejects
    assert rejects(loads, "accounts") == [
        ("A2", "deleted_in_source"),
        ("A4", "duplicate_key"),
        ("A4", "duplicate_key"),
        ("A5", "exact_duplicate"),
    ]


def test_a_deleted_account_takes_its_deals_with_it(loads: Path) -> None:
    assert rejects(loads, "opportunities") == [("O3", "parent_rejected")]
    assert rejects(loads, "opportunity_history") == [
        ("O2|2024-04-04 09:00:00", "ambiguous_order"),
        ("O2|2024-04-04 09:00:00", "ambiguous_order"),
        ("O3|2024-04-03 09:00:00|1", "parent_rejected"),
    ]


def test_deals_and_history_use_the_latest_load(loads: Path) -> None:
    amounts = dict(query(loads, "select opportunity_id, amount from core.fct_opportunities"))
    assert {deal_id: float(amount) for deal_id, amount in amounts.items()} == {
        "O1": 250.0,
        "O2": 300.0,
    }
    assert summary(loads, "opportunities") == {
        ("accepted", "accepted"): 2,
        ("rejected", "parent_rejected"): 1,
        ("superseded", "superseded"): 1,
    }
    assert summary(loads, "opportunity_history") == {
        ("accepted", "accepted"): 2,
        ("rejected", "ambiguous_order"): 2,
        ("rejected", "parent_rejected"): 1,
        ("superseded", "superseded"): 2,
    }
    history = query(
        loads,
        "select opportunity_id, cast(changed_at as varchar), source_order, amount"
        " from intermediate.int_opportunity_history_accepted order by 1",
    )
    assert [(d, at, order, float(amount)) for d, at, order, amount in history] == [
        ("O1", "2024-04-01 09:00:00", "1", 250.0),
        ("O2", "2024-04-02 09:00:00", "5", 300.0),
    ]


def test_tables_without_markers_read_as_before(loads: Path) -> None:
    assert summary(loads, "users") == {("accepted", "accepted"): 2}
    assert summary(loads, "stages") == {("accepted", "accepted"): 3}
    # the summary lists superseded rows only where there are some
    tables = query(
        loads,
        "select table_name from data_quality.dq_summary where outcome = 'superseded' order by 1",
    )
    assert tables == [("accounts",), ("opportunities",), ("opportunity_history",)]


def test_superseded_versions_are_no_loss(loads: Path) -> None:
    """dq_table_alerts reads the records: accounts' 13 rows hold 8 (4 accepted + 4 rejected);
    lost are the 2 duplicate_key rows (deleted_in_source and exact_duplicate lose nothing)."""
    alerts = query(
        loads,
        "select table_name, rows_read, rows_accepted, lost_rows from data_quality.dq_table_alerts"
        " where table_name in ('accounts', 'opportunities') order by 1",
    )
    assert alerts == [("accounts", 8, 4, 2), ("opportunities", 3, 2, 1)]


def test_other_loaders_markers_by_var(tmp_path: Path) -> None:
    """dlt's _dlt_load_id (epoch seconds as text) as the loaded-at column and Stitch's
    _sdc_deleted_at (a timestamp: deleted when not null) as the deleted one, named by vars.
    1714557600 is 2024-05-01 10:00:00 UTC, 1715162400.5 is 2024-05-08 10:00:00.5 UTC.

        A1  Acme 1714557600 | Acme Corp 1715162400.5          -> Acme Corp; 1 superseded
        A2  Beta 1714557600 | Beta 1715162400.5, deleted at 2024-05-08T09:59:00Z
                                                              -> deleted_in_source
        A3  Gamma 1715162400.5, _sdc_deleted_at empty         -> accepted
    _loaded_at / _deleted columns in the files are ordinary extra columns here (ignored): A3's
    `_deleted` true is not read.
    """
    raw = tmp_path / "raw"
    raw.mkdir()
    write(raw, "users", USERS)
    write(raw, "stages", STAGES)
    markers = ("_dlt_load_id", "_sdc_deleted_at", "_deleted")
    rows = [
        ("A1", "Acme", "1714557600", ""),
        ("A1", "Acme Corp", "1715162400.5", ""),
        ("A2", "Beta", "1714557600", ""),
        ("A2", "Beta", "1715162400.5", "2024-05-08T09:59:00Z"),
        ("A3", "Gamma", "1715162400.5", ""),
    ]
    accounts = [
        {
            "account_id": account_id,
            "account_name": name,
            "created_at": CREATED,
            "_dlt_load_id": load_id,
            "_sdc_deleted_at": deleted_at,
            "_deleted": "true",
        }
        for account_id, name, load_id, deleted_at in rows
    ]
    write(raw, "accounts", accounts, markers)
    write(raw, "opportunities", [deal("O1", "A1", "100", ""), deal("O2", "A2", "5", "")])
    write(raw, "opportunity_history", [])
    database = tmp_path / "other.duckdb"
    build(
        database,
        raw,
        {"crm_loaded_at_column": "_dlt_load_id", "crm_deleted_column": "_sdc_deleted_at"},
    )
    names = dict(query(database, "select account_id, account_name from core.dim_accounts"))
    assert names == {"A1": "Acme Corp", "A3": "Gamma"}
    assert summary(database, "accounts") == {
        ("accepted", "accepted"): 2,
        ("rejected", "deleted_in_source"): 1,
        ("superseded", "superseded"): 2,
    }
    assert rejects(database, "opportunities") == [("O2", "parent_rejected")]


def test_an_unreadable_loaded_at_fails_naming_table_column_and_value(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    write(raw, "users", USERS)
    write(raw, "stages", STAGES)
    write(raw, "accounts", [account("A1", "Acme", "last tuesday")], ("_loaded_at",))
    write(raw, "opportunities", [])
    write(raw, "opportunity_history", [])
    with pytest.raises(DbtNodesFailedError) as raised:
        build(tmp_path / "bad.duckdb", raw)
    assert (
        "Raw table accounts: load marker column _loaded_at (var crm_loaded_at_column) holds "
        "'last tuesday', which is no timestamp (ISO 8601, or epoch seconds)"
    ) in str(raised.value)
