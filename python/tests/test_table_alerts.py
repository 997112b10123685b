"""A build never ends green on nothing (models/data_quality/dq_table_alerts.sql and the tests
tests/dq_required_table_not_all_rejected.sql, tests/dq_required_table_majority_lost.sql).

The raw files are the Salesforce fixture's import (4 deals: 006A1, 006A2, 006A3 and 006A5, whose
AccountId is empty), with created_at rewritten as a report export writes it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from helpers import build_raw

from crm_metrics.errors import DbtNodesFailedError
from crm_metrics.importers.salesforce import import_salesforce
from crm_metrics.runner import dq_report

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
def test_majority_lost_to_one_reason_warns_and_the_summary_says_so(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    import_salesforce(SALESFORCE, raw, unknown_account="(no account)")
    # 3 of 4 deals unparseable; 006A3 is accepted
    rewrite_created_at(raw, {"006A1": "01/02/24", "006A2": "01/05/24", "006A5": "02/03/24"})
    database = tmp_path / "db.duckdb"
    results = build_alerts(database, raw)
    statuses = {r.name: r.status for r in results if r.resource_type == "test"}
    assert statuses["dq_required_table_majority_lost"] == "warn"
    assert statuses["dq_required_table_not_all_rejected"] == "pass"
    report = dq_report(database)
    assert report.splitlines()[0] == (
        "WARNING: raw table opportunities: 3 of 4 rows rejected for one reason; main reason "
        "unparseable:created_at (3 rows, e.g. '01/02/24'): the value looks like a numeric "
        "month/day or day/month date; the raw files take ISO 8601 (YYYY-MM-DD, YYYY-MM-DD "
        "HH:MM:SS): run crm-metrics import, which detects the order, or convert the column "
        "(rows in data_quality.dq_opportunities_rejects)"
    )
    # the history of 006A1 (3 rows) and 006A2 (2 rows) is lost with them; 006A3's 2 are kept
    assert "WARNING: raw table opportunity_history: 5 of 7 rows rejected" in report
