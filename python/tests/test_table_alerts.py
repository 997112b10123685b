"""A build never ends green on nothing, and loss is never silent
(models/data_quality/dq_table_alerts.sql and the tests
tests/dq_required_table_not_all_rejected.sql, tests/dq_table_loss_warned.sql).

The raw files are the Salesforce fixture's import (4 deals: 006A1, 006A2, 006A3 and 006A5, whose
AccountId is empty), with created_at rewritten as a report export writes it, or small folders
written here (their counts are worked out in each test's comments), or the Fivetran Salesforce
fixture (python/tests/fivetran_fixtures.py) for records deleted in the source.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import query
from fivetran_fixtures import SALESFORCE as FIVETRAN_SALESFORCE
from fivetran_fixtures import load_tables
from helpers import build_raw, write_table

from crm_metrics.cli import main
from crm_metrics.errors import DbtNodesFailedError
from crm_metrics.importers.salesforce import import_salesforce
from crm_metrics.runner import build, dq_report

SALESFORCE = Path(__file__).parent / "fixtures" / "importers" / "salesforce"


def rewrite_created_at(raw: Path, values: dict[str, str]) -> None:
    path = raw / "opportunities.csv"
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        row["created_at"] = values.get(row["opportunity_id"], row["created_at"])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def build_alerts(database: Path, raw: Path):
    return build_raw(database, raw, ["+dq_table_alerts"])


@pytest.mark.slow
def test_all_rejected_fails_naming_table_reason_count_example_and_hint(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    import_salesforce(SALESFORCE, raw, unknown_account="(no account)")
    rewrite_created_at(
        raw, {"006A1": "01/02/24", "006A2": "01/05/24", "006A3": "02/01/24", "006A5": "02/03/24"}
    )
    with pytest.raises(DbtNodesFailedError) as raised:
        build_alerts(tmp_path / "db.duckdb", raw)
    failed = {r.name: r.message or "" for r in raised.value.results if r.failed}
    assert set(failed) == {"dq_required_table_not_all_rejected"}
    message = failed["dq_required_table_not_all_rejected"]
    # the cause first, then the history lost with its deals
    assert (
        "raw table opportunities: all 4 rows rejected; main reason unparseable:created_at "
        "(4 rows, e.g. '01/02/24'): the value looks like a numeric month/day or day/month date"
    ) in message
    assert message.index("raw table opportunities") < message.index(
        "raw table opportunity_history: all 7 rows rejected; main reason parent_rejected"
    )
    assert "dq_required_table_not_all_rejected" in str(raised.value)


@pytest.mark.slow
def test_losses_warn_with_the_largest_share_first(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    import_salesforce(SALESFORCE, raw, unknown_account="(no account)")
    # 3 of 4 deals unparseable; 006A3 is accepted
    rewrite_created_at(raw, {"006A1": "01/02/24", "006A2": "01/05/24", "006A5": "02/03/24"})
    database = tmp_path / "db.duckdb"
    results = build_alerts(database, raw)
    statuses = {r.name: r.status for r in results if r.resource_type == "test"}
    assert statuses["dq_table_loss_warned"] == "warn"
    assert statuses["dq_required_table_not_all_rejected"] == "pass"
    report = dq_report(database)
    # the largest share first, then by table name: the contact roles of the rejected deals
    # (optional table, 3 of 3) and 006A1's one line item are lost with their deals
    assert report.splitlines()[0] == (
        "WARNING: raw table opportunity_contact_roles: 3 of 3 rows lost (100.0%); main reason "
        "parent_rejected (3 rows, e.g. row 006A1|003C1|Decision Maker): the rows they depend on "
        "were rejected: see that table's reasons first "
        "(rows in data_quality.dq_opportunity_contact_roles_rejects)"
    )
    assert report.splitlines()[1] == (
        "WARNING: raw table opportunity_line_items: 1 of 1 rows lost (100.0%); main reason "
        "parent_rejected (1 rows, e.g. row 00kA1): the rows they depend on were rejected: see "
        "that table's reasons first (rows in data_quality.dq_opportunity_line_items_rejects)"
    )
    assert report.splitlines()[2] == (
        "WARNING: raw table opportunities: 3 of 4 rows lost (75.0%); main reason "
        "unparseable:created_at (3 rows, e.g. row 006A1 with created_at '01/02/24'): the value "
        "looks like a numeric month/day or day/month date; the raw files take ISO 8601 "
        "(YYYY-MM-DD, YYYY-MM-DD HH:MM:SS): run crm-metrics import, which detects the order, or "
        "convert the column (rows in data_quality.dq_opportunities_rejects)"
    )
    # the history of 006A1 (3 rows) and 006A2 (2 rows) is lost with them; 006A3's 2 are kept
    assert report.splitlines()[3] == (
        "WARNING: raw table opportunity_history: 5 of 7 rows lost (71.4%); main reason "
        "parent_rejected (5 rows, e.g. row 006A1|2024-01-02 09:00:00|008A1): the rows they "
        "depend on were rejected: see that table's reasons first "
        "(rows in data_quality.dq_opportunity_history_rejects)"
    )


USERS = [
    {"user_id": "u1", "full_name": "Una", "role": "AE"},
    {"user_id": "u2", "full_name": "Udo", "role": "AE"},
]
STAGES = [
    {"stage_name": "Prospecting", "stage_order": "1", "is_closed": "false", "is_won": "false"},
    {"stage_name": "Closed Won", "stage_order": "2", "is_closed": "true", "is_won": "true"},
    {"stage_name": "Closed Lost", "stage_order": "3", "is_closed": "true", "is_won": "false"},
]


def small_raw(folder: Path, *, deals_without_close_date: int, activities: list[dict]) -> Path:
    """25 deals o01..o25 on account a1 with one history row each; the first
    `deals_without_close_date` lack their (required) close_date, so they and their history rows
    are rejected."""
    folder.mkdir()
    write_table(folder, "users", USERS)
    write_table(
        folder,
        "accounts",
        [{"account_id": "a1", "account_name": "Acme", "created_at": "2024-01-01 09:00:00"}],
    )
    write_table(folder, "stages", STAGES)
    deals = [f"o{i:02d}" for i in range(1, 26)]
    write_table(
        folder,
        "opportunities",
        [
            {
                "opportunity_id": deal,
                "account_id": "a1",
                "owner_id": "u1",
                "created_at": "2024-01-02 09:00:00",
                "close_date": "" if i < deals_without_close_date else "2024-03-31",
                "amount": "100",
                "stage_name": "Prospecting",
            }
            for i, deal in enumerate(deals)
        ],
    )
    write_table(
        folder,
        "opportunity_history",
        [
            {
                "opportunity_id": deal,
                "changed_at": "2024-01-02 09:00:00",
                "stage_name": "Prospecting",
                "amount": "100",
                "close_date": "2024-03-31",
            }
            for deal in deals
        ],
    )
    write_table(folder, "activities", activities)
    return folder


def activity(number: int, user: str = "u1") -> dict[str, str]:
    return {
        "activity_id": f"act{number:02d}",
        "user_id": user,
        "activity_type": "call",
        "activity_at": f"2024-01-{number + 2:02d} 10:00:00",
    }


@pytest.mark.slow
def test_losses_from_a_tenth_of_the_rows_warn_at_the_top_of_the_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 3 of 25 deals (12%) without close_date: their 3 history rows are parent_rejected (12%);
    # 2 of 8 activities (25%) without user_id
    raw = small_raw(
        tmp_path / "raw",
        deals_without_close_date=3,
        activities=[activity(n, "" if n <= 2 else "u2") for n in range(1, 9)],
    )
    database = tmp_path / "db.duckdb"
    options = ["--raw-dir", str(raw), "--database", str(database), "--no-publish"]
    # the models dq_table_alerts needs; the tests that read models outside them left out
    selection = ["--select", "+dq_table_alerts", "--exclude", "dq_raw_rows_reconcile"]
    selection += ["test_name:is_validated_minus_rejected"]
    code = main(["build", *options, *selection])
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    summary = printed[next(i for i, line in enumerate(printed) if line.startswith("WARNING: ")) :]
    # the largest share first, then by table
    assert summary[:3] == [
        "WARNING: raw table activities: 2 of 8 rows lost (25.0%); main reason "
        "missing_required:user_id (2 rows, e.g. row act01 with user_id ''): the column is empty "
        "in these rows: map the export column that holds it "
        "(rows in data_quality.dq_activities_rejects)",
        "WARNING: raw table opportunities: 3 of 25 rows lost (12.0%); main reason "
        "missing_required:close_date (3 rows, e.g. row o01 with close_date ''): the column is "
        "empty in these rows: map the export column that holds it "
        "(rows in data_quality.dq_opportunities_rejects)",
        "WARNING: raw table opportunity_history: 3 of 25 rows lost (12.0%); main reason "
        "parent_rejected (3 rows, e.g. row o01|2024-01-02 09:00:00): the rows they depend on "
        "were rejected: see that table's reasons first "
        "(rows in data_quality.dq_opportunity_history_rejects)",
    ]
    assert summary[3].startswith("models: ")
    assert query(
        database,
        "select table_name, is_required, rows_read, lost_rows, lost_share, main_loss_reason, "
        "main_loss_reason_rows, loss_example_key, is_loss_warned "
        "from data_quality.dq_table_alerts order by 1",
    ) == [
        ("accounts", True, 1, 0, 0.0, None, 0, None, False),
        ("activities", False, 8, 2, 0.25, "missing_required:user_id", 2, "act01", True),
        ("opportunities", True, 25, 3, 0.12, "missing_required:close_date", 3, "o01", True),
        (
            "opportunity_history",
            True,
            25,
            3,
            0.12,
            "parent_rejected",
            3,
            "o01|2024-01-02 09:00:00",
            True,
        ),
        ("stages", True, 3, 0, 0.0, None, 0, None, False),
        ("users", True, 2, 0, 0.0, None, 0, None, False),
    ]


@pytest.mark.slow
def test_small_and_harmless_losses_do_not_warn(tmp_path: Path) -> None:
    # 2 of 25 deals (8%) without close_date, and their 2 history rows; 8 activities, each
    # twice (8 exact duplicates of 16 rows read: half the table, and nothing lost)
    raw = small_raw(
        tmp_path / "raw",
        deals_without_close_date=2,
        activities=[activity(n) for n in range(1, 9)] * 2,
    )
    database = tmp_path / "db.duckdb"
    results = build_alerts(database, raw)
    statuses = {r.name: r.status for r in results if r.resource_type == "test"}
    assert statuses["dq_table_loss_warned"] == "pass"
    assert not [line for line in dq_report(database).splitlines() if "WARNING" in line]
    assert query(
        database,
        "select table_name, rows_read, lost_rows, main_reason, main_reason_rows, is_loss_warned "
        "from data_quality.dq_table_alerts where table_name in "
        "('activities', 'opportunities', 'opportunity_history') order by 1",
    ) == [
        ("activities", 16, 0, "exact_duplicate", 8, False),
        ("opportunities", 25, 2, "missing_required:close_date", 2, False),
        ("opportunity_history", 25, 2, "parent_rejected", 2, False),
    ]


@pytest.mark.slow
def test_records_deleted_in_the_source_are_not_lost(tmp_path: Path) -> None:
    # the Fivetran Salesforce fixture: records the CRM deleted are rejected deleted_in_source
    database = tmp_path / "connector.duckdb"
    load_tables(database, "salesforce", FIVETRAN_SALESFORCE)
    build(
        database,
        vars={"source_system": "fivetran_salesforce", "source_schema": "salesforce"},
        select=["+dq_table_alerts"],
        exclude=["dq_raw_rows_reconcile", "test_name:is_validated_minus_rejected"],
        progress=False,
        unit_tests=False,
    )
    rejected = query(
        database,
        "select table_name, sum(case when reason = 'deleted_in_source' then row_count end), "
        "sum(case when reason <> 'deleted_in_source' then row_count end) "
        "from data_quality.dq_summary where outcome = 'rejected' group by 1",
    )
    only_deleted = {table for table, deleted, other in rejected if deleted and not other}
    alerts = {
        table: (rows_read, lost_rows, warned)
        for table, rows_read, lost_rows, warned in query(
            database,
            "select table_name, rows_read, lost_rows, is_loss_warned "
            "from data_quality.dq_table_alerts",
        )
    }
    # tables whose only rejects are deleted records, a tenth of their rows or more
    deleted_heavy = [
        table
        for table, deleted, _ in rejected
        if table in only_deleted and deleted >= 0.1 * alerts[table][0]
    ]
    assert len(deleted_heavy) >= 2, rejected
    for table in deleted_heavy:
        assert alerts[table][1:] == (0, False), table
    warned = [line for line in dq_report(database).splitlines() if "WARNING" in line]
    assert not [line for line in warned if any(f"table {t}:" in line for t in deleted_heavy)]


@pytest.mark.slow
def test_a_default_probability_out_of_range_is_a_finding_and_null(tmp_path: Path) -> None:
    # the contract's own stages: Prospecting 2.8 (a percentage meant as 28?), Closed Won -0.5,
    # Closed Lost 0: the first two are findings and null, the build stays green
    raw = small_raw(tmp_path / "raw", deals_without_close_date=0, activities=[])
    probabilities = {"Prospecting": "2.8", "Closed Won": "-0.5", "Closed Lost": "0"}
    write_table(
        raw,
        "stages",
        [{**stage, "default_probability": probabilities[stage["stage_name"]]} for stage in STAGES],
    )
    database = tmp_path / "db.duckdb"
    results = build_raw(database, raw, ["+dim_stages", "+dq_findings"])
    statuses = {r.name: r.status for r in results if r.resource_type == "test"}
    assert [name for name in statuses if name.startswith("accepted_range_dim_stages_")]
    assert set(statuses.values()) == {"pass"}
    assert query(
        database,
        "select row_key, finding, raw_value from data_quality.dq_findings "
        "where table_name = 'stages' and column_name = 'default_probability' order by 1",
    ) == [("Closed Won", "out_of_range", "-0.5"), ("Prospecting", "out_of_range", "2.8")]
    assert query(
        database, "select stage_name, default_probability from core.dim_stages order by 1"
    ) == [("Closed Lost", 0.0), ("Closed Won", None), ("Prospecting", None)]
