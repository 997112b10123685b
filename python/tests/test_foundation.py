"""The raw-input paths and the history rules of the foundation, end to end through dbt.

Each build here is small; expected values are worked out by hand from the files written in
the test (or, for generated data, counted from the raw files with plain Python).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import query
from helpers import write_table

from crm_metrics.errors import CrmMetricsError
from crm_metrics.generate import generate
from crm_metrics.runner import build

pytestmark = pytest.mark.slow


STAGES = [
    {"stage_name": "Qualify", "stage_order": "1", "is_closed": "false", "is_won": "false"},
    {"stage_name": "Propose", "stage_order": "2", "is_closed": "false", "is_won": "false"},
    {"stage_name": "Won", "stage_order": "3", "is_closed": "true", "is_won": "true"},
    {"stage_name": "Lost", "stage_order": "4", "is_closed": "true", "is_won": "false"},
]


def required_only_folder(folder: Path) -> Path:
    """Only the five required tables; history with the cases of the raw contract's rules."""
    folder.mkdir(parents=True, exist_ok=True)
    write_table(
        folder,
        "users",
        [
            {"user_id": "u1", "full_name": "Ann Lee", "role": "ae"},
            {"user_id": "u2", "full_name": "Bo Chen", "role": "wizard"},
        ],
    )
    write_table(
        folder,
        "accounts",
        [
            {"account_id": "a1", "account_name": "Acme", "created_at": "2024-01-01 00:00:00"},
            {"account_id": "a2", "account_name": "Bolt", "created_at": "2024-01-01"},
        ],
    )
    write_table(folder, "stages", STAGES)

    def deal(opp: str, account: str, stage: str, amount: str, created: str) -> dict[str, str]:
        return {
            "opportunity_id": opp,
            "account_id": account,
            "owner_id": "u1",
            "created_at": created,
            "close_date": "2024-06-30",
            "amount": amount,
            "stage_name": stage,
        }

    write_table(
        folder,
        "opportunities",
        [
            deal("o1", "a1", "Won", "300", "2024-01-02 09:00:00"),
            deal("o2", "a1", "Propose", "100", "2024-01-03 09:00:00"),
            deal("o3", "a9", "Qualify", "50", "2024-01-04 09:00:00"),  # orphan account
            deal("o4", "a2", "Propose", "80", "2024-01-05 09:00:00"),  # no history
            deal("o5", "a2", "Qualify", "70", "2024-01-06 09:00:00"),
        ],
    )

    def hist(opp: str, at: str, stage: str, amount: str = "") -> dict[str, str]:
        return {
            "opportunity_id": opp,
            "changed_at": at,
            "stage_name": stage,
            "amount": amount,
            "close_date": "2024-06-30",
        }

    write_table(
        folder,
        "opportunity_history",
        [
            hist("o1", "2024-02-01 00:00:00", "Won", "300"),
            hist("o1", "2024-01-02 09:00:00", "Qualify", "200"),
            hist("o1", "2024-02-01 00:00:00", "Won", "300"),  # exact duplicate: dropped
            hist("o1", "2024-01-20 00:00:00", "Propose"),  # null amount carried forward
            hist("o2", "2024-01-03 09:00:00", "Qualify", "100"),
            hist("o2", "2024-01-10 00:00:00", "Propose", "100"),  # same key, differs:
            hist("o2", "2024-01-10 00:00:00", "Propose", "120"),  # both ambiguous_order
            hist("o3", "2024-01-04 09:00:00", "Qualify", "50"),  # parent rejected
            hist("o5", "2024-01-06 09:00:00", "Qualify", "70"),
            hist("o5", "2024-01-07 09:00:00", "Nowhere", "70"),  # unknown stage
            hist("o9", "2024-01-07 09:00:00", "Qualify", "10"),  # unknown deal
        ],
    )
    return folder


@pytest.fixture(scope="module")
def required_only_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("required_only")
    raw = required_only_folder(base / "raw")
    database = base / "required_only.duckdb"
    build(database, raw_dir=raw, progress=False, unit_tests=False)
    return database


def test_required_tables_only_build_and_history_rules(required_only_db: Path) -> None:
    rejects = query(
        required_only_db,
        "select opportunity_id, changed_at, reject_reason"
        " from data_quality.dq_opportunity_history_rejects order by 1, 2, 3",
    )
    assert rejects == [
        ("o1", "2024-02-01 00:00:00", "exact_duplicate"),
        ("o2", "2024-01-10 00:00:00", "ambiguous_order"),
        ("o2", "2024-01-10 00:00:00", "ambiguous_order"),
        ("o3", "2024-01-04 09:00:00", "parent_rejected"),
        ("o5", "2024-01-07 09:00:00", "unknown_stage"),
        ("o9", "2024-01-07 09:00:00", "orphan:opportunity_id"),
    ]
    assert query(
        required_only_db,
        "select opportunity_id, reject_reason from data_quality.dq_opportunities_rejects",
    ) == [("o3", "orphan:account_id")]

    deals = query(
        required_only_db,
        "select opportunity_id, outcome, current_stage, amount, stage_visit_count,"
        " strftime(closed_at, '%Y-%m-%d %H:%M') from core.fct_opportunities order by 1",
    )
    assert [(d[0], d[1], d[2], float(d[3]), d[4], d[5]) for d in deals] == [
        ("o1", "won", "Won", 300.0, 3, "2024-02-01 00:00"),
        ("o2", "open", "Qualify", 100.0, 1, None),  # its other row still counts
        ("o4", "open", "Propose", 80.0, 1, None),  # synthetic row from the deal itself
        ("o5", "open", "Qualify", 70.0, 1, None),
    ]
    # the null amount of o1's Propose row carries 200 forward
    spans = query(
        required_only_db,
        "select stage_name, days_in_stage from core.fct_opportunity_stage_spans"
        " where opportunity_id = 'o1' order by visit_number",
    )
    assert spans[0] == ("Qualify", pytest.approx((18 * 86400 - 9 * 3600) / 86400))
    assert spans[1] == ("Propose", 12.0)
    assert query(
        required_only_db,
        "select amount from intermediate.int_opportunity_states"
        " where opportunity_id = 'o1' and stage_name = 'Propose'",
    ) == [(200,)]

    # rows read = accepted + rejected, per table; the unknown role is a finding, not a reject
    summary = dict(
        query(
            required_only_db,
            "select table_name || '/' || outcome, sum(row_count) from data_quality.dq_summary"
            " group by 1",
        )
    )
    assert summary["opportunity_history/accepted"] == 5
    assert summary["opportunity_history/rejected"] == 6
    assert summary["users/accepted"] == 2
    assert summary["users/finding"] == 1
    assert summary["leads/accepted"] == 0  # absent optional table: an empty stand-in
    assert query(required_only_db, "select role from core.dim_users order by 1") == [
        ("AE",),
        ("OTHER",),
    ]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_generated_folder_builds_with_every_row_accepted(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a partial build: run only the tests whose models are all built
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    raw = tmp_path / "raw"
    counts = generate(raw, opportunities=120, seed=11, fmt=fmt)
    database = tmp_path / "generated.duckdb"
    build(
        database,
        raw_dir=raw,
        progress=False,
        select=["+path:models/marts/core", "+dq_summary"],
        unit_tests=False,
    )
    read = dict(
        query(
            database,
            "select table_name, sum(row_count) from data_quality.dq_summary"
            " where outcome in ('accepted', 'rejected') group by 1",
        )
    )
    assert read == {table: rows for table, rows in counts.items()}
    assert query(
        database, "select count(*) from data_quality.dq_summary where outcome = 'rejected'"
    ) == [(0,)]
    assert query(database, "select count(*) from core.fct_opportunities") == [
        (counts["opportunities"],)
    ]


def test_missing_rate_fails_the_build_naming_currency_and_date(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    generate(raw, opportunities=60, seed=5, fmt="csv")
    with open(raw / "exchange_rates.csv", encoding="utf-8") as handle:
        rates = list(csv.DictReader(handle))
    with open(raw / "opportunities.csv", encoding="utf-8") as handle:
        eur_deals = [row for row in csv.DictReader(handle) if row["currency_code"] == "EUR"]
    assert eur_deals, "the generated sample needs a EUR deal"
    write_table(raw, "exchange_rates", [row for row in rates if row["currency_code"] != "EUR"])
    with pytest.raises(CrmMetricsError) as failure:
        build(
            tmp_path / "db.duckdb",
            raw_dir=raw,
            progress=False,
            select=["+fct_opportunities"],
            unit_tests=False,
        )
    message = str(failure.value)
    assert "No exchange rate for currency EUR on or before" in message
    assert "table opportunity_history" in message


def test_missing_required_table_fails_naming_it(tmp_path: Path) -> None:
    raw = required_only_folder(tmp_path / "raw")
    (raw / "stages.csv").unlink()
    with pytest.raises(CrmMetricsError) as failure:
        build(
            tmp_path / "db.duckdb",
            raw_dir=raw,
            progress=False,
            select=["stg_crm__stages"],
            unit_tests=False,
        )
    assert "Raw table 'stages' is required" in str(failure.value)


def test_invalid_stages_fail_the_build(tmp_path: Path) -> None:
    raw = required_only_folder(tmp_path / "raw")
    stages = [dict(row) for row in STAGES]
    stages[3]["is_won"] = "true"  # two won stages
    write_table(raw, "stages", stages)
    with pytest.raises(CrmMetricsError) as failure:
        build(
            tmp_path / "db.duckdb",
            raw_dir=raw,
            progress=False,
            select=["+int_stages_validated"],
            unit_tests=False,
        )
    assert "Invalid stages table: column is_won: exactly one won stage" in str(failure.value)
