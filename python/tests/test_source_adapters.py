"""Source adapters (var source_system): Fivetran's Salesforce and HubSpot tables as the raw
contract, and the project installed as a dbt package.

Fixtures (python/tests/fivetran_fixtures.py) are connector-shaped tables in a DuckDB schema:
the connector's table and column names, `_fivetran_*` columns, deleted rows, columns the schema
lacks. Expected numbers are worked out by hand from the story told there; the same story in
the raw contract's shape, built through the contract path, must give the same core and marts
tables.
"""

from __future__ import annotations

import datetime
import math
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import query
from fivetran_fixtures import (
    HUBSPOT,
    SALESFORCE,
    SYNCED,
    V5_CONTRACT_TABLES,
    history_mode,
    hubspot_contract,
    hubspot_legacy_engagements,
    hubspot_same_second,
    hubspot_same_second_contract,
    load_tables,
    salesforce_contract,
    salesforce_history_mode,
    salesforce_same_second,
    salesforce_same_second_contract,
    salesforce_same_second_history_mode,
    write_contract,
)

from crm_metrics import CrmMetricsError
from crm_metrics.runner import PROJECT_DIR, build

pytestmark = pytest.mark.slow

AS_OF = "2024-03-31"
SALESFORCE_VARS = {
    "source_system": "fivetran_salesforce",
    "source_schema": "salesforce",
    "as_of_date": AS_OF,
}
HUBSPOT_VARS = {
    "source_system": "fivetran_hubspot",
    "source_schema": "hubspot",
    "as_of_date": AS_OF,
}


def _tables(database: Path, schemas: tuple[str, ...]) -> dict[str, str]:
    """Table name -> schema, for the tables of the given schemas."""
    marks = ", ".join("?" for _ in schemas)
    rows = query(
        database,
        f"select table_schema, table_name from information_schema.tables "
        f"where table_schema in ({marks})",
        list(schemas),
    )
    return {name: schema for schema, name in rows}


def _normal(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 9)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, int):  # Decimal
        return round(float(value), 9)
    return value


def _rows(database: Path, relation: str) -> tuple[list[str], list[tuple]]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        result = connection.execute(f"select * from {relation}")
        columns = [column[0] for column in result.description]
        rows = sorted(
            (tuple(_normal(value) for value in row) for row in result.fetchall()), key=repr
        )
    finally:
        connection.close()
    return columns, rows


def assert_same_tables(
    left: Path, right: Path, left_schemas: tuple[str, ...], right_schemas: tuple[str, ...]
) -> int:
    """Every table of left's schemas equals the same-named table of right's: same columns,
    same rows. Returns how many tables were compared."""
    left_tables = _tables(left, left_schemas)
    right_tables = _tables(right, right_schemas)
    assert set(left_tables) == set(right_tables)
    for name, schema in sorted(left_tables.items()):
        left_columns, left_rows = _rows(left, f'"{schema}"."{name}"')
        right_columns, right_rows = _rows(right, f'"{right_tables[name]}"."{name}"')
        assert left_columns == right_columns, name
        assert left_rows == right_rows, name
    return len(left_tables)


def _connector_build(folder: Path, system: str, tables: dict, variables: dict) -> Path:
    """The connector's tables loaded into a database, then built through the adapter models."""
    # not <system>.duckdb: a catalog of the schema's name makes its tables ambiguous
    database = folder / "connector.duckdb"
    load_tables(database, system, tables)
    build(database, vars=variables, progress=False, unit_tests=False)
    return database


@pytest.fixture(scope="module")
def salesforce_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("salesforce")
    return _connector_build(folder, "salesforce", SALESFORCE, SALESFORCE_VARS)


@pytest.fixture(scope="module")
def hubspot_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _connector_build(tmp_path_factory.mktemp("hubspot"), "hubspot", HUBSPOT, HUBSPOT_VARS)


def assert_contract_path_same(adapter_db: Path, tmp_path: Path, tables: dict) -> None:
    """The same data as raw contract files builds the same core and marts tables."""
    raw = write_contract(tables, tmp_path / "raw")
    contract_db = tmp_path / "contract.duckdb"
    build(contract_db, raw_dir=raw, as_of_date=AS_OF, progress=False, unit_tests=False)
    compared = assert_same_tables(adapter_db, contract_db, ("core", "marts"), ("core", "marts"))
    assert compared > 30


def assert_v5_tables_empty(database: Path, system: str) -> None:
    """A connector schema without the v5 tables: each adapter model and accepted table is
    empty, nothing of them rejected."""
    for table in V5_CONTRACT_TABLES:
        for relation in (f"source_adapter.{system}__{table}", f"intermediate.int_{table}_accepted"):
            assert query(database, f"select count(*) from {relation}") == [(0,)], relation
        rows = query(
            database,
            "select count(*) from data_quality.dq_summary where table_name = ? and row_count > 0",
            [table],
        )
        assert rows == [(0,)], table


def stage_durations(database: Path) -> list[tuple]:
    rows = query(
        database,
        "select stage_name, outcome, deal_count, avg_days from marts.mart_stage_duration "
        "order by stage_order, outcome",
    )
    return [(stage, outcome, n, round(days, 6)) for stage, outcome, n, days in rows]


# Both connector fixtures hold the same deals. A: Prospecting 01-05 09:00 -> 01-20 10:00
# (15 d 1 h), Proposal -> 02-20 15:00 (31 d 5 h); B: Prospecting 01-10 09:00 -> 02-15 12:00
# (36 d 3 h)
SCENARIO_STAGE_DURATIONS = [
    ("Prospecting", "lost", 1, round(36 + 3 / 24, 6)),
    ("Prospecting", "won", 1, round(15 + 1 / 24, 6)),
    ("Proposal", "won", 1, round(31 + 5 / 24, 6)),
]
ACTIVITY_SQL = "select user_id, dials, connects, meetings from marts.mart_activity_efficiency"
REJECTED_SQL = (
    "select table_name, reason, row_count from data_quality.dq_summary "
    "where outcome = 'rejected' order by 1, 2"
)


# ---------------------------------------------------------------------------------------------
# Salesforce


def test_salesforce_marts_match_hand_worked_numbers(salesforce_db: Path) -> None:
    # deals A (won 1,000) and B (lost 500) closed in February; D is deleted, E's account is
    win_rate = query(
        salesforce_db,
        "select period_month, segment, owner_id, opportunity_type, won_count, lost_count, "
        "win_rate, won_amount, lost_amount from marts.mart_win_rate",
    )
    assert win_rate == [
        (
            datetime.date(2024, 2, 1),
            "unknown",
            "005AVA",
            "new_business",
            1,
            1,
            0.5,
            1000,
            500,
        )
    ]
    # January cohort: both deals reached Prospecting, A advanced and won; C (February) is open
    funnel = query(
        salesforce_db,
        "select stage_name, strftime(created_month, '%Y-%m'), reached_count, advanced_count, "
        "won_count, open_count from marts.mart_funnel_conversion order by 2, stage_order",
    )
    assert funnel == [
        ("Prospecting", "2024-01", 2, 1, 1, 0),
        ("Proposal", "2024-01", 1, 1, 1, 0),
        ("Prospecting", "2024-02", 0, 0, 0, 1),
        ("Proposal", "2024-02", 0, 0, 0, 1),
    ]
    assert stage_durations(salesforce_db) == SCENARIO_STAGE_DURATIONS
    # February: open at start A + B (1,500); C created at 1,500, raised by 500; A won, B lost
    flow = query(
        salesforce_db,
        "select open_count_start, open_amount_start, created_count, created_amount, won_count, "
        "won_amount, lost_count, lost_amount, amount_change, open_count_end, open_amount_end "
        "from marts.mart_pipeline_flow where grain = 'month' and period_start = '2024-02-01'",
    )
    assert flow == [(2, 1500, 1, 1500, 1, 1000, 1, 500, 500, 1, 2000)]
    # January: two calls (one connected; the third call is deleted) and a meeting by Ava
    assert query(salesforce_db, ACTIVITY_SQL) == [("005AVA", 2, 1, 1)]
    # lead L1 (2023-12-20 10:00) converted into A on 2024-01-05: 15 d 14 h; L3 is deleted
    leads = query(
        salesforce_db,
        "select strftime(created_month, '%Y-%m'), leads, converted, won, "
        "avg_days_lead_to_opportunity from marts.mart_lead_funnel order by 1",
    )
    assert [(m, n, c, w, d if d is None else round(d, 6)) for m, n, c, w, d in leads] == [
        ("2023-12", 1, 1, 1, round(15 + 14 / 24, 6)),
        ("2024-01", 1, 0, 0, None),
    ]
    bookings = query(
        salesforce_db, "select owner_id, won_count, bookings_amount, team from marts.mart_bookings"
    )
    assert bookings == [("005AVA", 1, 1000, "West")]


def test_salesforce_deleted_rows_are_rejected_and_counted(salesforce_db: Path) -> None:
    rejected = query(salesforce_db, REJECTED_SQL)
    assert rejected == [
        ("accounts", "deleted_in_source", 1),  # Initech
        ("activities", "deleted_in_source", 1),  # the third call
        ("contacts", "deleted_in_source", 1),  # 003GONE
        ("leads", "deleted_in_source", 1),
        ("opportunities", "deleted_in_source", 1),  # D
        ("opportunities", "parent_rejected", 1),  # E, on the deleted account
        ("opportunity_contact_roles", "deleted_in_source", 1),  # 00KC1
        ("opportunity_history", "deleted_in_source", 1),  # C's deleted history row
        ("opportunity_history", "parent_rejected", 3),  # D's two rows and E's
        ("opportunity_line_items", "deleted_in_source", 1),
        ("support_tickets", "deleted_in_source", 1),  # case 500T3
    ]
    # rows read = accepted + rejected, per table (the connector rows of each adapter model)
    accepted = dict(
        query(
            salesforce_db,
            "select table_name, row_count from data_quality.dq_summary where outcome = 'accepted'",
        )
    )
    assert accepted["opportunities"] == 3
    assert accepted["opportunity_history"] == 7
    assert accepted["users"] == 3


def test_salesforce_roles_and_missing_optional_columns(salesforce_db: Path) -> None:
    # default role rules on role names: Account Executive -> AE, Solutions Engineer -> SE,
    # VP Sales -> MANAGER; the schema has no profile table and no profile_id column
    roles = query(salesforce_db, "select user_id, role from core.dim_users order by 1")
    assert roles == [("005AVA", "AE"), ("005MAX", "MANAGER"), ("005SAM", "SE")]
    # account has no billing_country and opportunity no currency_iso_code: null, not a failure
    countries = query(salesforce_db, "select distinct country from core.dim_accounts")
    assert countries == [(None,)]


def test_salesforce_contacts_roles_and_cases(salesforce_db: Path) -> None:
    # contacts: name, title, account; the deleted 003GONE is rejected (counted above)
    contacts = query(
        salesforce_db,
        "select contact_id, account_id, full_name, title, created_at "
        "from intermediate.int_contacts_accepted order by 1",
    )
    assert [(c, a, n, t, str(at)) for c, a, n, t, at in contacts] == [
        ("003DANA", "001ACME", "Dana Lee", "Chief Financial Officer", "2023-11-15 10:00:00"),
        ("003ELI", "001GLOBEX", "Eli Park", "Head of IT", "2023-12-02 10:00:00"),
    ]
    # OpportunityContactRole as it is: role (empty stays null) and IsPrimary
    roles = query(
        salesforce_db,
        "select opportunity_id, contact_id, role, is_primary "
        "from intermediate.int_opportunity_contact_roles_accepted order by 1, 2",
    )
    assert roles == [
        ("006A", "003DANA", "Decision Maker", True),
        ("006A", "003ELI", "Evaluator", False),
        ("006B", "003ELI", None, False),
    ]
    # Case: Medium -> normal, Critical -> urgent, "high" -> high; no product user; 500T4's
    # ClosedDate before its CreatedDate is nulled, a finding
    tickets = query(
        salesforce_db,
        "select ticket_id, account_id, contact_id, product_user_id, "
        "strftime(created_at, '%Y-%m-%d %H:%M'), strftime(closed_at, '%Y-%m-%d %H:%M'), "
        "priority, status from intermediate.int_support_tickets_accepted order by 1",
    )
    assert tickets == [
        ("500T1", "001ACME", "003DANA", None, "2024-02-01 09:00", "2024-02-02 10:00", "normal",
         "Closed"),
        ("500T2", "001GLOBEX", None, None, "2024-03-01 08:00", None, "urgent", "Escalated"),
        ("500T4", "001ACME", "003ELI", None, "2024-03-10 12:00", None, "high", "Closed"),
    ]  # fmt: skip
    findings = query(
        salesforce_db,
        "select table_name, row_key, finding from data_quality.dq_findings "
        "where table_name = 'support_tickets'",
    )
    assert findings == [("support_tickets", "500T4", "closed_before_created")]


def test_salesforce_contract_path_gives_the_same_marts(salesforce_db: Path, tmp_path: Path) -> None:
    assert_contract_path_same(salesforce_db, tmp_path, salesforce_contract())


def test_salesforce_history_mode_collapses_versions(salesforce_db: Path, tmp_path: Path) -> None:
    database = tmp_path / "history_mode.duckdb"
    load_tables(database, "salesforce", SALESFORCE)
    load_tables(database, "salesforce_history", {"opportunity": salesforce_history_mode()})
    build(
        database,
        vars={
            **SALESFORCE_VARS,
            "salesforce_stage_history": "history_mode",
            "source_history_schema": "salesforce_history",
        },
        progress=False,
        unit_tests=False,
    )
    # 13 versions; the ones changing none of stage, amount, close date collapse (A: 5 -> 3,
    # C: 3 -> 2); first versions are dated at created_date
    history = query(
        database,
        "select opportunity_id, changed_at, stage_name, amount, close_date "
        "from source_adapter.fivetran_salesforce__opportunity_history order by 1, 2",
    )
    assert history == [
        ("006A", "2024-01-05 09:00:00", "Prospecting", "1000.0", "2024-03-31"),
        ("006A", "2024-01-20 10:00:00", "Proposal", "1000.0", "2024-03-31"),
        ("006A", "2024-02-20 15:00:00", "Closed Won", "1000.0", "2024-02-20"),
        ("006B", "2024-01-10 09:00:00", "Prospecting", "500.0", "2024-03-15"),
        ("006B", "2024-02-15 12:00:00", "Closed Lost", "500.0", "2024-02-15"),
        ("006C", "2024-02-01 09:00:00", "Prospecting", "1500.0", "2024-04-30"),
        ("006C", "2024-02-10 11:00:00", "Proposal", "2000.0", "2024-04-30"),
        ("006D", "2024-01-12 09:00:00", "Prospecting", "9999.0", "2024-01-30"),
        ("006D", "2024-01-30 09:00:00", "Closed Won", "9999.0", "2024-01-30"),
        ("006E", "2024-01-15 09:00:00", "Prospecting", "700.0", "2024-03-01"),
    ]
    assert_same_tables(salesforce_db, database, ("marts",), ("marts",))


# Every Salesforce table the adapters read, and the connector tables of HubSpot's (deal_stage and
# deal_property_history are history tables of their own, not versioned records).
SALESFORCE_TABLES = [
    "user",
    "user_role",
    "account",
    "opportunity_stage",
    "opportunity",
    "opportunity_history",
    "lead",
    "task",
    "event",
    "opportunity_line_item",
    "product_2",
    "contact",
    "opportunity_contact_role",
    "case",
]
HUBSPOT_TABLES = [
    "owner",
    "company",
    "deal_pipeline",
    "deal_pipeline_stage",
    "deal",
    "deal_company",
    "engagement",
    "engagement_call",
    "engagement_meeting",
    "engagement_email",
    "engagement_deal",
    "engagement_company",
    "contact",
    "deal_contact",
    "ticket",
    "ticket_company",
    "ticket_contact",
    "ticket_pipeline_stage",
]
# the schemas that must come out the same: rows read, rejects and findings included
SAME_SCHEMAS = ("core", "marts", "data_quality")


@pytest.mark.parametrize(
    "versioned", [SALESFORCE_TABLES, ["opportunity"]], ids=["every_table", "opportunity_only"]
)
def test_salesforce_history_mode_reads_the_active_versions(
    salesforce_db: Path, tmp_path: Path, versioned: list[str]
) -> None:
    # older versions (other names, stages, owners, amounts) are not read; the deleted deal D,
    # the deleted account, lead, call, history row and line item have no active version and
    # are rejected deleted_in_source as in the plain schema
    tables = history_mode(SALESFORCE, versioned)
    if "account" not in versioned:
        # a soft-delete table may carry _fivetran_active empty: its rows are current
        columns, rows = tables["account"]
        tables["account"] = (columns + ", _fivetran_active boolean", [(*r, None) for r in rows])
    database = tmp_path / "connector.duckdb"
    load_tables(database, "salesforce", tables)
    build(database, vars=SALESFORCE_VARS, progress=False, unit_tests=False)
    assert assert_same_tables(salesforce_db, database, SAME_SCHEMAS, SAME_SCHEMAS) > 30
    reads = query(
        database,
        "select count(*), count(distinct opportunity_id) "
        "from source_adapter.fivetran_salesforce__opportunities",
    )
    assert reads == [(5, 5)]


def test_salesforce_history_rows_carry_their_ids_as_source_order(salesforce_db: Path) -> None:
    orders = query(
        salesforce_db,
        "select opportunity_id, changed_at, source_order "
        "from source_adapter.fivetran_salesforce__opportunity_history "
        "where opportunity_id = '006C' order by changed_at",
    )
    assert orders == [
        ("006C", "2024-02-01 09:00:00", "008C1"),
        ("006C", "2024-02-05 09:00:00", "008C9"),
        ("006C", "2024-02-10 11:00:00", "008C2"),
    ]


# Same-second history (fivetran_fixtures: deal F). Worked by hand from the true order
# 008FB, 008Fa, 008Fz (all at 2024-01-22 09:00:00), then 008Fc (won 02-12 10:00:00):
# row 1 creates F in Prospecting at 600 (close 03-15); row 2 enters Proposal and raises the
# amount 600 -> 900 (two changes); row 3 cuts it 900 -> 700 (both rows open); row 4 wins it at
# 700 and moves the close date to 02-12 (closed: no close_date change).
SAME_SECOND_CHANGES = [
    (1, "2024-01-22 09:00:00", "created", None, "Prospecting", None, 600, None, "2024-03-15"),
    (2, "2024-01-22 09:00:00", "amount", None, None, 600, 900, None, None),
    (2, "2024-01-22 09:00:00", "stage", "Prospecting", "Proposal", 600, 900, "2024-03-15",
     "2024-03-15"),
    (3, "2024-01-22 09:00:00", "amount", None, None, 900, 700, None, None),
    (4, "2024-02-12 10:00:00", "won", "Proposal", "Closed Won", 700, 700, "2024-03-15",
     "2024-02-12"),
]  # fmt: skip
# visits: Prospecting for 0 s, Proposal 09:00 01-22 -> 10:00 02-12 (21 d 1 h), then Closed Won
SAME_SECOND_SPANS = [
    (1, "Prospecting", "2024-01-22 09:00", "2024-01-22 09:00", 0.0, "Proposal"),
    (2, "Proposal", "2024-01-22 09:00", "2024-02-12 10:00", round(21 + 1 / 24, 6), "Closed Won"),
    (3, "Closed Won", "2024-02-12 10:00", None, None, None),
]
# won at 700, last open row (row 3) at 700, two amount changes, three visits, no push, closed
# 21 d 1 h after creation
SAME_SECOND_FINAL = [
    ("Closed Won", "won", "2024-02-12 10:00", 700, 700, 2, 3, 0, 0, round(21 + 1 / 24, 6))
]


def assert_same_second_path(database: Path, opportunity_id: str) -> None:
    changes = query(
        database,
        "select history_row_number, strftime(changed_at, '%Y-%m-%d %H:%M:%S'), change_kind, "
        "old_stage_name, new_stage_name, cast(old_amount as integer), "
        "cast(new_amount as integer), cast(old_close_date as varchar), "
        "cast(new_close_date as varchar) from core.fct_opportunity_changes "
        "where opportunity_id = ? order by 1, 3",
        [opportunity_id],
    )
    assert changes == SAME_SECOND_CHANGES
    spans = query(
        database,
        "select visit_number, stage_name, strftime(entered_at, '%Y-%m-%d %H:%M'), "
        "strftime(exited_at, '%Y-%m-%d %H:%M'), round(days_in_stage, 6), next_stage_name "
        "from core.fct_opportunity_stage_spans where opportunity_id = ? order by 1",
        [opportunity_id],
    )
    assert spans == SAME_SECOND_SPANS
    final = query(
        database,
        "select current_stage, outcome, strftime(closed_at, '%Y-%m-%d %H:%M'), "
        "cast(amount as integer), cast(last_open_amount as integer), amount_change_count, "
        "stage_visit_count, close_date_push_count, reopen_count, round(days_to_close, 6) "
        "from core.fct_opportunities where opportunity_id = ?",
        [opportunity_id],
    )
    assert final == SAME_SECOND_FINAL
    # nothing quarantined ambiguous_order, nothing rejected beyond the base story's rejects
    ambiguous = query(
        database,
        "select count(*) from data_quality.dq_opportunity_history_rejects "
        "where reject_reason = 'ambiguous_order'",
    )
    assert ambiguous == [(0,)]


@pytest.fixture(scope="module")
def salesforce_same_second_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("salesforce_same_second")
    return _connector_build(folder, "salesforce", salesforce_same_second(), SALESFORCE_VARS)


def test_salesforce_same_second_history_follows_the_ids(
    salesforce_db: Path, salesforce_same_second_db: Path
) -> None:
    database = salesforce_same_second_db
    assert_same_second_path(database, "006F")
    # F's four rows accepted beside the story's seven; the rejects are the story's own but
    # those of the v5 tables, which this schema lacks (contact, opportunity_contact_role, case)
    assert query(database, REJECTED_SQL) == [
        row for row in query(salesforce_db, REJECTED_SQL) if row[0] not in V5_CONTRACT_TABLES
    ]
    assert_v5_tables_empty(database, "fivetran_salesforce")
    accepted = query(
        database,
        "select row_count from data_quality.dq_summary "
        "where outcome = 'accepted' and table_name = 'opportunity_history'",
    )
    assert accepted == [(11,)]


def test_salesforce_same_second_contract_path_gives_the_same_marts(
    salesforce_same_second_db: Path, tmp_path: Path
) -> None:
    # the contract files carry F's rows in the same file order, with their ids as source_order
    assert_contract_path_same(
        salesforce_same_second_db, tmp_path, salesforce_same_second_contract()
    )


def test_salesforce_same_second_history_mode(
    salesforce_same_second_db: Path, tmp_path: Path
) -> None:
    # F's versions start 120, 450 and 900 ms into one second: their starts in epoch ms order
    # them, and the path is the one the OpportunityHistory ids give
    database = tmp_path / "history_mode.duckdb"
    load_tables(database, "salesforce", salesforce_same_second())
    load_tables(
        database, "salesforce_history", {"opportunity": salesforce_same_second_history_mode()}
    )
    build(
        database,
        vars={
            **SALESFORCE_VARS,
            "salesforce_stage_history": "history_mode",
            "source_history_schema": "salesforce_history",
        },
        progress=False,
        unit_tests=False,
    )
    orders = query(
        database,
        "select changed_at, stage_name, source_order "
        "from source_adapter.fivetran_salesforce__opportunity_history "
        "where opportunity_id = '006F' order by source_order",
    )
    # 2024-01-22 09:00:00 UTC is 1,705,914,000 s after the epoch; 2024-02-12 10:00:00 is
    # 1,707,732,000 s
    assert orders == [
        ("2024-01-22 09:00:00", "Prospecting", "1705914000120"),
        ("2024-01-22 09:00:00", "Proposal", "1705914000450"),
        ("2024-01-22 09:00:00", "Proposal", "1705914000900"),
        ("2024-02-12 10:00:00", "Closed Won", "1707732000000"),
    ]
    assert_same_second_path(database, "006F")
    assert_same_tables(salesforce_same_second_db, database, ("marts",), ("marts",))


def test_salesforce_odd_values_are_findings_and_the_build_is_green(tmp_path: Path) -> None:
    """No opportunity_stage table (stages derived from the deals), opportunity in history mode,
    one deal's probability 1000, account without created_date, tasks and events typed only by
    their Subject, call durations as text."""
    tables = history_mode(dict(SALESFORCE), ["opportunity"])
    del tables["opportunity_stage"]
    columns, rows = tables["opportunity"]
    names = [definition.split()[0] for definition in columns.split(", ")]
    probability, stage, deal_id = (names.index(n) for n in ("probability", "stage_name", "id"))
    extra = []
    for row in rows:
        active = row[-1]
        if row[deal_id] == "006C" and active:  # C's current version: 1000 percent
            row = (*row[:probability], 1000.0, *row[probability + 1 :])
        if row[deal_id] == "006D" and row[stage] == "Closed Won":  # deleted: not read
            row = (
                *row[:stage],
                "Prospecting",
                *row[stage + 1 : probability],
                40.0,
                *row[probability + 1 :],
            )
        extra.append(row)
        if row[deal_id] == "006E":
            # F: E's copy, a second Prospecting deal, at 30 percent now; its old version (at
            # 10 * 7 + 1 = 71 percent, stage "Prospecting (old)") is not read
            current = (*row[:probability], 30.0, *row[probability + 1 :]) if active else row
            extra.append((*current[:deal_id], "006F", *current[deal_id + 1 :]))
    tables["opportunity"] = (columns, extra)
    # D (deleted, Prospecting at 40) and old versions never feed a default: Prospecting is the
    # mean of E's 10 and F's 30 (both on a deleted account, but not deleted themselves)
    history_columns, history_rows = tables["opportunity_history"]
    tables["opportunity_history"] = (
        history_columns,
        [
            *history_rows,
            (
                "008F1",
                "006F",
                "2024-03-01 09:00:00",
                "Prospecting",
                700.0,
                "2024-03-01",
                "005AVA",
                30.0,
                210.0,
                False,
                "2024-03-31 23:00:00",
            ),
        ],
    )
    account_columns, account_rows = tables["account"]
    created = account_columns.split(", ").index("created_date timestamp")
    tables["account"] = (
        account_columns.replace("created_date timestamp, ", ""),
        [row[:created] + row[created + 1 :] for row in account_rows]
        + [("001LONE", "Lonely", "Retail", 5, "005AVA", "Prospect", False, "2024-03-31 23:00:00")],
    )
    task_columns, task_rows = tables["task"]
    tables["task"] = (
        task_columns.replace(
            "call_duration_in_seconds integer", "call_duration_in_seconds varchar"
        ),
        [
            *((*row[:7], str(row[7]), *row[8:]) for row in task_rows),
            (
                "00TD1",
                "005AVA",
                "Product demo for Acme",
                None,
                None,
                "Completed",
                None,
                None,
                "2024-01-16",
                "2024-01-16 10:00:00",
                "2024-01-16 11:00:00",
                None,
                "006A",
                None,
                False,
                "2024-03-31 23:00:00",
            ),
        ],
    )
    event_columns, event_rows = tables["event"]
    tables["event"] = (
        event_columns,
        [
            *event_rows,
            (
                "00UP1",
                "005AVA",
                "Proof of concept kickoff",
                None,
                "2024-01-17 16:00:00",
                "2024-01-17 17:00:00",
                60,
                None,
                "006A",
                "001ACME",
                "2024-01-12 09:00:00",
                False,
                "2024-03-31 23:00:00",
            ),
            (
                "00UR1",
                "005AVA",
                "Security questionnaire",
                "Other",
                "2024-01-18 16:00:00",
                "2024-01-18 16:30:00",
                30,
                None,
                "006A",
                "001ACME",
                "2024-01-12 09:00:00",
                False,
                "2024-03-31 23:00:00",
            ),
        ],
    )
    database = tmp_path / "odd.duckdb"
    load_tables(database, "salesforce", tables)
    build(
        database, vars=SALESFORCE_VARS, progress=False, unit_tests=False
    )  # green: raises otherwise
    stages = query(
        database, "select stage_name, default_probability from core.dim_stages order by 1"
    )
    assert [(name, None if p is None else round(p, 9)) for name, p in stages] == [
        ("Closed Lost", 0.0),
        ("Closed Won", 1.0),
        ("Proposal", None),  # C alone, out of range
        ("Prospecting", 0.2),
    ]
    findings = query(
        database,
        "select table_name, row_key, column_name, finding, raw_value "
        "from data_quality.dq_findings where finding in ('out_of_range', 'derived_from_deals') "
        "order by 1, 2",
    )
    assert findings == [
        ("accounts", "001ACME", "created_at", "derived_from_deals", "2024-01-05 09:00:00"),
        ("accounts", "001GLOBEX", "created_at", "derived_from_deals", "2024-01-10 09:00:00"),
        ("opportunities", "006C", "probability", "out_of_range", "1000.0"),
    ]
    # an account without deals has no date to take: still rejected
    rejected_accounts = query(
        database,
        "select account_id, reject_reason from data_quality.dq_accounts_rejects order by 1",
    )
    assert rejected_accounts == [
        ("001GONE", "deleted_in_source"),
        ("001LONE", "missing_required:created_at"),
    ]
    activities = query(
        database,
        "select activity_id, activity_type, duration_minutes from core.fct_activities order by 1",
    )
    assert [(a, t, None if d is None else round(d, 6)) for a, t, d in activities] == [
        ("00TC1", "call", 10.0),
        ("00TC2", "call", 0.5),
        ("00TD1", "demo", None),
        ("00UM1", "meeting", 45.0),
        ("00UP1", "poc", 60.0),
        ("00UR1", "rfp", 30.0),
    ]


def test_salesforce_missing_history_table_suggests_history_mode(tmp_path: Path) -> None:
    tables = {name: table for name, table in SALESFORCE.items() if name != "opportunity_history"}
    database = tmp_path / "no_history.duckdb"
    load_tables(database, "salesforce", tables)
    with pytest.raises(CrmMetricsError) as failure:
        build(
            database,
            vars=SALESFORCE_VARS,
            select=["fivetran_salesforce__opportunity_history"],
            progress=False,
            unit_tests=False,
        )
    message = str(failure.value)
    assert "'opportunity_history' was not found" in message
    assert "salesforce_stage_history: history_mode" in message


def test_salesforce_missing_required_column_fails_naming_it(tmp_path: Path) -> None:
    tables = dict(SALESFORCE)
    columns, rows = tables["opportunity"]
    # the same table without stage_name (the 10th column)
    tables["opportunity"] = (
        columns.replace("stage_name varchar, ", ""),
        [row[:9] + row[10:] for row in rows],
    )
    database = tmp_path / "broken.duckdb"
    load_tables(database, "salesforce", tables)
    with pytest.raises(CrmMetricsError) as failure:
        build(
            database,
            vars=SALESFORCE_VARS,
            select=["fivetran_salesforce__opportunities"],
            progress=False,
            unit_tests=False,
        )
    message = str(failure.value)
    assert "'opportunity'" in message and "stage_name" in message


def test_unknown_source_system_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CrmMetricsError) as failure:
        build(
            tmp_path / "x.duckdb",
            vars={"source_system": "fivetran_pipedrive"},
            select=["stg_crm__users"],
            progress=False,
            unit_tests=False,
        )
    assert "source_system must be one of contract, fivetran_salesforce" in str(failure.value)


# ---------------------------------------------------------------------------------------------
# HubSpot


def test_hubspot_marts_match_hand_worked_numbers(hubspot_db: Path) -> None:
    win_rate = query(
        hubspot_db,
        "select owner_id, won_count, lost_count, win_rate, won_amount, lost_amount "
        "from marts.mart_win_rate",
    )
    assert win_rate == [("101", 1, 1, 0.5, 1000, 500)]
    assert stage_durations(hubspot_db) == SCENARIO_STAGE_DURATIONS
    # deal_property_history: C created at 1,500 and raised to 2,000 in February, as in Salesforce
    flow = query(
        hubspot_db,
        "select open_count_start, open_amount_start, created_count, created_amount, won_count, "
        "lost_count, amount_change, open_count_end, open_amount_end "
        "from marts.mart_pipeline_flow where grain = 'month' and period_start = '2024-02-01'",
    )
    assert flow == [(2, 1500, 1, 1500, 1, 1, 500, 1, 2000)]
    assert query(hubspot_db, ACTIVITY_SQL) == [("101", 2, 1, 1)]
    # created_at written with a time zone is taken in UTC: 11:00+02:00 is 09:00
    created = query(
        hubspot_db,
        "select opportunity_id, strftime(created_at, '%Y-%m-%d %H:%M') "
        "from core.fct_opportunities where opportunity_id in ('301', '302') order by 1",
    )
    assert created == [("301", "2024-01-05 09:00"), ("302", "2024-01-10 09:00")]
    # no role mapping: every owner is an AE, so the presales marts are empty
    assert query(hubspot_db, "select distinct role from core.dim_users") == [("AE",)]
    assert query(hubspot_db, "select count(*) from marts.mart_presales") == [(0,)]


def test_hubspot_slippage_from_property_history(hubspot_db: Path) -> None:
    # C: close date 2024-03-20 pushed to 04-30 on 03-05 while open (41 days, out of March, at
    # the 2,000 it then had), amount cut from 2,000 to 1,800 on 03-10. A's and B's close dates
    # moved in only as they closed: no push. January and February: nothing.
    slippage = query(
        hubspot_db,
        "select strftime(period_month, '%Y-%m'), pushed_deal_count, push_count, "
        "total_days_pushed, pushed_out_deal_count, amount_pushed_out, amount_decrease_count, "
        "amount_decrease_total from marts.mart_slippage order by 1",
    )
    assert slippage == [
        ("2024-01", 0, 0, 0, 0, 0, 0, 0),
        ("2024-02", 0, 0, 0, 0, 0, 0, 0),
        ("2024-03", 1, 1, 41, 1, 2000, 1, 200),
    ]
    # the adapter's full-state rows: one per instant at which stage, amount or close date
    # changed; C's initial values (recorded 100 ms before its first stage entry) count there;
    # source_order is the instant in epoch milliseconds
    history = query(
        hubspot_db,
        "select changed_at, stage_name, amount, close_date, source_order "
        "from source_adapter.fivetran_hubspot__opportunity_history "
        "where opportunity_id = '303' order by changed_at",
    )
    assert history == [
        ("2024-02-01 09:00:00", "Prospecting", "1500", "2024-03-20", "1706778000000"),
        ("2024-02-10 11:00:00", "Proposal", "2000", "2024-03-20", "1707562800000"),
        ("2024-03-05 10:00:00", "Proposal", "2000", "2024-04-30", "1709632800000"),
        ("2024-03-10 10:00:00", "Proposal", "1800", "2024-04-30", "1710064800000"),
    ]


def test_hubspot_emails_are_accepted_with_their_owners(hubspot_db: Path) -> None:
    # the connector's current layout: owner and time of each engagement in its type's table
    activities = query(
        hubspot_db,
        "select activity_id, user_id, activity_type, strftime(activity_at, '%Y-%m-%d %H:%M') "
        "from core.fct_activities order by 1",
    )
    assert activities == [
        ("401", "101", "call", "2024-01-08 14:00"),
        ("402", "101", "call", "2024-01-09 14:00"),
        ("404", "101", "meeting", "2024-01-15 16:00"),
        ("406", "101", "email", "2024-01-11 10:00"),
    ]


def test_hubspot_deleted_rows_are_rejected_and_counted(hubspot_db: Path) -> None:
    rejected = query(hubspot_db, REJECTED_SQL)
    assert rejected == [
        ("accounts", "deleted_in_source", 1),
        ("activities", "deleted_in_source", 2),  # call 403, email 407 (its type row)
        ("contacts", "deleted_in_source", 1),  # 503
        ("opportunities", "deleted_in_source", 1),
        ("opportunities", "parent_rejected", 1),
        ("opportunity_contact_roles", "deleted_in_source", 1),  # 303-501, removed
        ("opportunity_history", "parent_rejected", 3),
        ("support_tickets", "deleted_in_source", 1),  # 603
    ]


def test_hubspot_contacts_associations_and_tickets(hubspot_db: Path) -> None:
    contacts = query(
        hubspot_db,
        "select contact_id, account_id, full_name, title "
        "from intermediate.int_contacts_accepted order by 1",
    )
    assert contacts == [
        ("501", "201", "Dana Lee", "Chief Financial Officer"),
        ("502", "202", "Eli Park", "Head of IT"),
    ]
    # one row per deal and contact (301-501 has two association types); HubSpot has no role
    # or primary contact: both null; 303-501 was removed (deleted_in_source, counted above)
    roles = query(
        hubspot_db,
        "select opportunity_id, contact_id, role, is_primary "
        "from intermediate.int_opportunity_contact_roles_accepted order by 1, 2",
    )
    assert roles == [("301", "501", None, None), ("301", "502", None, None),
                     ("302", "502", None, None)]  # fmt: skip
    # MEDIUM -> normal, URGENT -> urgent, HIGH -> high; account: the lowest associated company
    # (604 has two), contact from ticket_contact; status: the stage's label
    tickets = query(
        hubspot_db,
        "select ticket_id, account_id, contact_id, product_user_id, "
        "strftime(created_at, '%Y-%m-%d %H:%M'), strftime(closed_at, '%Y-%m-%d %H:%M'), "
        "priority, status from intermediate.int_support_tickets_accepted order by 1",
    )
    assert tickets == [
        ("601", "201", "501", None, "2024-02-01 09:00", "2024-02-02 10:00", "normal", "Closed"),
        ("602", "202", None, None, "2024-03-01 08:00", None, "urgent", "New"),
        ("604", "201", "502", None, "2024-03-10 12:00", None, "high", "Closed"),
    ]
    findings = query(
        hubspot_db,
        "select row_key, finding from data_quality.dq_findings "
        "where table_name = 'support_tickets'",
    )
    assert findings == [("604", "closed_before_created")]


def test_hubspot_contract_path_gives_the_same_marts(hubspot_db: Path, tmp_path: Path) -> None:
    assert_contract_path_same(hubspot_db, tmp_path, hubspot_contract())


@pytest.fixture(scope="module")
def hubspot_same_second_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hubspot_same_second")
    return _connector_build(folder, "hubspot", hubspot_same_second(), HUBSPOT_VARS)


def test_hubspot_same_second_changes_follow_their_milliseconds(
    hubspot_same_second_db: Path,
) -> None:
    # deal F (306): stage entries at .120 and .450, amount 600 at .120, 900 at .450, 700 at .900,
    # all in 2024-01-22 09:00:00 UTC (1,705,914,000 s after the epoch): changed_at keeps the
    # second, source_order the milliseconds, and the path is Salesforce's deal F's
    database = hubspot_same_second_db
    history = query(
        database,
        "select changed_at, stage_name, amount, close_date, source_order "
        "from source_adapter.fivetran_hubspot__opportunity_history "
        "where opportunity_id = '306' order by source_order",
    )
    assert history == [
        ("2024-01-22 09:00:00", "Prospecting", "600", "2024-03-15", "1705914000120"),
        ("2024-01-22 09:00:00", "Proposal", "900", "2024-03-15", "1705914000450"),
        ("2024-01-22 09:00:00", "Proposal", "700", "2024-03-15", "1705914000900"),
        ("2024-02-12 10:00:00", "Closed Won", "700", "2024-02-12", "1707732000000"),
    ]
    assert_same_second_path(database, "306")
    # a schema without contact, deal_contact and ticket: the v5 tables are empty, the build green
    assert_v5_tables_empty(database, "fivetran_hubspot")


def test_hubspot_same_second_contract_path_gives_the_same_marts(
    hubspot_same_second_db: Path, tmp_path: Path
) -> None:
    assert_contract_path_same(hubspot_same_second_db, tmp_path, hubspot_same_second_contract())


def test_hubspot_history_mode_on_every_table(hubspot_db: Path, tmp_path: Path) -> None:
    database = tmp_path / "connector.duckdb"
    load_tables(database, "hubspot", history_mode(HUBSPOT, HUBSPOT_TABLES))
    build(database, vars=HUBSPOT_VARS, progress=False, unit_tests=False)
    assert assert_same_tables(hubspot_db, database, SAME_SCHEMAS, SAME_SCHEMAS) > 30


def test_hubspot_deal_history_mode_older_engagements_and_text_owner_ids(
    hubspot_db: Path, tmp_path: Path
) -> None:
    """Only `deal` in history mode, the older engagement layout (owner and time on
    `engagement`), and property_hubspot_owner_id as text beside a bigint owner_id: the same
    marts."""
    tables = {**HUBSPOT, **hubspot_legacy_engagements()}
    columns, rows = tables["deal"]
    tables["deal"] = (
        columns + ", property_hubspot_owner_id varchar",
        [(*row, None if row[0] == 302 else str(row[4])) for row in rows],
    )
    database = tmp_path / "connector.duckdb"
    load_tables(database, "hubspot", history_mode(tables, ["deal"]))
    build(database, vars=HUBSPOT_VARS, progress=False, unit_tests=False)
    assert assert_same_tables(hubspot_db, database, SAME_SCHEMAS, SAME_SCHEMAS) > 30


def test_hubspot_role_mapping_other_pipelines_and_odd_values(tmp_path: Path) -> None:
    tables = dict(HUBSPOT)
    # Globex without a create date: created at its earliest deal's (B, 2024-01-10 09:00 UTC;
    # the deleted D is not read); the Proposal stage's probability 5 (not a fraction) is left out
    company_columns, companies = tables["company"]
    tables["company"] = (
        company_columns,
        [(*row[:8], None, row[9]) if row[0] == 202 else row for row in companies],
    )
    stage_columns, stages = tables["deal_pipeline_stage"]
    tables["deal_pipeline_stage"] = (
        stage_columns,
        [(*row[:4], 5.0, *row[5:]) if row[2] == "Proposal" else row for row in stages],
    )
    columns, rows = tables["deal"]
    # a deal of another pipeline is rejected, not silently left out
    tables["deal"] = (
        columns,
        [
            *rows,
            (
                306,
                9,
                "renewals",
                "r1",
                101,
                False,
                "Renewal",
                10.0,
                "2024-03-01 00:00:00",
                "2024-01-20 09:00:00",
                "renewal",
                "Web",
                None,
                "2024-03-31 23:00:00",
            ),
        ],
    )
    database = tmp_path / "roles.duckdb"
    load_tables(database, "hubspot", tables)
    build(
        database,
        vars={
            **HUBSPOT_VARS,
            "crm_role_mapping": [
                {"user_ids": ["102"], "role": "SE"},
                {"user_ids": ["103"], "role": "MANAGER"},
            ],
        },
        select=[
            "+int_opportunities_validated",
            "+dim_users",
            "+dim_accounts",
            "+dim_stages",
            "fivetran_hubspot__findings",
        ],
        # only the models: tests of a partial build would reach models not built
        exclude=["resource_type:test"],
        progress=False,
        unit_tests=False,
    )
    roles = query(database, "select user_id, role from core.dim_users order by 1")
    assert roles == [("101", "AE"), ("102", "SE"), ("103", "MANAGER")]
    reasons = query(
        database,
        "select opportunity_id, reject_reason from intermediate.int_opportunities_validated "
        "where reject_reason is not null order by 1",
    )
    assert reasons == [
        ("304", "deleted_in_source"),
        ("305", "parent_rejected"),
        ("306", "other_pipeline"),
    ]
    created = query(
        database,
        "select account_id, strftime(created_at, '%Y-%m-%d %H:%M') from core.dim_accounts "
        "order by 1",
    )
    assert created == [("201", "2023-11-01 10:00"), ("202", "2024-01-10 09:00")]
    probabilities = query(
        database, "select stage_name, default_probability from core.dim_stages order by 1"
    )
    assert probabilities == [
        ("Closed Lost", 0.0),
        ("Closed Won", 1.0),
        ("Proposal", None),
        ("Prospecting", 0.1),
    ]
    findings = query(
        database,
        "select * from source_adapter.fivetran_hubspot__findings order by 1, 2",
    )
    assert findings == [
        ("accounts", "202", "created_at", "derived_from_deals", "2024-01-10 09:00:00"),
        ("stages", "Proposal", "default_probability", "out_of_range", "5.0"),
    ]


def test_hubspot_unknown_pipeline_fails_listing_the_pipelines(tmp_path: Path) -> None:
    database = tmp_path / "pipeline.duckdb"
    load_tables(database, "hubspot", HUBSPOT)
    with pytest.raises(CrmMetricsError) as failure:
        build(
            database,
            vars={**HUBSPOT_VARS, "hubspot_pipeline_id": "sales"},
            select=["fivetran_hubspot__stages"],
            progress=False,
            unit_tests=False,
        )
    assert 'hubspot_pipeline_id "sales"' in str(failure.value)
    assert "default (Sales Pipeline)" in str(failure.value)


def test_hubspot_unknown_pipeline_without_deal_pipeline_names_the_stage_table(
    tmp_path: Path,
) -> None:
    tables = {name: table for name, table in HUBSPOT.items() if name != "deal_pipeline"}
    database = tmp_path / "pipeline.duckdb"
    load_tables(database, "hubspot", tables)
    with pytest.raises(CrmMetricsError) as failure:
        build(
            database,
            vars={**HUBSPOT_VARS, "hubspot_pipeline_id": "sales"},
            select=["fivetran_hubspot__stages"],
            progress=False,
            unit_tests=False,
        )
    message = str(failure.value)
    assert 'hubspot_pipeline_id "sales"' in message
    assert "deal_pipeline_stage" in message and "its pipelines: default." in message


def test_hubspot_pipeline_without_stages_fails_naming_the_stage_table(tmp_path: Path) -> None:
    tables = dict(HUBSPOT)
    columns, rows = tables["deal_pipeline"]
    tables["deal_pipeline"] = (columns, [*rows, ("renewals", "Renewals", 1, True, False, SYNCED)])
    database = tmp_path / "pipeline.duckdb"
    load_tables(database, "hubspot", tables)
    with pytest.raises(CrmMetricsError) as failure:
        build(
            database,
            vars={**HUBSPOT_VARS, "hubspot_pipeline_id": "renewals"},
            select=["fivetran_hubspot__stages"],
            progress=False,
            unit_tests=False,
        )
    message = str(failure.value)
    assert 'hubspot_pipeline_id "renewals" has no stage in' in message
    assert "deal_pipeline_stage" in message


# ---------------------------------------------------------------------------------------------
# Installed as a dbt package by another root project


def test_installed_as_a_package_builds_the_same_marts(salesforce_db: Path, tmp_path: Path) -> None:
    root = tmp_path / "warehouse_project"
    root.mkdir()
    database = root / "warehouse.duckdb"
    load_tables(database, "salesforce", SALESFORCE)
    (root / "dbt_project.yml").write_text(
        textwrap.dedent(
            f"""\
            name: acme_analytics
            version: "1.0.0"
            config-version: 2
            profile: acme_warehouse
            vars:
              source_system: fivetran_salesforce
              source_schema: salesforce
              as_of_date: "{AS_OF}"
            """
        )
    )
    (root / "packages.yml").write_text(f"packages:\n  - local: {PROJECT_DIR}\n")
    (root / "profiles.yml").write_text(
        textwrap.dedent(
            f"""\
            acme_warehouse:
              target: dev
              outputs:
                dev:
                  type: duckdb
                  path: "{database}"
                  schema: analytics
                  threads: 2
            """
        )
    )
    dbt = Path(sys.executable).parent / "dbt"
    for command in (["deps"], ["build"]):
        done = subprocess.run(
            [
                str(dbt),
                *command,
                "--project-dir",
                str(root),
                "--profiles-dir",
                str(root),
                "--no-use-colors",
                "--no-send-anonymous-usage-stats",
            ],
            capture_output=True,
            text=True,
            cwd=root,
            timeout=900,
        )
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    # compared by table name, whatever schema names the package's models landed in
    located = dict(
        query(
            database,
            "select table_name, table_schema from information_schema.tables "
            "where table_schema <> 'salesforce'",
        )
    )
    assert {"analytics_marts", "analytics_core", "analytics_staging"} <= set(located.values())
    expected = _tables(salesforce_db, ("core", "marts"))
    assert set(expected) <= set(located), sorted(set(expected) - set(located))
    # the demo seeds (tables users, opportunities, ...) were not built into this warehouse
    assert not {"users", "opportunities", "stages"} & set(located), sorted(located)
    for name, schema in sorted(expected.items()):
        assert _rows(salesforce_db, f'"{schema}"."{name}"') == _rows(
            database, f'"{located[name]}"."{name}"'
        ), name
    compared = len(expected)
    assert compared > 30
