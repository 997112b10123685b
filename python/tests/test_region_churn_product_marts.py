"""Sales by region, churn by rep, product penetration and the v5 columns of mart_saas_kpis,
mart_win_rate_by_deal_size and mart_pipeline_integrity, against an independent recomputation.

Nothing here reads the project's facts. The raw CSV files are read with the csv module: deals
are replayed by test_pipeline_recompute.load_deals (history sorted by changed_at, stages decide
open / won / lost, amounts converted at the rate of each row's date, rows after the as-of date
left out); each account's MRR is recomputed month by month, every month, from the subscriptions
active on its first day (a different method from the event-based SQL); regions come from a
hand-written table of the countries the data holds (not from the project's map).

- The demo seeds (the session's `demo_db`): every row of the three new marts and every new
  column of the three others. Counts exact, money to the cent, rates within 1e-9.
- One small hand-planted raw folder in the v4 shape (no v5 table, no quantity), built once:
  the boundary cases (a deal closed exactly twelve months before the as-of date, one closed on
  it, a customer that churned and came back within the year, a subscription without product,
  country spellings) with hand-worked expected values, and the v5-only inputs absent: sales
  cost, full CAC and seats null, every other column as on v5 input.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from conftest import query
from helpers import build_raw, write_table
from test_foundation import STAGES
from test_pipeline_recompute import REPORTING_CURRENCY, _money, _next_month, load_deals

from crm_metrics.runner import PROJECT_DIR

pytestmark = pytest.mark.slow

DEMO_DIR = PROJECT_DIR / "seeds" / "demo"
RATE = 1e-9
CENT = Decimal("0.01")
QUIET_DAYS = 14
GROSS_MARGIN = 0.8
AMOUNT_BAND_EDGES = (0, 5000, 25000, 100000)

# The UN M49 region (as AMER / EMEA / APAC) of each country code the demo and the planted
# folder hold, written out by hand; `ZZ` is not an ISO code (other), AQ is in no M49 region.
REGIONS = {
    "US": "AMER", "CA": "AMER", "MX": "AMER", "BR": "AMER",
    "GB": "EMEA", "DE": "EMEA", "FR": "EMEA", "ES": "EMEA", "NL": "EMEA", "IE": "EMEA",
    "PL": "EMEA", "SE": "EMEA", "ZA": "EMEA", "AE": "EMEA", "TR": "EMEA",
    "AU": "APAC", "NZ": "APAC", "JP": "APAC", "SG": "APAC", "IN": "APAC",
    "ZZ": "other", "AQ": "other", "unknown": "unknown",
}  # fmt: skip


# --------------------------------------------------------------------------- raw input


def _rows(raw: Path, table: str) -> list[dict[str, str]]:
    path = raw / f"{table}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _month(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _first_month_on_or_after(day: date) -> date:
    return day if day.day == 1 else _next_month(_month(day))


def _band(amount: Decimal | None) -> str:
    if amount is None or amount < AMOUNT_BAND_EDGES[0]:
        return "unknown"
    labels = ["0-5k", "5k-25k", "25k-100k", "100k+"]
    index = sum(1 for edge in AMOUNT_BAND_EDGES if amount >= edge) - 1
    return labels[index]


@dataclass(frozen=True)
class DealFacts:
    account_id: str
    created_at: datetime
    created_amount: Decimal | None  # the creation (first history) row's converted amount
    outcome: str
    closed_at: datetime | None
    amount: Decimal | None  # final
    worked_amount: Decimal | None  # won: final; lost: the last open row's (else final)


@dataclass(frozen=True)
class Subscription:
    account_id: str
    product_id: str
    start: date
    end: date | None
    mrr: Decimal  # converted at the start_date rate, to the cent
    quantity: Decimal | None

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class Raw:
    """The raw tables of a folder, read once."""

    def __init__(self, raw: Path) -> None:
        deals, _, self.as_of = load_deals(raw)
        self.as_of_month = _month(self.as_of)
        self.end_of_as_of = datetime.combine(self.as_of + timedelta(days=1), datetime.min.time())
        opportunities = {row["opportunity_id"]: row for row in _rows(raw, "opportunities")}
        self.accounts = {row["account_id"]: row for row in _rows(raw, "accounts")}
        self.deals: dict[str, DealFacts] = {}
        for deal in deals:
            states = deal.states
            closed_at = None
            for previous, state in zip([None, *states[:-1]], states, strict=True):
                if state.state != "open" and (
                    previous is None or previous.stage_name != state.stage_name
                ):
                    closed_at = state.changed_at
            outcome = states[-1].state
            open_states = [state for state in states if state.state == "open"]
            worked = states[-1].amount
            if outcome == "lost" and open_states and open_states[-1].amount is not None:
                worked = open_states[-1].amount
            self.deals[deal.opportunity_id] = DealFacts(
                account_id=opportunities[deal.opportunity_id]["account_id"],
                created_at=deal.created_at,
                created_amount=states[0].amount,
                outcome=outcome,
                closed_at=closed_at if outcome != "open" else None,
                amount=states[-1].amount,
                worked_amount=worked,
            )

        rates: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for row in _rows(raw, "exchange_rates"):
            rates[row["currency_code"].upper()].append(
                (date.fromisoformat(row["rate_date"]), float(row["rate_to_reporting"]))
            )

        def rate(currency: str, day: date) -> float:
            if currency == REPORTING_CURRENCY:
                return 1.0
            return max(entry for entry in rates[currency] if entry[0] <= day)[1]

        self.subscriptions = []
        for row in _rows(raw, "subscriptions"):
            start = date.fromisoformat(row["start_date"])
            if start > self.as_of:
                continue
            currency = row["currency_code"].upper() or REPORTING_CURRENCY
            self.subscriptions.append(
                Subscription(
                    account_id=row["account_id"],
                    product_id=row["product_id"] or "unknown",
                    start=start,
                    end=date.fromisoformat(row["end_date"]) if row["end_date"] else None,
                    mrr=_money(float(row["mrr_amount"]) * rate(currency, start)),
                    quantity=Decimal(row["quantity"]) if row.get("quantity") else None,
                )
            )
        self.sales_costs = _rows(raw, "sales_costs")
        self.activities = [
            (row["opportunity_id"], datetime.fromisoformat(row["activity_at"]))
            for row in _rows(raw, "activities")
        ]

        # Each account's MRR in every month from the first subscription month to the as-of
        # month (0 included), by summing the subscriptions active on the month's first day.
        first = min(
            (_first_month_on_or_after(sub.start) for sub in self.subscriptions), default=None
        )
        self.months: list[date] = []
        month = first
        while month is not None and month <= self.as_of_month:
            self.months.append(month)
            month = _next_month(month)
        self.mrr: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        for sub in self.subscriptions:
            for month in self.months:
                if sub.active_on(month):
                    self.mrr[sub.account_id][month] += sub.mrr

    def mrr_at(self, account_id: str, month: date) -> Decimal:
        return self.mrr[account_id].get(month, Decimal(0))

    def country(self, account_id: str) -> str:
        return (self.accounts[account_id]["country"].upper()) or "unknown"

    def owner(self, account_id: str) -> str:
        return self.accounts.get(account_id, {}).get("owner_id") or "unknown"


# --------------------------------------------------------------------------- recomputation


def expected_sales_by_region(data: Raw) -> dict[tuple, tuple]:
    cells: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0), 0, 0, Decimal(0)])
    for deal in data.deals.values():
        country = data.country(deal.account_id)
        if deal.created_at < data.end_of_as_of:
            cell = cells[(country, _month(deal.created_at))]
            cell[0] += 1
            cell[1] += deal.created_amount or 0
        if deal.outcome in ("won", "lost"):
            cell = cells[(country, _month(deal.closed_at))]
            cell[2 if deal.outcome == "won" else 3] += 1
            if deal.outcome == "won":
                cell[4] += deal.amount or 0
    return {
        key: (
            REGIONS[key[0]],
            created,
            amount,
            won,
            lost,
            won / (won + lost) if won + lost else None,
            bookings,
        )
        for key, (created, amount, won, lost, bookings) in cells.items()
    }


def _paying_accounts(data: Raw) -> set[str]:
    return {account for account, months in data.mrr.items() if any(months.values())}


def expected_churn_by_rep(data: Raw) -> dict[tuple, tuple]:
    cells: dict[tuple, list] = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0), Decimal(0)])
    for account in _paying_accounts(data):
        for previous_month, month in zip(data.months, data.months[1:], strict=False):
            before = data.mrr_at(account, previous_month)
            now = data.mrr_at(account, month)
            if before <= 0:
                continue
            cell = cells[(data.owner(account), month)]
            cell[0] += 1
            cell[2] += before
            if now == 0:
                cell[1] += 1
                cell[3] -= before
            elif now < before:
                cell[4] += now - before
    return {
        key: (
            start,
            churned,
            churned / start,
            starting,
            churned_mrr,
            contraction,
            float(-(churned_mrr + contraction) / starting) if starting else None,
        )
        for key, (start, churned, starting, churned_mrr, contraction) in cells.items()
    }


def expected_product_penetration(data: Raw) -> dict[tuple, tuple]:
    expected = {}
    for month in data.months:
        paying = {account for account in data.mrr if data.mrr_at(account, month) > 0}
        holders: dict[str, set[str]] = defaultdict(set)
        product_mrr: dict[str, Decimal] = defaultdict(Decimal)
        for sub in data.subscriptions:
            if sub.active_on(month):
                holders[sub.product_id].add(sub.account_id)
                product_mrr[sub.product_id] += sub.mrr
        pairs = sum(len(accounts & paying) for accounts in holders.values())
        for product, accounts in holders.items():
            expected[(product, month)] = (
                len(accounts),
                len(paying),
                len(accounts) / len(paying) if paying else None,
                product_mrr[product],
                pairs / len(paying) if paying else None,
            )
    return expected


def expected_saas_v5(data: Raw, months: list[date]) -> dict[tuple, tuple]:
    """net_new_mrr, annual_logo_churn_rate, sales_cost, seats and arpu of each month."""
    has_costs = bool(data.sales_costs)
    costs: dict[date, Decimal] = defaultdict(Decimal)
    for row in data.sales_costs:
        amount = Decimal(row["amount"]).quantize(CENT, ROUND_HALF_UP)
        costs[_month(date.fromisoformat(row["period_month"]))] += amount
    expected = {}
    for month in months:
        total = sum((data.mrr_at(account, month) for account in data.mrr), Decimal(0))
        previous = sum(
            (data.mrr_at(account, _months_back(month, 1)) for account in data.mrr), Decimal(0)
        )
        year_before = _months_back(month, 12)
        cohort = [account for account in data.mrr if data.mrr_at(account, year_before) > 0]
        churned = [
            account
            for account in cohort
            if any(
                data.mrr_at(account, _months_back(month, back)) == 0
                and data.mrr_at(account, _months_back(month, back + 1)) > 0
                for back in range(12)
            )
        ]
        quantities = [
            sub.quantity
            for sub in data.subscriptions
            if sub.quantity is not None and sub.active_on(month)
        ]
        seats = sum(quantities, Decimal(0)) if quantities else None
        arpu = (total / seats).quantize(CENT, ROUND_HALF_UP) if seats else None
        expected[(month,)] = (
            total - previous,
            len(churned) / len(cohort) if cohort else None,
            (costs.get(month, Decimal(0)) if has_costs else None),
            seats,
            arpu,
        )
    return expected


def expected_win_rate_12m(data: Raw) -> dict[tuple, tuple]:
    # as_of_date - 12 months (29 February gives 28 February)
    try:
        start = data.as_of.replace(year=data.as_of.year - 1)
    except ValueError:
        start = data.as_of.replace(year=data.as_of.year - 1, day=28)
    cells: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for deal in data.deals.values():
        if deal.outcome == "open":
            continue
        cell = cells[(_band(deal.worked_amount),)]
        if start < deal.closed_at.date() <= data.as_of:
            cell[0 if deal.outcome == "won" else 1] += 1
    return {
        key: (won, lost, won / (won + lost) if won + lost else None)
        for key, (won, lost) in cells.items()
    }


def expected_momentum(data: Raw) -> dict[tuple, tuple]:
    by_deal: dict[str, list[datetime]] = defaultdict(list)
    for deal_id, at in data.activities:
        if at < data.end_of_as_of:
            by_deal[deal_id].append(at)
    expected = {}
    for deal_id, deal in data.deals.items():
        if deal.outcome != "open":
            continue
        instants = by_deal.get(deal_id, [])
        last = max(instants, default=None)
        days = (data.as_of - last.date()).days if last else None
        recent = sum(1 for at in instants if (data.as_of - at.date()).days <= 29)
        expected[(deal_id,)] = (
            last,
            days,
            recent if data.activities else None,
            (days is None or days >= QUIET_DAYS) if data.activities else None,
        )
    return expected


# --------------------------------------------------------------------------- comparison


def _same(actual: object, expected: object) -> bool:
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, float) or isinstance(actual, float):
        return abs(float(actual) - float(expected)) <= RATE * max(1.0, abs(float(expected)))
    return actual == expected


def assert_rows_match(actual: dict[tuple, tuple], expected: dict[tuple, tuple], what: str) -> None:
    assert set(actual) == set(expected), (
        f"{what}: keys only in the mart {sorted(set(actual) - set(expected))[:5]}, "
        f"only recomputed {sorted(set(expected) - set(actual))[:5]}"
    )
    wrong = [
        (key, actual[key], expected[key])
        for key in sorted(expected)
        if len(actual[key]) != len(expected[key])
        or not all(_same(a, e) for a, e in zip(actual[key], expected[key], strict=True))
    ]
    assert not wrong, f"{what}: {len(wrong)} rows differ, e.g. {wrong[:3]}"


def _keyed(rows: list[tuple], key_width: int) -> dict[tuple, tuple]:
    return {tuple(row[:key_width]): tuple(row[key_width:]) for row in rows}


def compare_with_recomputation(database: Path, data: Raw) -> None:
    assert_rows_match(
        _keyed(
            query(
                database,
                "select country, period_month, region, created_count, created_amount,"
                " won_count, lost_count, win_rate, bookings_amount"
                " from marts.mart_sales_by_region",
            ),
            2,
        ),
        expected_sales_by_region(data),
        "mart_sales_by_region",
    )
    assert_rows_match(
        _keyed(
            query(
                database,
                "select owner_id, period_month, customers_start, churned_customers,"
                " logo_churn_rate, starting_mrr, churned_mrr, contraction_mrr,"
                " gross_revenue_churn_rate from marts.mart_churn_by_rep",
            ),
            2,
        ),
        expected_churn_by_rep(data),
        "mart_churn_by_rep",
    )
    assert_rows_match(
        _keyed(
            query(
                database,
                "select product_id, period_month, accounts_with_product, paying_accounts,"
                " penetration, mrr, avg_products_per_paying_account"
                " from marts.mart_product_penetration",
            ),
            2,
        ),
        expected_product_penetration(data),
        "mart_product_penetration",
    )
    saas = _keyed(
        query(
            database,
            "select period_month, net_new_mrr, annual_logo_churn_rate, sales_cost, seats, arpu"
            " from marts.mart_saas_kpis",
        ),
        1,
    )
    assert saas, "mart_saas_kpis is empty"
    assert_rows_match(
        saas, expected_saas_v5(data, [key[0] for key in saas]), "mart_saas_kpis (v5 columns)"
    )
    assert_rows_match(
        _keyed(
            query(
                database,
                "select amount_band, won_count_12m, lost_count_12m, win_rate_12m"
                " from marts.mart_win_rate_by_deal_size",
            ),
            1,
        ),
        expected_win_rate_12m(data),
        "mart_win_rate_by_deal_size (12m)",
    )
    assert_rows_match(
        _keyed(
            query(
                database,
                "select opportunity_id, last_activity_at, days_since_last_activity,"
                " activities_last_30_days, is_quiet from marts.mart_pipeline_integrity",
            ),
            1,
        ),
        expected_momentum(data),
        "mart_pipeline_integrity (momentum)",
    )


# --------------------------------------------------------------------------- the demo


def test_demo_matches_recomputation(demo_db: Path) -> None:
    data = Raw(DEMO_DIR)
    assert data.sales_costs and any(sub.quantity for sub in data.subscriptions)
    compare_with_recomputation(demo_db, data)


# --------------------------------------------------------------------------- planted cases

MARTS = [
    "mart_sales_by_region",
    "mart_churn_by_rep",
    "mart_product_penetration",
    "mart_saas_kpis",
    "mart_win_rate_by_deal_size",
    "mart_pipeline_integrity",
]


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def planted_folder(folder: Path) -> Path:
    """A v4-shaped raw folder (no v5 table, subscriptions without quantity), as of 2024-06-30
    (the latest event: D2 won at 2024-06-30 10:00).

    - D1 (a1, " us ") won on 2023-06-30, exactly twelve months before the as-of date: out of
      the 12-month window; D2 (a1) won on the as-of date: in; D3 (a2, "aq": other) lost on
      2023-07-01, the window's first day: in. Band 0-5k: 1 won, 1 lost in the window.
    - a1 pays May-July 2023, churns in August, comes back in October: in June 2024's annual
      logo churn (a1 and a2 paid in June 2023; a1 churned since): 1 / 2.
    - a2's subscription has no product (`unknown`); a3 has no country and no owner; a4 ("ZZ":
      other) churns in June 2024.
    - D4 has activities on 2024-06-01 (as-of - 29 days: in the window) and 2024-06-16 (14
      days: quiet); D5 has none (quiet).
    """
    folder.mkdir(parents=True)
    write_table(
        folder,
        "users",
        [
            {"user_id": "u1", "full_name": "Ann Lee", "role": "AE"},
            {"user_id": "u2", "full_name": "Bo Chen", "role": "AE"},
        ],
    )
    created = "2023-01-01 00:00:00"
    write_table(
        folder,
        "accounts",
        [
            {"account_id": "a1", "account_name": "A", "country": " us ", "owner_id": "u1",
             "created_at": created},
            {"account_id": "a2", "account_name": "B", "country": "aq", "owner_id": "u2",
             "created_at": created},
            {"account_id": "a3", "account_name": "C", "country": "", "owner_id": "",
             "created_at": created},
            {"account_id": "a4", "account_name": "D", "country": "ZZ", "owner_id": "u1",
             "created_at": created},
        ],
    )  # fmt: skip
    write_table(folder, "stages", STAGES)
    write_table(folder, "exchange_rates", [])  # empty: read as absent
    write_table(folder, "leads", [{"lead_id": "l1", "created_at": created, "lead_source": "web"}])
    write_table(folder, "products", [{"product_id": "P1", "product_name": "Core"}])
    deals = [
        # id, account, created_at, final stage, final amount
        ("D1", "a1", "2023-06-01 09:00:00", "Won", "1000"),
        ("D2", "a1", "2024-06-01 09:00:00", "Won", "2500"),
        ("D3", "a2", "2023-07-01 00:00:00", "Lost", "3000"),
        ("D4", "a3", "2024-05-01 09:00:00", "Qualify", "500"),
        ("D5", "a4", "2024-06-20 09:00:00", "Qualify", "700"),
    ]
    write_table(
        folder,
        "opportunities",
        [
            {"opportunity_id": deal_id, "account_id": account, "owner_id": "u1",
             "created_at": created_at, "close_date": "2024-06-30", "stage_name": stage,
             "amount": amount}
            for deal_id, account, created_at, stage, amount in deals
        ],
    )  # fmt: skip
    history = [
        ("D1", "2023-06-01 09:00:00", "Qualify", "1000"),
        ("D1", "2023-06-30 12:00:00", "Won", "1000"),
        ("D2", "2024-06-01 09:00:00", "Qualify", "2000"),
        ("D2", "2024-06-30 10:00:00", "Won", "2500"),
        ("D3", "2023-07-01 00:00:00", "Qualify", "3000"),
        ("D3", "2023-07-01 09:00:00", "Lost", "0"),
        ("D4", "2024-05-01 09:00:00", "Qualify", "500"),
        ("D5", "2024-06-20 09:00:00", "Qualify", "700"),
    ]
    write_table(
        folder,
        "opportunity_history",
        [
            {"opportunity_id": deal_id, "changed_at": at, "stage_name": stage,
             "amount": amount, "close_date": "2024-06-30"}
            for deal_id, at, stage, amount in history
        ],
    )  # fmt: skip
    write_table(
        folder,
        "activities",
        [
            {"activity_id": "x1", "user_id": "u1", "activity_type": "call",
             "activity_at": "2024-06-01 10:00:00", "opportunity_id": "D4"},
            {"activity_id": "x2", "user_id": "u1", "activity_type": "email",
             "activity_at": "2024-06-16 10:00:00", "opportunity_id": "D4"},
            {"activity_id": "x3", "user_id": "u1", "activity_type": "call",
             "activity_at": "2024-05-31 10:00:00", "opportunity_id": "D4"},
        ],
    )  # fmt: skip
    # v4 shape: no quantity column
    subscriptions = [
        ("S1", "a1", "P1", "2023-05-01", "2023-08-01", "100"),
        ("S2", "a1", "P1", "2023-10-01", "", "100"),
        ("S3", "a2", "", "2023-01-01", "", "50"),
        ("S4", "a3", "P1", "2023-06-15", "", "200"),
        ("S5", "a4", "P1", "2024-01-01", "2024-06-01", "80"),
    ]
    _write_csv(
        folder / "subscriptions.csv",
        [
            {"subscription_id": sub_id, "account_id": account, "product_id": product,
             "start_date": start, "end_date": end, "mrr_amount": mrr, "currency_code": ""}
            for sub_id, account, product, start, end, mrr in subscriptions
        ],
    )  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("region_churn_product")
    raw = planted_folder(base / "raw")
    database = base / "planted.duckdb"
    build_raw(database, raw, [f"+{mart}" for mart in MARTS])
    return raw, database


def test_planted_cases_match_hand_worked_values(planted) -> None:
    _, database = planted
    regions = query(
        database,
        "select country, period_month, region, created_count, created_amount, won_count,"
        " lost_count, bookings_amount from marts.mart_sales_by_region order by 1, 2",
    )
    assert regions == [
        ("AQ", date(2023, 7, 1), "other", 1, Decimal("3000.00"), 0, 1, Decimal("0.00")),
        ("US", date(2023, 6, 1), "AMER", 1, Decimal("1000.00"), 1, 0, Decimal("1000.00")),
        ("US", date(2024, 6, 1), "AMER", 1, Decimal("2000.00"), 1, 0, Decimal("2500.00")),
        ("ZZ", date(2024, 6, 1), "other", 1, Decimal("700.00"), 0, 0, Decimal("0.00")),
        ("unknown", date(2024, 5, 1), "unknown", 1, Decimal("500.00"), 0, 0, Decimal("0.00")),
    ]
    assert query(
        database,
        "select amount_band, won_count, lost_count, won_count_12m, lost_count_12m, win_rate_12m"
        " from marts.mart_win_rate_by_deal_size",
    ) == [("0-5k", 2, 1, 1, 1, 0.5)]
    churn = {
        row[:2]: row[2:]
        for row in query(
            database,
            "select owner_id, period_month, customers_start, churned_customers, starting_mrr,"
            " churned_mrr from marts.mart_churn_by_rep",
        )
    }
    assert churn[("u1", date(2023, 8, 1))] == (1, 1, Decimal("100.00"), Decimal("-100.00"))
    assert ("u1", date(2023, 10, 1)) not in churn  # a1 came back: not at the start
    assert churn[("u1", date(2024, 6, 1))] == (2, 1, Decimal("180.00"), Decimal("-80.00"))
    assert churn[("unknown", date(2024, 6, 1))] == (1, 0, Decimal("200.00"), Decimal("0.00"))
    penetration = {
        row[:2]: row[2:]
        for row in query(
            database,
            "select product_id, period_month, product_name, accounts_with_product,"
            " paying_accounts, penetration, mrr from marts.mart_product_penetration",
        )
    }
    assert penetration[("unknown", date(2023, 1, 1))] == (None, 1, 1, 1.0, Decimal("50.00"))
    assert penetration[("P1", date(2023, 9, 1))] == ("Core", 1, 2, 0.5, Decimal("200.00"))
    saas = {
        row[0]: row[1:]
        for row in query(
            database,
            "select period_month, annual_logo_churn_rate, sales_cost, full_cac, seats, arpu"
            " from marts.mart_saas_kpis",
        )
    }
    assert saas[date(2024, 6, 1)][0] == 0.5
    assert saas[date(2024, 1, 1)][0] == 0.0  # a2 alone paid in January 2023
    # v4 input: no sales_costs, marketing_spend or quantity, so these are null in every month
    assert {values[1:] for values in saas.values()} == {(None, None, None, None)}
    momentum = {
        row[0]: row[1:]
        for row in query(
            database,
            "select opportunity_id, days_since_last_activity, activities_last_30_days, is_quiet"
            " from marts.mart_pipeline_integrity",
        )
    }
    assert momentum == {"D4": (14, 2, True), "D5": (None, 0, True)}


def test_planted_cases_match_recomputation(planted) -> None:
    raw, database = planted
    compare_with_recomputation(database, Raw(raw))
