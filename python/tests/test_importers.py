"""The importers (crm_metrics.importers): Salesforce, HubSpot and flat pipeline files.

The fixtures (tests/fixtures/importers/<system>/) are tiny exports written by hand with each
system's own column names. Fast tests check the written files; one dbt build per importer
(marked slow) checks that the project builds on the result, against numbers worked out by hand
from the fixtures (in the comments next to each expectation).
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import query
from helpers import build_raw

from crm_metrics.cli import main
from crm_metrics.contract import load_contract
from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.hubspot import import_hubspot
from crm_metrics.importers.pipeline_csv import import_pipeline_csv, load_mapping
from crm_metrics.importers.salesforce import import_salesforce

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
SALESFORCE = FIXTURES / "salesforce"
HUBSPOT = FIXTURES / "hubspot"
PIPELINE = FIXTURES / "pipeline_csv"


def read_rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def header(folder: Path, table: str) -> list[str]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def import_maven_like(out: Path, **options) -> None:
    import_pipeline_csv(
        PIPELINE / "sales_pipeline.csv",
        out,
        accounts=PIPELINE / "accounts.csv",
        sales_teams=PIPELINE / "sales_teams.csv",
        products=PIPELINE / "products.csv",
        **options,
    )


def build(database: Path, raw_dir: Path, select: list[str]) -> None:
    build_raw(database, raw_dir, select)  # e.g. the all-tables reconcile test is left out


# --- fast: the files written ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("run", "tables"),
    [
        (lambda out: import_salesforce(SALESFORCE, out), 9),
        (lambda out: import_hubspot(HUBSPOT, out), 6),
        (lambda out: import_maven_like(out), 7),
    ],
    ids=["salesforce", "hubspot", "pipeline-csv"],
)
def test_every_file_has_the_contract_columns_in_order(tmp_path: Path, run, tables: int) -> None:
    run(tmp_path)
    contract = load_contract()
    written = sorted(path.stem for path in tmp_path.glob("*.csv"))
    assert len(written) == tables
    for table in written:
        assert header(tmp_path, table) == contract[table].column_names
    assert (tmp_path / "import_notes.md").is_file()
    assert (tmp_path / "import_notes.json").is_file()


def test_pipeline_csv_implied_history(tmp_path: Path) -> None:
    import_maven_like(tmp_path)
    history = {
        (row["opportunity_id"], row["changed_at"]): (row["stage_name"], row["amount"])
        for row in read_rows(tmp_path, "opportunity_history")
    }
    # P1 engaged 2017-01-02 and won 2017-01-22; P4 is open (one row); P6 has no engage_date:
    # created at the snapshot date, the latest date of the file (P3's close, 2017-02-11).
    assert history == {
        ("P1", "2017-01-02 00:00:00"): ("Engaging", "4800"),
        ("P1", "2017-01-22 00:00:00"): ("Won", "4800"),
        # Maven's 0 on a lost deal is "nothing sold": the amount is unknown
        ("P2", "2017-01-05 00:00:00"): ("Engaging", ""),
        ("P2", "2017-02-04 00:00:00"): ("Lost", ""),
        ("P3", "2017-02-01 00:00:00"): ("Engaging", "550"),
        ("P3", "2017-02-11 00:00:00"): ("Won", "550"),
        ("P4", "2017-02-10 00:00:00"): ("Engaging", ""),
        ("P5", "2017-02-11 00:00:00"): ("Prospecting", ""),
        ("P6", "2017-02-11 00:00:00"): ("Prospecting", ""),
    }
    stages = [(r["stage_name"], r["is_closed"], r["is_won"]) for r in read_rows(tmp_path, "stages")]
    assert stages == [
        ("Prospecting", "false", "false"),
        ("Engaging", "false", "false"),
        ("Won", "true", "true"),
        ("Lost", "true", "false"),
    ]
    deals = {row["opportunity_id"]: row for row in read_rows(tmp_path, "opportunities")}
    assert deals["P5"]["account_id"] == ""  # left for staging to reject
    assert deals["P4"]["close_date"] == "2017-02-11"  # open: expected at the snapshot date
    accounts = {row["account_id"]: row for row in read_rows(tmp_path, "accounts")}
    assert accounts["Acme"]["industry"] == "technology"  # "technolgy" fixed
    assert accounts["Acme"]["created_at"] == "2017-01-02 00:00:00"  # its first deal
    assert accounts["Unused Co"]["created_at"] == "2017-02-11 00:00:00"
    lines = {row["opportunity_id"]: row for row in read_rows(tmp_path, "opportunity_line_items")}
    assert lines["P1"]["product_id"] == "GTX Pro"  # "GTXPro" matched to the catalogue
    assert lines["P1"]["unit_price"] == "4800" and lines["P2"]["unit_price"] == ""
    users = {row["user_id"]: row for row in read_rows(tmp_path, "users")}
    assert users["Ann Lee"]["role"] == "AE" and users["Ann Lee"]["manager_id"] == "Dustin Brinkmann"
    assert users["Dustin Brinkmann"]["role"] == "MANAGER"
    notes = (tmp_path / "import_notes.md").read_text()
    assert (
        "deals without an account (rejected by staging: missing_required:account_id; "
        "--unknown-account NAME maps them): 1"
    ) in notes


def test_pipeline_csv_placeholder_account_and_snapshot(tmp_path: Path) -> None:
    import_maven_like(tmp_path, unknown_account="(no account)", snapshot_date=dt.date(2017, 3, 1))
    deals = {row["opportunity_id"]: row for row in read_rows(tmp_path, "opportunities")}
    assert deals["P5"]["account_id"] == "(no account)"
    assert deals["P5"]["created_at"] == "2017-03-01 00:00:00"
    accounts = {row["account_id"] for row in read_rows(tmp_path, "accounts")}
    assert "(no account)" in accounts


def test_pipeline_csv_mapping_file_and_columns(tmp_path: Path) -> None:
    source = tmp_path / "deals.csv"
    source.write_text(
        "id,rep,company,status,opened,closed,value\n"
        "d1,Kim,Initech,Closed Won,2024-01-01,2024-01-11,100\n"
        "d2,Kim,Initech,Demo,2024-01-05,,\n"
    )
    mapping_file = tmp_path / "mapping.yml"
    mapping_file.write_text(
        "columns: {opportunity_id: id, owner: rep, account: company, stage: status,\n"
        "          created_date: opened, close_date: closed, product: null}\n"
        "stages: {open: [Qualify, Demo], won: Closed Won, lost: [Closed Lost],"
        " entry_stage: null}\n"
    )
    mapping = load_mapping(mapping_file, {"amount": "value"})
    import_pipeline_csv(source, tmp_path / "raw", mapping=mapping)
    history = [
        (r["opportunity_id"], r["stage_name"])
        for r in read_rows(tmp_path / "raw", "opportunity_history")
    ]
    # entry_stage null: a closed deal enters at the first open stage
    assert history == [("d1", "Qualify"), ("d1", "Closed Won"), ("d2", "Demo")]
    assert not (tmp_path / "raw" / "products.csv").exists()


def test_every_missing_piece_in_one_error(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SALESFORCE, export)
    for name in ("Opportunity", "OpportunityHistory"):
        rows = list(csv.reader((export / f"{name}.csv").read_text().splitlines()))
        drop = [rows[0].index(c) for c in ("StageName", "CloseDate", "CreatedDate") if c in rows[0]]
        kept = [[v for i, v in enumerate(row) if i not in drop] for row in rows]
        (export / f"{name}.csv").write_text("\n".join(",".join(row) for row in kept) + "\n")
    (export / "OpportunityHistory.csv").unlink()
    with pytest.raises(CrmMetricsError) as raised:
        import_salesforce(export, tmp_path / "out")
    message = str(raised.value)
    # StageName, CloseDate and the creation date (no history file either), all at once
    assert "Opportunity.csv: missing column 'StageName' or 'Stage'" in message
    assert "'CloseDate' or 'Close Date'" in message
    assert "'CreatedDate' or 'Created Date' (or an OpportunityHistory file" in message
    (export / "Opportunity.csv").unlink()
    with pytest.raises(CrmMetricsError, match=r"Opportunity\.csv: not found"):
        import_salesforce(export, tmp_path / "out")


def test_salesforce_infers_stages_without_opportunity_stage(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SALESFORCE, export)
    (export / "OpportunityStage.csv").unlink()
    import_salesforce(export, tmp_path / "out")
    stages = [
        (r["stage_name"], r["stage_order"], r["is_closed"], r["is_won"])
        for r in read_rows(tmp_path / "out", "stages")
    ]
    # open stages by mean history Probability (10, 75), then won, then lost
    assert stages == [
        ("Prospecting", "1", "false", "false"),
        ("Proposal/Price Quote", "2", "false", "false"),
        ("Closed Won", "3", "true", "true"),
        ("Closed Lost", "4", "true", "false"),
    ]
    assert "stages inferred" in (tmp_path / "out" / "import_notes.md").read_text()


def test_salesforce_cases_are_support_tickets(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(SALESFORCE, export)
    # leads are not what this test is about (their v5 columns are another change's)
    (export / "Lead.csv").unlink()
    (export / "Case.csv").write_text(
        "Id,IsDeleted,AccountId,ContactId,CreatedDate,ClosedDate,Priority,Status,Origin\n"
        "500A1,false,001A1,003A1,2024-01-10T09:00:00.000Z,2024-01-11T10:30:00.000Z,High,Closed,Web\n"
        "500A2,false,001A2,,2024-02-01T08:00:00.000Z,,Medium,New,Phone\n"
        "500A3,false,,,2024-02-02T08:00:00.000Z,,Low,Working,Email\n"
        "500A4,true,001A1,,2024-02-03T08:00:00.000Z,,High,New,Web\n"
        "500A5,false,001A1,,2024-02-04T08:00:00.000Z,,,New,Web\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    import_salesforce(export, out)
    assert header(out, "support_tickets") == load_contract()["support_tickets"].column_names
    tickets = [
        (r["ticket_id"], r["account_id"], r["created_at"], r["closed_at"], r["priority"])
        for r in read_rows(out, "support_tickets")
    ]
    # Medium is normal; the deleted case (500A4) is left out; an empty priority stays empty
    assert tickets == [
        ("500A1", "001A1", "2024-01-10 09:00:00", "2024-01-11 10:30:00", "high"),
        ("500A2", "001A2", "2024-02-01 08:00:00", "", "normal"),
        ("500A3", "", "2024-02-02 08:00:00", "", "low"),
        ("500A5", "001A1", "2024-02-04 08:00:00", "", ""),
    ]
    assert "1 deleted Case rows" in (out / "import_notes.md").read_text()


def test_hubspot_tickets_are_support_tickets(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(HUBSPOT, export)
    (export / "tickets.csv").write_text(
        "hs_object_id,subject,createdate,closed_date,hs_ticket_priority,hs_pipeline_stage,"
        "associatedcompanyid\n"
        "901,Login,2024-01-10T09:00:00.000Z,2024-01-10T21:00:00.000Z,HIGH,4,9001\n"
        "902,Export,2024-02-01T08:00:00.000Z,,MEDIUM,1,\n"
        "903,Billing,2024-02-02T08:00:00.000Z,,URGENT,2,9002\n"
        "904,Typo,2024-02-03T08:00:00.000Z,,LOW,1,9001\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    import_hubspot(export, out)
    assert header(out, "support_tickets") == load_contract()["support_tickets"].column_names
    tickets = [
        (
            r["ticket_id"],
            r["account_id"],
            r["created_at"],
            r["closed_at"],
            r["priority"],
            r["status"],
        )
        for r in read_rows(out, "support_tickets")
    ]
    # MEDIUM is normal; the pipeline stage is the status
    assert tickets == [
        ("901", "9001", "2024-01-10 09:00:00", "2024-01-10 21:00:00", "high", "4"),
        ("902", "", "2024-02-01 08:00:00", "", "normal", "1"),
        ("903", "9002", "2024-02-02 08:00:00", "", "urgent", "2"),
        ("904", "9001", "2024-02-03 08:00:00", "", "low", "1"),
    ]


def test_paths_with_quotes(tmp_path: Path) -> None:
    export = tmp_path / "it's an export"
    shutil.copytree(HUBSPOT, export)
    out = tmp_path / "raw'; drop table x; --"
    import_hubspot(export, out)
    assert len(read_rows(out, "opportunities")) == 3


def test_cli_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "raw"
    code = main(
        [
            "import",
            "pipeline-csv",
            "--from",
            str(PIPELINE / "sales_pipeline.csv"),
            "--out",
            str(out),
            "--column",
            "product=",
            "--snapshot-date",
            "2017-03-01",
        ]
    )
    assert code == 0
    # stages 4 + opportunities 6 + history 9 + users 2 + accounts 2; no products
    assert "wrote 5 tables, 23 rows" in capsys.readouterr().out
    code = main(["import", "hubspot", "--from", str(tmp_path / "missing"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1


# --- slow: one dbt build per importer -------------------------------------------------------


@pytest.mark.slow
def test_salesforce_builds(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(SALESFORCE, out)
    database = tmp_path / "sf.duckdb"
    build(
        database,
        out,
        ["+fct_opportunity_stage_spans", "+dq_opportunities_rejects", "+mart_win_rate"],
    )
    outcomes = query(
        database,
        "select opportunity_id, outcome, amount from core.fct_opportunities order by 1",
    )
    # 006A4 is deleted (skipped); 006A5 has no AccountId (rejected by staging)
    assert outcomes == [("006A1", "won", 1000), ("006A2", "lost", 500), ("006A3", "open", 2000)]
    assert query(
        database, "select opportunity_id, reject_reason from data_quality.dq_opportunities_rejects"
    ) == [("006A5", "missing_required:account_id")]
    # 006A1: Prospecting 2024-01-02 09:00 -> Proposal/Price Quote 2024-01-12 09:00 = 10 days
    assert query(
        database,
        "select days_in_stage from core.fct_opportunity_stage_spans "
        "where opportunity_id = '006A1' and stage_name = 'Prospecting'",
    ) == [(10.0,)]
    # won 1000 (006A1), lost 500 (006A2's last open amount)
    assert query(
        database,
        "select sum(won_count), sum(lost_count), sum(won_amount), sum(lost_amount) "
        "from marts.mart_win_rate",
    ) == [(1, 1, 1000, 500)]


@pytest.mark.slow
def test_hubspot_builds(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_hubspot(HUBSPOT, out)
    database = tmp_path / "hs.duckdb"
    build(database, out, ["+fct_opportunity_stage_spans", "+fct_activities", "+mart_win_rate"])
    # deal 504 is in the Renewals pipeline: left out
    assert query(
        database,
        "select opportunity_id, outcome, amount, loss_reason from core.fct_opportunities "
        "order by 1",
    ) == [("501", "won", 1500, None), ("502", "lost", 700, "Price"), ("503", "open", 3000, None)]
    # 501: Appointment Scheduled 01-15 10:00 -> Qualified To Buy 01-25 10:00 = 10 days
    spans = query(
        database,
        "select stage_name, days_in_stage, next_stage_name from core.fct_opportunity_stage_spans "
        "where opportunity_id = '501' order by visit_number",
    )
    assert spans[0] == ("Appointment Scheduled", 10.0, "Qualified To Buy")
    assert spans[2][0] == "Closed Won"
    # the call of 2024-01-22 12:00 (epoch ms) and the meeting
    assert query(
        database, "select activity_type, activity_at from core.fct_activities order by 2"
    ) == [
        ("call", dt.datetime(2024, 1, 22, 12, 0)),
        ("meeting", dt.datetime(2024, 1, 23, 9, 0)),
    ]
    assert query(
        database, "select sum(won_count), sum(lost_count), sum(won_amount) from marts.mart_win_rate"
    ) == [(1, 1, 1500)]


@pytest.mark.slow
def test_pipeline_csv_builds(tmp_path: Path) -> None:
    out = tmp_path / "raw o'dir"  # a quote in the raw_dir path
    import_maven_like(out)
    database = tmp_path / "pc.duckdb"
    build(
        database,
        out,
        ["+fct_opportunity_stage_spans", "+dq_opportunities_rejects", "+mart_win_rate"],
    )
    # P1 won 4800, P3 won 550, P2 lost, P4 and P6 open; P5 (no account) rejected
    assert query(
        database, "select opportunity_id, outcome from core.fct_opportunities order by 1"
    ) == [("P1", "won"), ("P2", "lost"), ("P3", "won"), ("P4", "open"), ("P6", "open")]
    assert query(
        database, "select opportunity_id, reject_reason from data_quality.dq_opportunities_rejects"
    ) == [("P5", "missing_required:account_id")]
    # P1 engaged 2017-01-02, won 2017-01-22: 20 days in Engaging
    assert query(
        database,
        "select days_in_stage from core.fct_opportunity_stage_spans "
        "where opportunity_id = 'P1' and stage_name = 'Engaging'",
    ) == [(20.0,)]
    assert query(
        database, "select sum(won_count), sum(lost_count), sum(won_amount) from marts.mart_win_rate"
    ) == [(2, 1, 5350)]
