"""The public dbt mrr-playbook subscriptions through the bring-your-own-data path.

The playbook's `subscription_periods.csv` (customer_id, start_date, end_date, monthly_amount)
is read from the public datasets folder (conftest.shared_dataset; never copied into the repo),
mapped to a raw folder with one account per customer and built with dbt, selecting only the
revenue subgraph. The monthly movements are compared with a plain-Python recomputation of the
playbook's rules (month by month, every month of every customer: a different method from the
event-based SQL), and customer 1 with its hand-worked history.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query, shared_dataset
from helpers import write_table

from crm_metrics.runner import build

pytestmark = pytest.mark.slow

STAGES = [
    {"stage_name": "Open", "stage_order": "1", "is_closed": "false", "is_won": "false"},
    {"stage_name": "Won", "stage_order": "2", "is_closed": "true", "is_won": "true"},
    {"stage_name": "Lost", "stage_order": "3", "is_closed": "true", "is_won": "false"},
]


@dataclass(frozen=True)
class Subscription:
    customer_id: str
    start_date: date
    end_date: date | None
    amount: Decimal


def playbook_file(project_dir: Path) -> Path:
    """The dataset's path; skip outside CI when it is absent, fail in CI."""
    return shared_dataset(project_dir, "mrr-playbook", "subscription_periods.csv")


def read_playbook(path: Path) -> list[Subscription]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [
            Subscription(
                customer_id=row["customer_id"],
                start_date=date.fromisoformat(row["start_date"]),
                end_date=date.fromisoformat(row["end_date"]) if row["end_date"] else None,
                amount=Decimal(row["monthly_amount"]),
            )
            for row in csv.DictReader(handle)
        ]


def account_id(customer_id: str) -> str:
    return f"cust_{customer_id}"


def write_raw_folder(folder: Path, subscriptions: list[Subscription]) -> None:
    folder.mkdir(parents=True)
    customers = sorted({sub.customer_id for sub in subscriptions}, key=int)
    write_table(folder, "users", [])
    write_table(
        folder,
        "accounts",
        [
            {
                "account_id": account_id(customer),
                "account_name": f"Customer {customer}",
                "created_at": "2017-01-01 00:00:00",
            }
            for customer in customers
        ],
    )
    write_table(folder, "stages", STAGES)
    write_table(folder, "opportunities", [])
    write_table(folder, "opportunity_history", [])
    write_table(
        folder,
        "subscriptions",
        [
            {
                "subscription_id": f"sub_{number}",
                "account_id": account_id(sub.customer_id),
                "start_date": sub.start_date.isoformat(),
                "end_date": sub.end_date.isoformat() if sub.end_date else "",
                "mrr_amount": str(sub.amount),
            }
            for number, sub in enumerate(subscriptions, start=1)
        ],
    )


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_series(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last:
        months.append(next_month(months[-1]))
    return months


def expected_movements(
    subscriptions: list[Subscription], as_of_month: date
) -> dict[date, dict[str, Decimal | int]]:
    """The playbook's rules, month by month for every customer (no events, no SQL)."""
    first_month = min(
        sub.start_date if sub.start_date.day == 1 else next_month(sub.start_date.replace(day=1))
        for sub in subscriptions
    )
    months = month_series(first_month, as_of_month)
    by_customer: dict[str, list[Subscription]] = defaultdict(list)
    for sub in subscriptions:
        by_customer[sub.customer_id].append(sub)

    zero = Decimal(0)
    movements = {
        month: {
            "new_mrr": zero,
            "expansion_mrr": zero,
            "contraction_mrr": zero,
            "churned_mrr": zero,
            "reactivation_mrr": zero,
            "ending_mrr": zero,
            "new_customers": 0,
            "reactivated_customers": 0,
            "churned_customers": 0,
            "customers_end": 0,
        }
        for month in months
    }
    for subs in by_customer.values():
        previous, has_paid = zero, False
        for month in months:
            mrr = sum(
                (
                    sub.amount
                    for sub in subs
                    if sub.start_date <= month and (sub.end_date is None or month < sub.end_date)
                ),
                zero,
            )
            row = movements[month]
            change = mrr - previous
            if previous == 0 and mrr > 0:
                key = "reactivation" if has_paid else "new"
                row[f"{key}_mrr"] += change
                row["reactivated_customers" if has_paid else "new_customers"] += 1
                has_paid = True
            elif previous > 0 and mrr == 0:
                row["churned_mrr"] += change
                row["churned_customers"] += 1
            elif mrr > previous:
                row["expansion_mrr"] += change
            elif mrr < previous:
                row["contraction_mrr"] += change
            row["ending_mrr"] += mrr
            row["customers_end"] += int(mrr > 0)
            previous = mrr
    return movements


@pytest.fixture(scope="module")
def playbook(
    tmp_path_factory: pytest.TempPathFactory, project_dir: Path
) -> tuple[Path, list[Subscription], date]:
    subscriptions = read_playbook(playbook_file(project_dir))
    base = tmp_path_factory.mktemp("mrr_playbook")
    raw = base / "raw"
    write_raw_folder(raw, subscriptions)
    last_end = max(sub.end_date or sub.start_date for sub in subscriptions)
    as_of = last_end + timedelta(days=45)  # every churn month is inside the window
    database = base / "playbook.duckdb"
    # Only the revenue subgraph (and dim_accounts, which fct_mrr's relationships test reads).
    # Cautious indirect selection: a test runs only when all the models it reads are built, so
    # tests of other areas that share a parent with the revenue marts are left out.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_INDIRECT_SELECTION", "cautious")
        results = build(
            database,
            raw_dir=raw,
            as_of_date=as_of.isoformat(),
            select=["+path:models/marts/revenue", "+dim_accounts"],
            progress=False,
            unit_tests=False,
        )
    # the identities of the revenue marts ran on this data too (as data tests)
    tested = {r.name for r in results if r.resource_type == "test" and r.status == "pass"}
    assert any("mart_mrr_movements" in name for name in tested)
    assert any("mart_churn" in name for name in tested)
    return database, subscriptions, as_of


MOVEMENT_COLUMNS = [
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "ending_mrr",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "customers_end",
]


def test_movements_match_a_plain_python_recomputation(
    playbook: tuple[Path, list[Subscription], date],
) -> None:
    database, subscriptions, as_of = playbook
    expected = expected_movements(subscriptions, as_of.replace(day=1))
    rows = query(
        database,
        f"select period_month, {', '.join(MOVEMENT_COLUMNS)}"
        " from marts.mart_mrr_movements order by period_month",
    )
    actual = {row[0]: dict(zip(MOVEMENT_COLUMNS, row[1:], strict=True)) for row in rows}
    assert list(actual) == list(expected)  # dense, first paying month to the as-of month
    for month, values in expected.items():
        assert actual[month] == values, month
    # every customer has churned by the as-of month
    assert actual[max(actual)]["customers_end"] == 0
    assert sum(values["churned_customers"] for values in expected.values()) > 0


def test_customer_one_hand_worked(playbook: tuple[Path, list[Subscription], date]) -> None:
    database, _, _ = playbook
    rows = query(
        database,
        "select period_month, mrr, mrr_change, change_category from core.fct_mrr"
        " where account_id = 'cust_1' order by period_month",
    )
    d = Decimal
    assert rows == [
        (date(2018, 11, 1), d("50.00"), d("50.00"), "new"),
        (date(2018, 12, 1), d("50.00"), d("0.00"), "retained"),
        (date(2019, 1, 1), d("50.00"), d("0.00"), "retained"),
        (date(2019, 2, 1), d("0.00"), d("-50.00"), "churn"),
        # March 2019 (0 MRR between churn and reactivation) is omitted
        (date(2019, 4, 1), d("50.00"), d("50.00"), "reactivation"),
        (date(2019, 5, 1), d("50.00"), d("0.00"), "retained"),
        (date(2019, 6, 1), d("75.00"), d("25.00"), "expansion"),
        (date(2019, 7, 1), d("75.00"), d("0.00"), "retained"),
        (date(2019, 8, 1), d("0.00"), d("-75.00"), "churn"),
    ]
