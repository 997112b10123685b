"""History rows of one deal that share their second (raw contract: opportunity_history.source_order,
"Deal history" in docs/raw-data.md).

The raw files are the Salesforce fixture's import (python/tests/fixtures/importers/salesforce)
with one more deal, 006H1, whose OpportunityHistory rows were written in one second, as a bulk
load or a workflow right after creation writes them. Its rows are given to the importer in an
order (file order) unlike their Ids' order and unlike any order of their values; every expected
value below is worked out by hand from the rows written here.

006H1, created 2024-03-01 10:00:00 UTC, account 001A1, owner 005A2:

    Id               CreatedDate           StageName             Amount  CloseDate
    00830000002zz9A  2024-03-01 10:00:00   Proposal/Price Quote  900     2024-07-31   (file row 1)
    00830000001AAAA  2024-03-10 09:00:00   Closed Won            900     2024-03-10   (file row 2)
    00830000002Zz9a  2024-03-01 10:00:00   Closed Lost           500     2024-06-30   (file row 3)
    00830000002Zz9A  2024-03-01 10:00:00   Prospecting           500     2024-06-30   (file row 4)

By code point, 'Z' (0x5A) < 'z' (0x7A) and 'A' (0x41) < 'a' (0x61): the Ids order the three rows
of 10:00:00 as ...Zz9A (Prospecting), ...Zz9a (Closed Lost), ...zz9A (Proposal); a
case-insensitive collation would put ...Zz9a before ...Zz9A. The path is therefore: created in
Prospecting (500, 2024-06-30), lost, reopened into Proposal/Price Quote (900, 2024-07-31), won on
2024-03-10 09:00:00 (900, close date 2024-03-10). The Id 00830000001AAAA sorts first but its row
is later: changed_at orders before source_order.

The contract-level cases are rows added to the imported files (source_order written directly),
all at 2024-04-01 10:00:00 unless said, close date 2024-06-30, amount 100:

- N1: source_order '10' Closed Won, '9' Prospecting. All parse as numbers: 9 before 10, so the
  deal is created in Prospecting and won (as text '10' < '9' would make it created won and
  reopened).
- T1: '9' Closed Lost, '10' Prospecting, 'x' Proposal/Price Quote. 'x' is no number, so all three
  compare as text: '10' < '9' < 'x': created in Prospecting, lost, reopened into Proposal.
- M1: a row at 2024-03-15 10:00:00 ('1', Prospecting), then at 2024-04-01 10:00:00 '2' Proposal
  and one without source_order, Closed Won. That instant's rows are keyed by (deal, changed_at)
  alone and differ: both ambiguous_order; the deal keeps its first row (open, Prospecting).
- M2: '1' Prospecting 100 changed_by u2, and one without source_order, Prospecting 100.00
  changed_by u1: one key, equal values: one row; the smallest changed_by (u1) is kept, the '1'
  row is exact_duplicate (its key 'M2|2024-04-01 10:00:00|1').
- D1: '1' Prospecting, '01' Closed Won, '2' Proposal. All numbers: '1' and '01' are the same
  number, so they share a key and differ: ambiguous_order; '2' stays, the deal's only row.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import query
from helpers import build_raw, shuffle_history

from crm_metrics.importers.salesforce import import_salesforce

SALESFORCE = Path(__file__).parent / "fixtures" / "importers" / "salesforce"
BUILT = ["+fct_opportunity_changes", "+fct_opportunities", "+dq_opportunity_history_rejects"]

H1_HISTORY = [
    ("00830000002zz9A", "2024-03-01T10:00:00.000Z", "Proposal/Price Quote", "900", "2024-07-31"),
    ("00830000001AAAA", "2024-03-10T09:00:00.000Z", "Closed Won", "900", "2024-03-10"),
    ("00830000002Zz9a", "2024-03-01T10:00:00.000Z", "Closed Lost", "500", "2024-06-30"),
    ("00830000002Zz9A", "2024-03-01T10:00:00.000Z", "Prospecting", "500", "2024-06-30"),
]

AT = "2024-04-01 10:00:00"
# (deal, changed_at, source_order, stage, amount, changed_by)
CONTRACT_ROWS = [
    ("N1", AT, "10", "Closed Won", "100", ""),
    ("N1", AT, "9", "Prospecting", "100", ""),
    ("T1", AT, "9", "Closed Lost", "100", ""),
    ("T1", AT, "10", "Prospecting", "100", ""),
    ("T1", AT, "x", "Proposal/Price Quote", "100", ""),
    ("M1", "2024-03-15 10:00:00", "1", "Prospecting", "100", ""),
    ("M1", AT, "2", "Proposal/Price Quote", "100", ""),
    ("M1", AT, "", "Closed Won", "100", ""),
    ("M2", AT, "1", "Prospecting", "100", "u2"),
    ("M2", AT, "", "Prospecting", "100.00", "u1"),
    ("D1", AT, "1", "Prospecting", "100", ""),
    ("D1", AT, "01", "Closed Won", "100", ""),
    ("D1", AT, "2", "Proposal/Price Quote", "100", ""),
]


def _append_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, newline="", encoding="utf-8") as handle:
        columns = list(csv.DictReader(handle).fieldnames or [])
    with open(path, "a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writerows([{c: row.get(c, "") for c in columns} for row in rows])


def _export(folder: Path, *, with_ids: bool) -> Path:
    """The Salesforce fixture plus deal 006H1 (its history rows in the file order above)."""
    shutil.copytree(SALESFORCE, folder)
    _append_csv(
        folder / "Opportunity.csv",
        [
            {
                "Id": "006H1",
                "IsDeleted": "false",
                "AccountId": "001A1",
                "Name": "Acme - Bulk loaded",
                "StageName": "Closed Won",
                "Amount": "900",
                "CloseDate": "2024-03-10",
                "Type": "New Business",
                "IsClosed": "true",
                "IsWon": "true",
                "OwnerId": "005A2",
                "CreatedDate": "2024-03-01T10:00:00.000Z",
            }
        ],
    )
    _append_csv(
        folder / "OpportunityHistory.csv",
        [
            {
                "Id": record_id,
                "IsDeleted": "false",
                "OpportunityId": "006H1",
                "CreatedById": "005A2",
                "CreatedDate": created,
                "StageName": stage,
                "Amount": amount,
                "CloseDate": close,
            }
            for record_id, created, stage, amount, close in H1_HISTORY
        ],
    )
    if not with_ids:
        path = folder / "OpportunityHistory.csv"
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        columns = [c for c in rows[0] if c != "Id"]
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n"
            )
            writer.writeheader()
            writer.writerows(rows)
    return folder


def _add_contract_rows(raw: Path) -> None:
    deals = sorted({deal for deal, *_ in CONTRACT_ROWS})
    _append_csv(
        raw / "opportunities.csv",
        [
            {
                "opportunity_id": deal,
                "account_id": "001A1",
                "owner_id": "005A2",
                "created_at": "2024-03-15 10:00:00" if deal == "M1" else AT,
                "close_date": "2024-06-30",
                "amount": "100",
                "stage_name": "Prospecting",
            }
            for deal in deals
        ],
    )
    _append_csv(
        raw / "opportunity_history.csv",
        [
            {
                "opportunity_id": deal,
                "changed_at": changed_at,
                "source_order": order,
                "stage_name": stage,
                "amount": amount,
                "close_date": "2024-06-30",
                "changed_by": changed_by,
            }
            for deal, changed_at, order, stage, amount, changed_by in CONTRACT_ROWS
        ],
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("same_instant")
    raw = folder / "raw"
    import_salesforce(_export(folder / "export", with_ids=True), raw)
    _add_contract_rows(raw)
    # the importer writes rows sorted; the build must not depend on the file's order either
    shuffle_history(raw, seed=31)
    database = folder / "built.duckdb"
    build_raw(database, raw, BUILT)
    return raw, database


def _changes(database: Path, deal: str) -> list[tuple]:
    return query(
        database,
        "select history_row_number, changed_at, change_kind, old_stage_name, new_stage_name, "
        "old_amount, new_amount, old_close_date, new_close_date "
        f"from core.fct_opportunity_changes where opportunity_id = '{deal}' order by 1, 3",
    )


def _stage_path(database: Path, deal: str) -> list[tuple]:
    return query(
        database,
        "select history_row_number, change_kind, new_stage_name from core.fct_opportunity_changes"
        f" where opportunity_id = '{deal}' and new_stage_name is not null order by 1, 2",
    )


@pytest.mark.slow
def test_salesforce_same_second_history_is_ordered_by_id(built: tuple[Path, Path]) -> None:
    raw, database = built
    notes = (raw / "import_notes.md").read_text(encoding="utf-8")
    assert "No OpportunityHistory row stays unordered: none is ambiguous_order." in notes
    # the importer's source_order is the Id; the file's order is not used
    with open(raw / "opportunity_history.csv", newline="", encoding="utf-8") as handle:
        written = {
            row["source_order"]: row["stage_name"]
            for row in csv.DictReader(handle)
            if row["opportunity_id"] == "006H1"
        }
    assert written == {record_id: stage for record_id, _, stage, _, _ in H1_HISTORY}
    # nothing of the Salesforce deals is ambiguous
    assert query(
        database,
        "select count(*) from data_quality.dq_opportunity_history_rejects "
        "where opportunity_id like '006%' and reject_reason = 'ambiguous_order'",
    ) == [(0,)]
    at, won_at = datetime(2024, 3, 1, 10), datetime(2024, 3, 10, 9)
    june, july = date(2024, 6, 30), date(2024, 7, 31)
    assert _changes(database, "006H1") == [
        (1, at, "created", None, "Prospecting", None, 500, None, june),
        (2, at, "lost", "Prospecting", "Closed Lost", 500, 500, june, june),
        (3, at, "reopened", "Closed Lost", "Proposal/Price Quote", 500, 900, june, july),
        (4, won_at, "won", "Proposal/Price Quote", "Closed Won", 900, 900, july, date(2024, 3, 10)),
    ]
    assert query(
        database,
        "select outcome, current_stage, amount, close_date, closed_at, reopen_count, "
        "stage_visit_count from core.fct_opportunities where opportunity_id = '006H1'",
    ) == [("won", "Closed Won", 900, date(2024, 3, 10), won_at, 1, 4)]


@pytest.mark.slow
def test_source_order_compares_as_numbers_only_when_all_are_numbers(
    built: tuple[Path, Path],
) -> None:
    _, database = built
    assert _stage_path(database, "N1") == [(1, "created", "Prospecting"), (2, "won", "Closed Won")]
    assert _stage_path(database, "T1") == [
        (1, "created", "Prospecting"),
        (2, "lost", "Closed Lost"),
        (3, "reopened", "Proposal/Price Quote"),
    ]
    assert query(
        database,
        "select opportunity_id, outcome, current_stage from core.fct_opportunities "
        "where opportunity_id in ('N1', 'T1') order by 1",
    ) == [("N1", "won", "Closed Won"), ("T1", "open", "Proposal/Price Quote")]


@pytest.mark.slow
def test_rows_the_source_cannot_order_stay_ambiguous(built: tuple[Path, Path]) -> None:
    _, database = built
    rejects = query(
        database,
        "select opportunity_id, dq_row_key, stage_name, reject_reason "
        "from data_quality.dq_opportunity_history_rejects "
        "where opportunity_id in ('M1', 'M2', 'D1') order by 1, 2",
    )
    assert rejects == [
        ("D1", f"D1|{AT}|01", "Closed Won", "ambiguous_order"),
        ("D1", f"D1|{AT}|1", "Prospecting", "ambiguous_order"),
        ("M1", f"M1|{AT}", "Closed Won", "ambiguous_order"),
        ("M1", f"M1|{AT}|2", "Proposal/Price Quote", "ambiguous_order"),
        ("M2", f"M2|{AT}|1", "Prospecting", "exact_duplicate"),
    ]
    assert query(
        database,
        "select opportunity_id, outcome, current_stage, stage_visit_count "
        "from core.fct_opportunities where opportunity_id in ('M1', 'M2', 'D1') order by 1",
    ) == [
        ("D1", "open", "Proposal/Price Quote", 1),
        ("M1", "open", "Prospecting", 1),
        ("M2", "open", "Prospecting", 1),
    ]
    # M2's kept row is the one with the smallest changed_by
    assert query(
        database,
        "select changed_by, source_order from intermediate.int_opportunity_history_accepted "
        "where opportunity_id = 'M2'",
    ) == [("u1", None)]


@pytest.mark.slow
def test_salesforce_export_without_ids_counts_what_stays_ambiguous(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    import_salesforce(_export(tmp_path / "export", with_ids=False), raw)
    notes = (raw / "import_notes.md").read_text(encoding="utf-8")
    assert "OpportunityHistory has no Id column" in notes
    assert (
        "3 OpportunityHistory rows share their deal and CreatedDate with a row they differ "
        "from and no Id tells their order: the build quarantines them (ambiguous_order)."
    ) in notes
    database = tmp_path / "built.duckdb"
    build_raw(database, raw, BUILT)
    assert query(
        database,
        "select reject_reason, count(*) from data_quality.dq_opportunity_history_rejects "
        "where opportunity_id = '006H1' group by 1",
    ) == [("ambiguous_order", 3)]
    # the deal keeps its one orderable row: created won on 2024-03-10
    assert _stage_path(database, "006H1") == [
        (1, "created", "Closed Won"),
        (1, "won", "Closed Won"),
    ]
