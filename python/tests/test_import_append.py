"""`crm-metrics import ... --append`: each export becomes a new load, a part of every table's
folder whose rows carry `_loaded_at`; earlier parts stay as they were.

Two successive exports of the same Salesforce org (the fixture export, then a copy in which
deal 006A3 moved on in stage and amount, deal 006A6 is new and deal 006A2 was deleted with its
history and contact roles). The expected parts are worked out from the plain import of each
export (no --append), which writes the same rows as `<table>.csv`.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query
from helpers import build_raw

from crm_metrics.cli import main
from crm_metrics.contract import load_contract
from crm_metrics.errors import CrmMetricsError
from crm_metrics.importers.salesforce import import_salesforce

SALESFORCE = Path(__file__).parent / "fixtures" / "importers" / "salesforce"
FIRST_AT = dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)
CONTRACT = load_contract()


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def rewrite(path: Path, change) -> None:
    """Rewrite the CSV file `path` with `change(rows)` (a list of row dicts)."""
    rows = read_csv(path)
    fields = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(change(rows))


def second_export(folder: Path) -> Path:
    export = folder / "export-2"
    shutil.copytree(SALESFORCE, export)

    def deals(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = []
        for row in rows:
            if row["Id"] == "006A2":
                continue
            if row["Id"] == "006A3":
                row = {
                    **row,
                    "StageName": "Closed Won",
                    "Amount": "2500",
                    "IsClosed": "true",
                    "IsWon": "true",
                    "CloseDate": "2024-03-05",
                }
            kept.append(row)
        new = {
            **rows[0],
            "Id": "006A6",
            "Name": "Acme - Expansion",
            "StageName": "Prospecting",
            "Amount": "700",
            "IsClosed": "false",
            "IsWon": "false",
            "CloseDate": "2024-06-30",
            "CreatedDate": "2024-03-04T09:00:00.000Z",
        }
        return [*kept, new]

    def history(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [row for row in rows if row["OpportunityId"] != "006A2"]
        won = {
            **rows[-1],
            "Id": "008A9",
            "OpportunityId": "006A3",
            "StageName": "Closed Won",
            "Amount": "2500",
            "CloseDate": "2024-03-05",
            "Probability": "100",
            "CreatedDate": "2024-03-05T10:00:00.000Z",
            "SystemModstamp": "2024-03-05T10:00:00.000Z",
        }
        created = {
            **rows[-1],
            "Id": "008B1",
            "OpportunityId": "006A6",
            "StageName": "Prospecting",
            "Amount": "700",
            "CloseDate": "2024-06-30",
            "Probability": "10",
            "CreatedDate": "2024-03-04T09:00:00.000Z",
            "SystemModstamp": "2024-03-04T09:00:00.000Z",
        }
        return [*kept, won, created]

    rewrite(export / "Opportunity.csv", deals)
    rewrite(export / "OpportunityHistory.csv", history)
    rewrite(
        export / "OpportunityContactRole.csv",
        lambda rows: [r for r in rows if r["OpportunityId"] != "006A2"],
    )
    return export


def by_key(rows: list[dict[str, str]], table: str) -> dict[tuple, dict[str, str]]:
    return {tuple(row[column] for column in CONTRACT[table].key): row for row in rows}


def test_two_exports_appended_as_two_loads(tmp_path: Path, capsys) -> None:
    raw = tmp_path / "raw"
    export_2 = second_export(tmp_path)
    # what a plain import of each export writes: the expected rows of each load
    plain_1, plain_2 = tmp_path / "plain-1", tmp_path / "plain-2"
    written_1 = import_salesforce(SALESFORCE, plain_1).rows
    assert import_salesforce(export_2, plain_2).rows.keys() == written_1.keys()

    first = import_salesforce(SALESFORCE, raw, append=True, loaded_at=FIRST_AT)
    assert first.part == "20240301T100000Z" and first.rows == written_1 and first.deleted == {}
    before = dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None)
    assert (
        main(["import", "salesforce", "--from", str(export_2), "--out", str(raw), "--append"]) == 0
    )
    after = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    out = capsys.readouterr().out
    assert "records no longer in the export marked _deleted" in out, out

    # every table the exports supply is a folder of two parts, and nothing else
    assert sorted(path.name for path in raw.iterdir() if path.is_dir()) == sorted(written_1)
    assert not list(raw.glob("*.csv"))
    for table in written_1:
        names = sorted(path.name for path in (raw / table).iterdir())
        assert len(names) == 2 and names[0] == "20240301T100000Z.csv", (table, names)
        part_1 = read_csv(raw / table / names[0])
        part_2 = read_csv(raw / table / names[1])
        second_at = dt.datetime.strptime(names[1], "%Y%m%dT%H%M%SZ.csv")
        assert before <= second_at <= after
        # the first load: the plain import's rows, with its _loaded_at, none deleted
        assert list(part_1[0]) == [*CONTRACT[table].column_names, "_loaded_at", "_deleted"]
        assert [{k: v for k, v in row.items() if not k.startswith("_")} for row in part_1] == (
            read_csv(plain_1 / f"{table}.csv")
        )
        assert {(row["_loaded_at"], row["_deleted"]) for row in part_1} == {
            ("2024-03-01 10:00:00", "false")
        }
        # the second load: the second export's rows, then the records it no longer has
        current = [row for row in part_2 if row["_deleted"] == "false"]
        assert [{k: v for k, v in row.items() if not k.startswith("_")} for row in current] == (
            read_csv(plain_2 / f"{table}.csv")
        )
        assert {row["_loaded_at"] for row in part_2} == {f"{second_at:%Y-%m-%d %H:%M:%S}"}
        gone = {
            key: row
            for key, row in by_key(part_1, table).items()
            if key not in by_key(current, table)
        }
        deleted = [row for row in part_2 if row["_deleted"] == "true"]
        assert by_key(deleted, table).keys() == gone.keys(), table
        for key, row in by_key(deleted, table).items():
            assert {k: v for k, v in row.items() if not k.startswith("_")} == {
                k: v for k, v in gone[key].items() if not k.startswith("_")
            }

    deals_1 = by_key(read_csv(raw / "opportunities" / "20240301T100000Z.csv"), "opportunities")
    (second,) = [p for p in (raw / "opportunities").iterdir() if p.name != "20240301T100000Z.csv"]
    deals_2 = by_key(read_csv(second), "opportunities")
    # the deal that moved on: both versions kept, one per load
    assert (deals_1[("006A3",)]["stage_name"], deals_1[("006A3",)]["amount"]) == (
        "Proposal/Price Quote",
        "2000",
    )
    assert (deals_2[("006A3",)]["stage_name"], deals_2[("006A3",)]["amount"]) == (
        "Closed Won",
        "2500",
    )
    assert ("006A6",) not in deals_1 and deals_2[("006A6",)]["_deleted"] == "false"
    assert deals_2[("006A2",)]["_deleted"] == "true"
    assert deals_2[("006A2",)]["stage_name"] == deals_1[("006A2",)]["stage_name"]
    history_gone = [
        row
        for row in read_csv(raw / "opportunity_history" / second.name)
        if row["opportunity_id"] == "006A2"
    ]
    assert history_gone and {row["_deleted"] for row in history_gone} == {"true"}


def test_append_refuses_plain_files_and_plain_import_refuses_parts(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    import_salesforce(SALESFORCE, plain)
    with pytest.raises(CrmMetricsError, match="holds files of an import without --append"):
        import_salesforce(SALESFORCE, plain, append=True)
    parts = tmp_path / "parts"
    import_salesforce(SALESFORCE, parts, append=True, loaded_at=FIRST_AT)
    with pytest.raises(CrmMetricsError, match="holds folders of parts"):
        import_salesforce(SALESFORCE, parts)
    # the same load time twice: the part exists and is never rewritten
    with pytest.raises(CrmMetricsError, match="parts are never rewritten"):
        import_salesforce(SALESFORCE, parts, append=True, loaded_at=FIRST_AT)


@pytest.mark.slow
def test_two_appended_exports_build_on_the_latest_versions(tmp_path: Path) -> None:
    """One build over the two loads: deal 006A3 is read at its second version (Closed Won,
    2500), 006A6 is there, 006A2 is rejected deleted_in_source, and every first-load deal row
    is superseded (each key has a later version): opportunities' 4 + 5 rows = 3 accepted
    (006A1, 006A3, 006A6) + 2 rejected (006A2 deleted, 006A5 without an account) + 4
    superseded."""
    raw = tmp_path / "raw"
    import_salesforce(SALESFORCE, raw, append=True, loaded_at=FIRST_AT)
    import_salesforce(
        second_export(tmp_path), raw, append=True, loaded_at=FIRST_AT + dt.timedelta(days=7)
    )
    # the superseded rows counted independently: rows whose key has a later load
    rows = [row for path in sorted((raw / "opportunities").iterdir()) for row in read_csv(path)]
    latest = {}
    for row in rows:
        latest[row["opportunity_id"]] = max(
            latest.get(row["opportunity_id"], ""), row["_loaded_at"]
        )
    superseded = sum(1 for row in rows if row["_loaded_at"] < latest[row["opportunity_id"]])
    assert (len(rows), superseded) == (9, 4)

    database = tmp_path / "db.duckdb"
    build_raw(database, raw, ["+fct_opportunities", "+dq_summary", "+dq_opportunities_rejects"])
    assert query(
        database,
        "select opportunity_id, current_stage, amount, outcome from core.fct_opportunities"
        " order by 1",
    ) == [
        ("006A1", "Closed Won", Decimal("1000.00"), "won"),
        ("006A3", "Closed Won", Decimal("2500.00"), "won"),
        ("006A6", "Prospecting", Decimal("700.00"), "open"),
    ]
    assert ("006A2", "deleted_in_source") in query(
        database, "select dq_row_key, reject_reason from data_quality.dq_opportunities_rejects"
    )
    summary = dict(
        query(
            database,
            "select outcome, sum(row_count) from data_quality.dq_summary"
            " where table_name = 'opportunities' and outcome <> 'finding' group by 1",
        )
    )
    assert summary == {"accepted": 3, "rejected": 2, "superseded": 4}
