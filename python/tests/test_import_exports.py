"""Real CRM exports, as they come: each kind of export imports and builds without hand edits.

Fixtures (python/tests/fixtures/importers/, headers and their sources in README.md there):

- salesforce_report/: a report export ("Export > Details Only > CSV"): field labels, M/D/YY
  dates and h:mm AM/PM clock times (America/New_York), report footers, a UTF-8 BOM and CRLF on
  `Opportunity_report.csv`, a Windows-1252 `account.csv` without Created Date, a Lead file
  without Created Date, no OwnerId, no User file, no lost deal, no history.
- salesforce_dataloader/: a Data Loader extract: lower-case file names, upper-case API field
  names, deleted rows, no OpportunityStage file, no lost deal, a deal without an AccountId and
  a history row written twice (`...Z` / `...+0000`, amount `1000` / `1000.00`).
- hubspot_ui/: a deals and companies export from HubSpot's UI (labels, stage and pipeline
  labels, "Date entered" columns, owner names), no pipelines file.

Every expected number is worked out by hand from the fixture, in the comment beside it.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import query
from helpers import build_raw

from crm_metrics.cli import main
from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.common import bool_text, find_export_file, split_report_footer
from crm_metrics.importers.dates import DateSettings
from crm_metrics.importers.hubspot import import_hubspot
from crm_metrics.importers.salesforce import import_salesforce

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
REPORT = FIXTURES / "salesforce_report"
DATALOADER = FIXTURES / "salesforce_dataloader"
HUBSPOT_UI = FIXTURES / "hubspot_ui"
NEW_YORK = DateSettings(timezone="America/New_York")


def rows(folder: Path, table: str) -> list[dict[str, str]]:
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def notes(folder: Path) -> str:
    return (folder / "import_notes.md").read_text(encoding="utf-8")


def import_cli(system: str, source: str, out: Path, *options: str) -> int:
    """`crm-metrics import <system> --from <source> --out <out> <options>`: the exit code."""
    return main(["import", system, "--from", source, "--out", str(out), *options])


def deal_accounts(folder: Path) -> dict[str, str]:
    """opportunity_id -> account_id of an import's opportunities."""
    return {r["opportunity_id"]: r["account_id"] for r in rows(folder, "opportunities")}


def accounts_named(folder: Path) -> list[tuple[str, str, str]]:
    """(account_id, account_name, created_at) of an import's accounts."""
    return [(a["account_id"], a["account_name"], a["created_at"]) for a in rows(folder, "accounts")]


ONE_ACCOUNTLESS_REJECTED = (
    "deals without an account (rejected by staging: missing_required:account_id; "
    "--unknown-account NAME maps them): 1"
)


# the placeholder account, named by itself, created with the deal without a company
PLACEHOLDER_ACCOUNT = ("(no company)", "(no company)", "2024-02-01 09:00:00")


def accounts_without_companies(export: Path, folder: Path) -> list[tuple[str, str, str]]:
    """The accounts of an import with the `(no company)` placeholder once companies.csv is gone."""
    (export / "companies.csv").unlink()
    import_hubspot(export, folder, unknown_account="(no company)")
    return accounts_named(folder)


def assert_mapped_with_companies(folder: Path) -> None:
    """The companies file's two accounts and the placeholder, named by itself and created with
    the deal that has no company (503 / 603, 2024-02-01 09:00); the notes count that deal."""
    assert accounts_named(folder) == [
        PLACEHOLDER_ACCOUNT,
        ("9001", "Initech", "2023-12-01 08:00:00"),
        ("9002", "Umbrella", "2023-12-05 08:00:00"),
    ]
    assert "deals without an account (mapped to placeholder '(no company)'): 1" in notes(folder)


BUILT = [
    "+fct_opportunity_stage_spans",
    "+dq_opportunities_rejects",
    "+dq_opportunity_history_rejects",
    "+dim_accounts",
    "+mart_win_rate",
    "+dq_table_alerts",
]


WIN_RATE_TOTALS = "select sum(won_count), sum(lost_count), sum(won_amount) from marts.mart_win_rate"


def build(raw_dir: Path) -> Path:
    """The database built from an import's files (next to them)."""
    database = raw_dir.parent / "built.duckdb"
    build_raw(database, raw_dir, BUILT)
    return database


# --- files as exports name and write them -----------------------------------------------------


def test_file_names_any_case_and_an_unambiguous_prefix_or_suffix(tmp_path: Path) -> None:
    for name in ("opportunity.csv", "Account_export.csv", "2024 user.csv", "lead.xlsx"):
        (tmp_path / name).write_text("Id\n")
    problems: list[str] = []
    assert find_export_file(tmp_path, "Opportunity", problems=problems).name == "opportunity.csv"
    assert find_export_file(tmp_path, "Account", problems=problems).name == "Account_export.csv"
    assert find_export_file(tmp_path, "User", problems=problems).name == "2024 user.csv"
    # OpportunityHistory does not match opportunity.csv (no separator), nor the reverse
    assert find_export_file(tmp_path, "OpportunityHistory", problems=problems) is None
    assert problems == []
    assert find_export_file(tmp_path, "Lead", problems=problems) is None
    assert problems == [
        "lead.xlsx is an Excel workbook: open it and save it as CSV UTF-8 (File > Save As > "
        "CSV UTF-8) as Lead.csv, then import again"
    ]
    (tmp_path / "Account_old.csv").write_text("Id\n")
    problems.clear()
    assert find_export_file(tmp_path, "Account", problems=problems) is None
    assert "more than one file could be it (Account_export.csv, Account_old.csv)" in problems[0]
    (tmp_path / "Task.csv").write_text("Id\n")
    (tmp_path / "task.csv").write_text("Id\n")
    problems.clear()
    assert find_export_file(tmp_path, "Task", problems=problems) is None
    assert problems == ["Task: files differing only in case (Task.csv, task.csv); keep one"]


def test_report_footer_is_split_off_and_data_without_one_is_untouched() -> None:
    data = 'a,b\r\n1,2\r\n\r\n"Report"\r\n"Copyright (c) 2000-2024 salesforce.com"\r\n'
    assert split_report_footer(data) == (
        "a,b\r\n1,2\r\n",
        ["\r\n", '"Report"\r\n', '"Copyright (c) 2000-2024 salesforce.com"\r\n'],
    )
    for clean in ("a,b\n1,2\n", "a,b\n1,2\n\n", 'a,b\n1,"x"\n'):
        assert split_report_footer(clean) == (clean, [])


def test_windows_1252_read_without_replacement_and_bom_stripped(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(REPORT, out, settings=NEW_YORK)
    accounts = {row["account_id"]: row["account_name"] for row in rows(out, "accounts")}
    deals = {row["opportunity_id"]: row["opportunity_name"] for row in rows(out, "opportunities")}
    # cp1252 0xE9 / 0xFC are é / ü; the BOM is not part of the first header ("Opportunity Owner")
    assert accounts == {"001R1": "Café Müller GmbH", "001R2": "Acme"}
    assert deals["006R1"] == "Müller - Platform"
    text = notes(out)
    assert "account.csv: not UTF-8, read as Windows-1252" in text
    assert "Opportunity_report.csv: 5 footer line(s) after the data skipped" in text
    assert "\ufffd" not in (out / "accounts.csv").read_text(encoding="utf-8")


def test_undecodable_file_is_an_error_naming_the_byte(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    # 0x81 is undefined in Windows-1252, and invalid UTF-8
    (export / "Opportunity.csv").write_bytes(b"Id,StageName,CloseDate,CreatedDate\n1,\x81,,\n")
    with pytest.raises(CrmMetricsError, match=r"neither UTF-8 nor Windows-1252 \(byte 0x81"):
        import_salesforce(export, tmp_path / "out")


# --- Salesforce report export -----------------------------------------------------------------


def test_salesforce_report_export_files(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(REPORT, out, settings=NEW_YORK)
    deals = {row["opportunity_id"]: row for row in rows(out, "opportunities")}
    # Created Date "1/5/24 9:15 AM" New York (EST, UTC-5) is 14:15 UTC; "2/20/24 11:45 PM" is
    # 04:45 UTC the next day. Close Date "1/31/24" is month first (2/13/24 decides it).
    assert {k: (v["created_at"], v["close_date"]) for k, v in deals.items()} == {
        "006R1": ("2024-01-05 14:15:00", "2024-01-31"),
        "006R2": ("2024-01-20 21:30:00", "2024-02-13"),
        "006R3": ("2024-02-01 15:00:00", "2024-03-31"),
        "006R4": ("2024-02-21 04:45:00", "2024-04-30"),
    }
    # no OwnerId: the Opportunity Owner's name is the owner; no User file: users from owners
    assert {v["owner_id"] for v in deals.values()} == {"Ann Lee", "Bob Stone"}
    assert [(u["user_id"], u["full_name"], u["role"]) for u in rows(out, "users")] == [
        ("Ann Lee", "Ann Lee", "AE"),
        ("Bob Stone", "Bob Stone", "AE"),
    ]
    # no Created Date on accounts: the earliest created date of their deals
    assert {a["account_id"]: a["created_at"] for a in rows(out, "accounts")} == {
        "001R1": "2024-01-05 14:15:00",  # 006R1, before 006R4
        "001R2": "2024-01-20 21:30:00",  # 006R2, before 006R3
    }
    # no lost deal: Salesforce's standard Closed Lost added; open stages by median first entry
    # (no history: the created dates, 006R3 Prospecting 02-01 before 006R4 Negotiation 02-21)
    stages = [(s["stage_name"], s["is_closed"], s["is_won"]) for s in rows(out, "stages")]
    assert stages == [
        ("Prospecting", "false", "false"),
        ("Negotiation/Review", "false", "false"),
        ("Closed Won", "true", "true"),
        ("Closed Lost", "true", "false"),
    ]
    assert rows(out, "leads") == []  # no Created Date: left out, counted
    text = notes(out)
    for expected in (
        "leads without a CreatedDate (left out: leads are optional): 2",
        # the values are scanned in text order, so the first deciding value is the same every run
        "Numeric dates read month first (MM/DD/YYYY): Opportunity_report.csv CreatedDate has "
        "'1/20/24 4:30 PM'",
        "Dates of Opportunity_report.csv CreatedDate: MM/DD/YY hh:mm AM/PM",
        "Dates of Opportunity_report.csv CloseDate: MM/DD/YY.",
        "read as America/New_York clock times and converted to UTC",
        "No OwnerId on Opportunity: the Opportunity Owner's name is the owner id.",
        "Added Salesforce's standard Closed Lost stage(s)",
        "median time deals first enter them",
        "No User file: one user (role AE) per owner of the deals",
        "2 accounts without a CreatedDate are created at their earliest deal's created date",
    ):
        assert expected in text, expected


@pytest.mark.slow
def test_salesforce_report_export_builds(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(REPORT, out, settings=NEW_YORK)
    database = build(out)
    assert query(
        database,
        "select opportunity_id, outcome, amount, created_at from core.fct_opportunities order by 1",
    ) == [
        ("006R1", "won", 12000, dt.datetime(2024, 1, 5, 14, 15)),
        ("006R2", "won", 3000, dt.datetime(2024, 1, 20, 21, 30)),
        ("006R3", "open", 5000, dt.datetime(2024, 2, 1, 15, 0)),
        ("006R4", "open", 2500, dt.datetime(2024, 2, 21, 4, 45)),
    ]
    assert query(database, "select count(*) from data_quality.dq_opportunities_rejects") == [(0,)]
    assert query(
        database, "select account_name from core.dim_accounts where account_id = '001R1'"
    ) == [("Café Müller GmbH",)]
    # won 12000 + 3000 (006R1, 006R2), nothing lost
    assert query(database, WIN_RATE_TOTALS) == [(2, 0, 15000)]


# --- Salesforce Data Loader export -----------------------------------------------------------


def test_salesforce_dataloader_export_files(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(DATALOADER, out)
    deals = {row["opportunity_id"]: row for row in rows(out, "opportunities")}
    assert sorted(deals) == ["006D1", "006D2", "006D4"]  # 006D3 is deleted
    assert deals["006D4"]["account_id"] == ""  # left for staging to reject
    stages = [(s["stage_name"], s["is_closed"], s["is_won"]) for s in rows(out, "stages")]
    # mean Probability: Prospecting 10, Proposal/Price Quote 75; Closed Lost added
    assert stages == [
        ("Prospecting", "false", "false"),
        ("Proposal/Price Quote", "false", "false"),
        ("Closed Won", "true", "true"),
        ("Closed Lost", "true", "false"),
    ]
    history = rows(out, "opportunity_history")
    assert len(history) == 7  # 008D8 is deleted
    text = notes(out)
    assert "1 deleted Opportunity rows (IsDeleted) left out." in text
    assert "1 deleted OpportunityHistory rows (IsDeleted) left out." in text
    assert "opportunities without an account (rejected by staging" in text
    assert "Dates of opportunity.csv CreatedDate: ISO 8601 datetimes." in text
    roles = {u["user_id"]: u["role"] for u in rows(out, "users")}
    assert roles == {"005D1": "AE", "005D2": "MANAGER"}


def test_unparseable_dates_are_counted_with_an_example_and_passed_through(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(DATALOADER, export)
    path = export / "opportunity.csv"
    path.write_text(path.read_text().replace('"2024-04-30"', '"end of April"'))
    out = tmp_path / "raw"
    import_salesforce(export, out)
    deals = {row["opportunity_id"]: row["close_date"] for row in rows(out, "opportunities")}
    assert deals["006D2"] == "end of April"  # never guessed: staging rejects the row
    assert (
        "- opportunity.csv CloseDate: unparseable dates (left for the build to reject), "
        "e.g. 'end of April': 1"
    ) in notes(out)
    assert "1 distinct value(s) fit no format" in notes(out)


def test_salesforce_unknown_account_maps_deals_without_one(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(DATALOADER, out, unknown_account="(no account)")
    deals = {row["opportunity_id"]: row["account_id"] for row in rows(out, "opportunities")}
    assert deals["006D4"] == "(no account)"
    accounts = {a["account_id"]: a["created_at"] for a in rows(out, "accounts")}
    assert accounts == {"(no account)": "2024-02-10 10:00:00", "001D1": "2023-12-01 10:00:00"}


@pytest.mark.slow
def test_salesforce_dataloader_export_builds(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_salesforce(DATALOADER, out)
    # the same instant as staging reads the contract's ISO 8601: Z and +00:00 are one value;
    # without their Ids (source_order, the last column) 008D2 and 008D3 share one key
    path = out / "opportunity_history.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    assert text[2].endswith(",008D2") and text[3].endswith(",008D3")
    text[2] = text[2].replace("2024-01-12 09:00:00", "2024-01-12T09:00:00Z")[: -len("008D2")]
    text[3] = text[3].replace("2024-01-12 09:00:00", "2024-01-12T09:00:00.000+00:00")[
        : -len("008D3")
    ]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    database = build(out)
    assert query(
        database, "select opportunity_id, outcome, amount from core.fct_opportunities order by 1"
    ) == [("006D1", "won", 1000), ("006D2", "open", 2000)]
    assert query(
        database, "select opportunity_id, reject_reason from data_quality.dq_opportunities_rejects"
    ) == [("006D4", "missing_required:account_id")]
    # 008D2 / 008D3 say the same thing (same instant, 1000 = 1000.00): one is an exact
    # duplicate, not an ambiguous order; 006D4's history goes with its deal
    assert query(
        database,
        "select dq_row_key, reject_reason from data_quality.dq_opportunity_history_rejects "
        "order by 1",
    ) == [
        ("006D1|2024-01-12 09:00:00", "exact_duplicate"),
        ("006D4|2024-02-10 10:00:00|008D7", "parent_rejected"),
    ]
    # 006D1: Prospecting 2024-01-02 09:00 -> Proposal/Price Quote 2024-01-12 09:00 = 10 days
    assert query(
        database,
        "select days_in_stage from core.fct_opportunity_stage_spans "
        "where opportunity_id = '006D1' and stage_name = 'Prospecting'",
    ) == [(10.0,)]
    assert query(database, WIN_RATE_TOTALS) == [(1, 0, 1000)]


# --- HubSpot UI export --------------------------------------------------------------------------


def test_hubspot_ui_export_files(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_hubspot(HUBSPOT_UI, out)
    deals = {
        r["opportunity_id"]: (r["account_id"], r["owner_id"], r["stage_name"])
        for r in rows(out, "opportunities")
    }
    # 604 is in the Renewals pipeline: left out; 602's first associated company is 9001
    assert deals == {
        "601": ("9001", "Ann Lee", "Closed Won"),
        "602": ("9001", "Ann Lee", "Closed Lost"),
        "603": ("9002", "Ben Ode", "Contract Sent"),
    }
    stages = [(s["stage_name"], s["is_closed"], s["is_won"]) for s in rows(out, "stages")]
    # open by median first entry: Appointment Scheduled (01-15, 01-20, 02-01: 01-20),
    # Qualified To Buy (01-25), Contract Sent (02-15); won / lost from Is Closed Won / lost
    assert stages == [
        ("Appointment Scheduled", "false", "false"),
        ("Qualified To Buy", "false", "false"),
        ("Contract Sent", "false", "false"),
        ("Closed Won", "true", "true"),
        ("Closed Lost", "true", "false"),
    ]
    history = [
        (r["opportunity_id"], r["changed_at"], r["stage_name"])
        for r in rows(out, "opportunity_history")
    ]
    assert history == [
        ("601", "2024-01-15 10:00:00", "Appointment Scheduled"),
        ("601", "2024-01-25 10:00:00", "Qualified To Buy"),
        ("601", "2024-03-10 16:00:00", "Closed Won"),
        ("602", "2024-01-20 10:00:00", "Appointment Scheduled"),
        ("602", "2024-02-20 12:00:00", "Closed Lost"),
        ("603", "2024-02-01 09:00:00", "Appointment Scheduled"),
        ("603", "2024-02-15 09:00:00", "Contract Sent"),
    ]
    text = notes(out)
    assert "deals of other pipelines (left out): 1" in text
    assert "regressions and repeated visits are lost" in text
    assert "ordered by the median time deals first enter them" in text


def test_hubspot_ui_contacts_associations_and_tickets(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_hubspot(HUBSPOT_UI, out)
    contacts = [
        (r["contact_id"], r["account_id"], r["full_name"], r["title"], r["created_at"])
        for r in rows(out, "contacts")
    ]
    # labels as headers; 7002's first associated company; 7003 has no Job Title
    assert contacts == [
        ("7001", "9001", "Dana Lee", "Chief Technology Officer", "2023-12-02 10:00:00"),
        ("7002", "9002", "Eli Park", "Head of Procurement", "2023-12-06 10:00:00"),
        ("7003", "9001", "Fay Moss", "", "2023-12-07 10:00:00"),
    ]
    # from the deals' Associated Contact IDs: no labels, no primary; 604 (Renewals) left out
    roles = [
        (r["opportunity_id"], r["contact_id"], r["role"], r["is_primary"])
        for r in rows(out, "opportunity_contact_roles")
    ]
    assert roles == [("601", "7001", "", ""), ("601", "7003", "", ""), ("602", "7002", "", "")]
    assert "deal-contact associations of deals not imported (left out): 1" in notes(out)
    # Medium -> normal; status is the stage label the UI writes; the first associated contact
    tickets = [
        (r["ticket_id"], r["account_id"], r["contact_id"], r["closed_at"], r["priority"],
         r["status"])
        for r in rows(out, "support_tickets")
    ]  # fmt: skip
    assert tickets == [
        ("8001", "9001", "7001", "2024-02-02 10:00:00", "normal", "Closed"),
        ("8002", "9002", "", "", "urgent", "New"),
        ("8003", "", "7002", "", "low", "Waiting on contact"),
    ]


def test_hubspot_ui_without_won_and_lost_information_is_a_clear_error(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    with open(HUBSPOT_UI / "deals.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    drop = {table[0].index("Is Closed Won"), table[0].index("Is closed lost")}
    with open(export / "deals.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(
            [[v for i, v in enumerate(row) if i not in drop] for row in table]
        )
    with pytest.raises(CrmMetricsError, match="which stages are won and lost is unknown"):
        import_hubspot(export, tmp_path / "out")


@pytest.mark.slow
def test_hubspot_ui_export_builds(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_hubspot(HUBSPOT_UI, out)
    database = build(out)
    assert query(
        database,
        "select opportunity_id, outcome, amount, loss_reason from core.fct_opportunities "
        "order by 1",
    ) == [("601", "won", 1500, None), ("602", "lost", 700, "Price"), ("603", "open", 3000, None)]
    # 601: Appointment Scheduled 01-15 10:00 -> Qualified To Buy 01-25 10:00 = 10 days,
    # then Closed Won 03-10 16:00: 31 days to 02-25, 14 more to 03-10 (2024 is a leap year),
    # plus 6 hours = 45.25 days in Qualified To Buy
    assert query(
        database,
        "select stage_name, days_in_stage from core.fct_opportunity_stage_spans "
        "where opportunity_id = '601' and days_in_stage is not null order by visit_number",
    ) == [("Appointment Scheduled", 10.0), ("Qualified To Buy", 45.25)]
    assert query(database, WIN_RATE_TOTALS) == [(1, 1, 1500)]


def test_booleans_as_exports_write_them() -> None:
    values = ["TRUE", "FALSE", "true", "false", "1", "0", "Yes", "No", " yes ", "maybe", ""]
    with duckdb.connect() as con:
        con.execute("create table t (i integer, v varchar)")
        con.executemany("insert into t values (?, ?)", list(enumerate(values)))
        got = [r[0] for r in con.execute(f"select {bool_text('v')} from t order by i").fetchall()]
    assert got == [
        "true",
        "false",
        "true",
        "false",
        "true",
        "false",
        "true",
        "false",
        "true",
        None,
        None,
    ]


def test_hubspot_api_without_owners_and_companies_gets_documented_defaults(
    tmp_path: Path,
) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "hubspot", export)
    (export / "owners.json").unlink()
    (export / "companies.csv").unlink()
    out = tmp_path / "raw"
    import_hubspot(export, out)
    # deals 501-503 (default pipeline) are owned by 101, at companies 9001 and 9002
    assert [(u["user_id"], u["full_name"], u["role"]) for u in rows(out, "users")] == [
        ("101", "101", "AE")
    ]
    # 9001: deals created 2024-01-15 10:00 (501) and 01-20 (502); 9002: 503 on 02-01 09:00
    assert accounts_named(out) == [
        ("9001", "(name unknown)", "2024-01-15 10:00:00"),
        ("9002", "(name unknown)", "2024-02-01 09:00:00"),
    ]
    text = notes(out)
    assert "No owners.json: one user (role AE) per hubspot_owner_id" in text
    assert "No companies.csv: one account per associatedcompanyid" in text


def test_cli_date_order_timezone_and_unknown_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "raw"
    code = import_cli(
        "salesforce", str(REPORT), out, "--timezone", "America/New_York", "--date-order", "MDY"
    )
    # stages 4 + opportunities 4 + users 2 + accounts 2; the 2 leads without a date left out
    assert code == 0
    assert capsys.readouterr().out.strip() == (
        f"wrote 6 tables, 12 rows to {out}; 2 rows could not be mapped (see import_notes.md)"
    )
    # the values prove month first: --date-order DMY contradicts them
    code = import_cli("salesforce", str(REPORT), out, "--date-order", "DMY")
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "--date-order DMY contradicts Opportunity_report.csv" in err
    code = import_cli("salesforce", str(DATALOADER), out, "--timezone", "Mars/Olympus")
    assert code == 1 and "not a time zone name" in capsys.readouterr().err
    code = import_cli("salesforce", str(DATALOADER), out, "--unknown-account", "(no account)")
    assert code == 0
    assert {r["account_id"] for r in rows(out, "opportunities")} == {"001D1", "(no account)"}


# --- HubSpot deals without a company: --unknown-account ---------------------------------------


def _blank(source: Path, export: Path, deal_ids: set[str], columns: list[str]) -> None:
    """A copy of the fixture `source` whose deals.csv has `columns` emptied for `deal_ids`."""
    shutil.copytree(source, export)
    with open(source / "deals.csv", newline="", encoding="utf-8") as handle:
        table = list(csv.reader(handle))
    blank = {table[0].index(column) for column in columns}
    with open(export / "deals.csv", "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(
            [table[0]]
            + [
                [("" if row[0] in deal_ids and i in blank else v) for i, v in enumerate(row)]
                for row in table[1:]
            ]
        )


def test_hubspot_api_unknown_account_maps_deals_without_a_company(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export"
    # 503 (default pipeline, created 2024-02-01 09:00Z) and 504 (pipeline 12345) lose their
    # company; only 503 is in the imported pipeline
    _blank(FIXTURES / "hubspot", export, {"503", "504"}, ["associatedcompanyid"])

    out = tmp_path / "rejected"
    import_hubspot(export, out)
    assert deal_accounts(out) == {"501": "9001", "502": "9001", "503": ""}
    assert ONE_ACCOUNTLESS_REJECTED in notes(out)

    out = tmp_path / "mapped"
    code = import_cli("hubspot", str(export), out, "--unknown-account", "(no company)")
    # unmapped: 504 of another pipeline (left out) with its contact association, and 503 at the
    # placeholder
    assert code == 0
    assert "; 3 rows could not be mapped (see import_notes.md)" in capsys.readouterr().out
    assert deal_accounts(out) == {"501": "9001", "502": "9001", "503": "(no company)"}
    # the companies file's two, and the placeholder named by itself, created with 503
    assert_mapped_with_companies(out)

    # no companies.csv: 9001 from its deals (501 at 01-15 10:00), 9002 had only 503 and 504
    derived = accounts_without_companies(export, tmp_path / "derived")
    assert derived == [PLACEHOLDER_ACCOUNT, ("9001", "(name unknown)", "2024-01-15 10:00:00")]

    # a placeholder that is a company of the export adds no second account of that id
    out = tmp_path / "existing"
    import_hubspot(export, out, unknown_account="9001")
    assert deal_accounts(out) == {"501": "9001", "502": "9001", "503": "9001"}
    assert [(a["account_id"], a["created_at"]) for a in rows(out, "accounts")] == [
        ("9001", "2024-01-15 10:00:00")
    ]


def test_hubspot_ui_unknown_account_maps_deals_without_a_company(tmp_path: Path) -> None:
    export = tmp_path / "export"
    # 603 (Sales Pipeline, created 2024-02-01 09:00) loses its company
    _blank(HUBSPOT_UI, export, {"603"}, ["Associated Company IDs", "Associated Company"])

    out = tmp_path / "rejected"
    import_hubspot(export, out)
    assert deal_accounts(out)["603"] == ""
    assert ONE_ACCOUNTLESS_REJECTED in notes(out)

    out = tmp_path / "mapped"
    import_hubspot(export, out, unknown_account="(no company)")
    assert deal_accounts(out) == {"601": "9001", "602": "9001", "603": "(no company)"}
    assert_mapped_with_companies(out)

    # no companies file: 9001 named by Associated Company, created with 601 (01-15 10:00);
    # 602's first company is 9001 and 604 is in another pipeline, so no 9002
    derived = accounts_without_companies(export, tmp_path / "derived")
    assert derived == [PLACEHOLDER_ACCOUNT, ("9001", "Initech", "2024-01-15 10:00:00")]


@pytest.mark.slow
def test_hubspot_ui_unknown_account_builds(tmp_path: Path) -> None:
    export = tmp_path / "export"
    _blank(HUBSPOT_UI, export, {"603"}, ["Associated Company IDs", "Associated Company"])
    out = tmp_path / "raw"
    import_hubspot(export, out, unknown_account="(no company)")
    database = build(out)
    # the three Sales Pipeline deals all build: 603 at the placeholder, nothing rejected
    assert query(
        database,
        "select opportunity_id, account_id, outcome from core.fct_opportunities order by 1",
    ) == [("601", "9001", "won"), ("602", "9001", "lost"), ("603", "(no company)", "open")]
    assert query(database, "select count(*) from data_quality.dq_opportunities_rejects") == [(0,)]
    assert query(
        database, "select account_name from core.dim_accounts where account_id = '(no company)'"
    ) == [("(no company)",)]
