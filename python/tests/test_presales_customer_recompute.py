"""The ten presales, engagement and customer-profile marts (PRESALES_CUSTOMER_MARTS below)
against an independent recomputation in plain Python from raw files.

Nothing here reads the project's facts: each mart is recomputed from the raw CSV files (the
bundled demo seeds in seeds/demo, or a generated folder) with the csv module, replaying each
deal's history sorted by changed_at with the helpers of test_pipeline_recompute (stages decide
open / won / lost, null amounts carry forward, amounts convert at the latest rate on or before
the changed_at date, rows after the as-of date are left out) and applying the marts' rules
directly. Counts must match exactly, money within 0.01, hours, days and rates within 1e-6.

- The demo seeds: all ten marts, row for row (the session's `demo_db`).
- mart_presales_deliverables on a generated folder whose history file is shuffled once more and
  whose SE activities include some at the very instant of a stage change or a close (the
  generator logs about one presales activity in eight at a history row's changed_at).
- Empty required tables: the ten marts build with no rows.
- The demo data tells the presales story the marts are for.
"""

from __future__ import annotations

import bisect
import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from conftest import query
from helpers import build_raw, write_table
from test_foundation import STAGES
from test_pipeline_recompute import (
    REPORTING_CURRENCY,
    Deal,
    _money,
    _next_month,
    _percentile_cont,
    _state_at,
    load_deals,
)

from crm_metrics.contract import load_contract
from crm_metrics.errors import CrmMetricsError
from crm_metrics.runner import PROJECT_DIR, build

pytestmark = pytest.mark.slow

DEMO_DIR = PROJECT_DIR / "seeds" / "demo"
PRESALES_CUSTOMER_MARTS = [
    "mart_activity_volume",
    "mart_presales_deal_effort",
    "mart_presales_deliverables",
    "mart_presales_time",
    "mart_presales_outcomes",
    "mart_presales_managers",
    "mart_product_bookings",
    "mart_win_rate_by_profile",
    "mart_account_engagement",
    "mart_contract_value",
]
STANDARD_MONTHLY_HOURS = 160
EMPLOYEE_BAND_EDGES = (0, 50, 250, 1000, 5000)
MONEY = 0.01
EXACT = 1e-6


# --------------------------------------------------------------------------- raw input


def _rows(raw: Path, table: str) -> list[dict[str, str]]:
    with (raw / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _ts(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _month(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def _months_back(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _float(text: str) -> float | None:
    return float(text) if text else None


@dataclass(frozen=True)
class Activity:
    user_id: str
    activity_type: str
    outcome: str
    at: datetime
    minutes: float
    opportunity_id: str | None
    account_id: str | None  # its own account_id, else its deal's


@dataclass(frozen=True)
class DealFacts:
    opportunity_id: str
    account_id: str
    owner_id: str
    presales_owner_id: str | None
    opportunity_type: str
    segment: str
    created_at: datetime
    currency: str
    outcome: str  # open, won, lost
    closed_at: datetime | None
    amount: Decimal | None  # final (last row's converted amount)
    worked_amount: Decimal | None  # won: final; lost: last open row's amount (else final)
    detail: str | None  # won, lost, qualified_out (closed deals only)
    deal: Deal


class RawData:
    """The raw tables of a folder, read and replayed once."""

    def __init__(self, raw: Path) -> None:
        self.raw = raw
        deals, stages, self.as_of = load_deals(raw)
        self.end_of_as_of = datetime.combine(self.as_of + timedelta(days=1), datetime.min.time())
        lowest_open = min(order for order, state in stages.values() if state == "open")
        self.users = {row["user_id"]: row for row in _rows(raw, "users")}
        for row in self.users.values():
            row["role"] = row["role"].upper()
        self.accounts = {row["account_id"]: row for row in _rows(raw, "accounts")}
        opportunities = {row["opportunity_id"]: row for row in _rows(raw, "opportunities")}
        self.rates: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for row in _rows(raw, "exchange_rates"):
            self.rates[row["currency_code"].upper()].append(
                (date.fromisoformat(row["rate_date"]), float(row["rate_to_reporting"]))
            )
        for series in self.rates.values():
            series.sort()

        self.deals: dict[str, DealFacts] = {}
        for deal in deals:
            row = opportunities[deal.opportunity_id]
            states = deal.states
            outcome = states[-1].state
            closed_at = None
            for previous, state in zip([None, *states[:-1]], states, strict=True):
                if state.state != "open" and (
                    previous is None or previous.stage_name != state.stage_name
                ):
                    closed_at = state.changed_at  # the last transition into a closed stage
            open_states = [state for state in states if state.state == "open"]
            deepest = max((state.stage_order for state in open_states), default=None)
            detail = None
            if outcome == "won":
                detail = "won"
            elif outcome == "lost":
                detail = "qualified_out" if deepest is None or deepest <= lowest_open else "lost"
            final = states[-1].amount
            worked = final
            if outcome == "lost" and open_states and open_states[-1].amount is not None:
                worked = open_states[-1].amount
            self.deals[deal.opportunity_id] = DealFacts(
                opportunity_id=deal.opportunity_id,
                account_id=row["account_id"],
                owner_id=row["owner_id"],
                presales_owner_id=row["presales_owner_id"] or None,
                opportunity_type=(row["opportunity_type"].lower() or "new_business"),
                segment=deal.segment,
                created_at=_ts(row["created_at"]),
                currency=row["currency_code"].upper() or REPORTING_CURRENCY,
                outcome=outcome,
                closed_at=closed_at if outcome != "open" else None,
                amount=final,
                worked_amount=worked,
                detail=detail,
                deal=deal,
            )

        self.activities: list[Activity] = []
        for row in _rows(raw, "activities"):
            at = _ts(row["activity_at"])
            if at >= self.end_of_as_of:
                continue  # the future
            opportunity_id = row["opportunity_id"] if row["opportunity_id"] in self.deals else None
            account_id = row["account_id"] if row["account_id"] in self.accounts else None
            if account_id is None and opportunity_id is not None:
                account_id = self.deals[opportunity_id].account_id
            self.activities.append(
                Activity(
                    user_id=row["user_id"],
                    activity_type=row["activity_type"].lower(),
                    outcome=row["outcome"].lower(),
                    at=at,
                    minutes=float(row["duration_minutes"] or 0),
                    opportunity_id=opportunity_id,
                    account_id=account_id,
                )
            )

        events = [state.changed_at.date() for deal in deals for state in deal.states]
        events += [facts.created_at.date() for facts in self.deals.values()]
        events += [activity.at.date() for activity in self.activities]
        events += [_ts(row["created_at"]).date() for row in _rows(raw, "leads")]
        events += [date.fromisoformat(row["start_date"]) for row in _rows(raw, "subscriptions")]
        self.first_month = _month(min(events))
        self.months = [self.first_month]
        while self.months[-1] < _month(self.as_of):
            self.months.append(_next_month(self.months[-1]))

    def rate(self, currency: str, day: date) -> float:
        if currency == REPORTING_CURRENCY:
            return 1.0
        series = self.rates[currency]
        index = bisect.bisect_right([rate_date for rate_date, _ in series], day) - 1
        assert index >= 0, f"no {currency} rate on or before {day}"
        return series[index][1]

    def role(self, user_id: str) -> str | None:
        user = self.users.get(user_id)
        return user["role"] if user else None

    def presales_population(self) -> set[str]:
        """Users with role SE and anyone named presales owner of a deal (as mart_presales)."""
        people = {user_id for user_id, row in self.users.items() if row["role"] == "SE"}
        return people | {
            facts.presales_owner_id for facts in self.deals.values() if facts.presales_owner_id
        }


# --------------------------------------------------------------------------- recomputation


def is_connected_call(activity: Activity) -> bool:
    return activity.activity_type == "call" and activity.outcome in ("connected", "meeting_booked")


def expected_activity_volume(data: RawData) -> dict[tuple, tuple]:
    cells: dict[tuple, list[Any]] = defaultdict(lambda: [0, 0.0, 0, set(), set()])
    for activity in data.activities:
        week = activity.at.date() - timedelta(days=activity.at.weekday())
        cell = cells[(activity.user_id, week, activity.activity_type)]
        cell[0] += 1
        cell[1] += activity.minutes
        cell[2] += is_connected_call(activity)
        if activity.account_id:
            cell[3].add(activity.account_id)
        if activity.opportunity_id:
            cell[4].add(activity.opportunity_id)
    return {
        key: (count, minutes, connected, len(accounts), len(deals))
        for key, (count, minutes, connected, accounts, deals) in cells.items()
    }


def _se_activities_by_deal(data: RawData) -> dict[str, list[Activity]]:
    by_deal: dict[str, list[Activity]] = defaultdict(list)
    for activity in data.activities:
        if activity.opportunity_id and data.role(activity.user_id) == "SE":
            by_deal[activity.opportunity_id].append(activity)
    return by_deal


def expected_deal_effort(data: RawData) -> dict[tuple, tuple]:
    by_deal = _se_activities_by_deal(data)
    expected = {}
    for facts in data.deals.values():
        if facts.outcome == "open" or not facts.presales_owner_id:
            continue
        hours: dict[str, float] = defaultdict(float)
        count = 0
        for activity in by_deal.get(facts.opportunity_id, []):
            if activity.at <= facts.closed_at:
                kind = activity.activity_type
                hours[kind if kind in ("demo", "poc", "rfp", "meeting") else "other"] += (
                    activity.minutes / 60
                )
                count += 1
        expected[(facts.opportunity_id,)] = (
            facts.presales_owner_id,
            facts.owner_id,
            facts.segment,
            facts.outcome,
            facts.detail,
            facts.worked_amount,
            sum(hours.values()),
            hours["demo"],
            hours["poc"],
            hours["rfp"],
            hours["meeting"],
            hours["other"],
            (facts.closed_at - facts.created_at).total_seconds() / 86400,
            count,
        )
    return expected


def expected_deliverables(data: RawData) -> dict[tuple, tuple]:
    """Each SE deliverable on a closed deal with a presales owner, in the deal's state at its
    instant T: the last history row with changed_at <= T; none, or a closed one, is left out."""
    cells: dict[tuple, list[Any]] = defaultdict(lambda: [set(), 0.0, 0])
    for deal_id, activities in _se_activities_by_deal(data).items():
        facts = data.deals[deal_id]
        if facts.outcome == "open" or not facts.presales_owner_id:
            continue
        instants = [state.changed_at for state in facts.deal.states]
        for activity in activities:
            if activity.activity_type not in ("demo", "poc", "rfp", "meeting"):
                continue
            index = bisect.bisect_right(instants, activity.at) - 1
            if index < 0:
                continue  # before the first history row
            state = facts.deal.states[index]
            if state.state != "open":
                continue
            cell = cells[(state.stage_name, facts.outcome, activity.activity_type)]
            cell[0].add(deal_id)
            cell[1] += activity.minutes / 60
            cell[2] += 1
    return {
        key: (len(deals), hours, hours / len(deals), count)
        for key, (deals, hours, count) in cells.items()
    }


def expected_presales_time(data: RawData) -> dict[tuple, tuple]:
    people = data.presales_population()
    cells: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for activity in data.activities:
        if activity.user_id in people:
            cell = cells[(activity.user_id, _month(activity.at), activity.activity_type)]
            cell[0] += activity.minutes / 60
            cell[1] += activity.minutes / 60 if activity.opportunity_id else 0
            cell[2] += 1
    return {
        key: (hours, revenue, revenue / hours if hours else None, count)
        for key, (hours, revenue, count) in cells.items()
    }


def expected_presales_outcomes(data: RawData) -> dict[tuple, tuple]:
    cells: dict[tuple, list[Any]] = defaultdict(lambda: [0, 0, 0, Decimal(0)])
    for facts in data.deals.values():
        if facts.outcome == "open":
            continue
        cell = cells[(facts.presales_owner_id or "none", _month(facts.closed_at))]
        cell[("won", "lost", "qualified_out").index(facts.detail)] += 1
        if facts.detail == "won":
            cell[3] += facts.amount or 0
    return {
        key: (won, lost, out, won / (won + lost + out), amount)
        for key, (won, lost, out, amount) in cells.items()
    }


def expected_presales_managers(data: RawData) -> dict[tuple, tuple]:
    hours: dict[tuple[str, date], float] = defaultdict(float)
    last_activity: dict[str, date] = {}
    for activity in data.activities:
        hours[(activity.user_id, _month(activity.at))] += activity.minutes / 60
        month = _month(activity.at)
        last_activity[activity.user_id] = max(month, last_activity.get(activity.user_id, month))
    cells: dict[tuple, list[float]] = defaultdict(lambda: [0, 0.0])
    for user_id, user in data.users.items():
        if user["role"] != "SE" or user["manager_id"] not in data.users:
            continue
        first = _month(date.fromisoformat(user["hired_on"])) if user["hired_on"] else None
        if user["is_active"].lower() in ("", "true"):
            last = data.as_of
        else:
            last = last_activity.get(user_id)
        for month in data.months:
            if last is not None and month <= last and (first is None or month >= first):
                cell = cells[(user["manager_id"], month)]
                cell[0] += 1
                cell[1] += hours.get((user_id, month), 0.0)
    return {
        key: (count, total / (count * STANDARD_MONTHLY_HOURS), total)
        for key, (count, total) in cells.items()
    }


def expected_product_bookings(data: RawData) -> dict[tuple, tuple]:
    """Each line is converted exactly in decimal and rounded to the cent where it is dated (the
    money rule: to 16 places as Spark keeps a three-factor product, then half away from zero to
    the cent); a product's month is the sum of its lines."""
    products = {row["product_id"]: row for row in _rows(data.raw, "products")}
    cells: dict[tuple, list[Any]] = defaultdict(lambda: [set(), None, Decimal(0)])
    for line in _rows(data.raw, "opportunity_line_items"):
        facts = data.deals.get(line["opportunity_id"])
        if facts is None or facts.outcome != "won":
            continue
        cell = cells[(line["product_id"], _month(facts.closed_at))]
        cell[0].add(facts.opportunity_id)
        quantity, price = _float(line["quantity"]), _float(line["unit_price"])
        if quantity is not None:
            cell[1] = (cell[1] or 0.0) + quantity
        if quantity is not None and price is not None:
            rate = data.rate(facts.currency, facts.created_at.date())
            exact = Decimal(str(quantity)) * Decimal(str(price)) * Decimal(str(rate))
            cell[2] += exact.quantize(Decimal("1e-16"), ROUND_HALF_UP).quantize(
                Decimal("0.01"), ROUND_HALF_UP
            )
    month_totals: dict[date, Decimal] = defaultdict(Decimal)
    for (_, month), cell in cells.items():
        month_totals[month] += cell[2]
    expected = {}
    for (product_id, month), (deals, quantity, amount) in cells.items():
        total = month_totals[month]
        expected[(product_id, month)] = (
            products[product_id]["product_name"],
            products[product_id]["product_family"] or "unknown",
            len(deals),
            quantity,
            amount,
            float(amount / total) if total else None,
        )
    return expected


def employee_band(count: int | None, edges: tuple[int, ...] = EMPLOYEE_BAND_EDGES) -> str:
    def label(edge: int) -> str:
        return str(edge) if edge < 1000 else f"{edge / 1000:g}k"

    if count is None or count < edges[0]:
        return "unknown"
    for index in range(len(edges) - 1, -1, -1):
        if count >= edges[index]:
            if index == len(edges) - 1:
                return f"{label(edges[index])}+"
            return f"{label(edges[index])}-{label(edges[index + 1])}"
    raise AssertionError("unreachable")


def test_employee_band_labels_of_the_recomputation() -> None:
    """The independent band function itself, on the spec's examples."""
    assert [employee_band(n) for n in (None, 0, 49, 50, 999, 1000, 4999, 5000)] == [
        "unknown", "0-50", "0-50", "50-250", "250-1k", "1k-5k", "1k-5k", "5k+",
    ]  # fmt: skip
    assert employee_band(1500, (0, 50, 1500, 5000)) == "1.5k-5k"
    assert employee_band(100, (0, 50, 1500, 5000)) == "50-1.5k"


def expected_win_rate_by_profile(data: RawData) -> dict[tuple, tuple]:
    cells: dict[tuple, list[Any]] = defaultdict(lambda: [0, 0, 0, [], []])
    for facts in data.deals.values():
        if facts.outcome == "open":
            continue
        account = data.accounts[facts.account_id]
        headcount = int(account["employee_count"]) if account["employee_count"] else None
        key = (account["industry"] or "unknown", employee_band(headcount), facts.segment)
        cell = cells[key]
        cell[("won", "lost", "qualified_out").index(facts.detail)] += 1
        if facts.detail == "won":
            if facts.amount is not None:
                cell[3].append(facts.amount)
            cell[4].append((facts.closed_at - facts.created_at).total_seconds() / 86400)
    return {
        key: (
            won,
            lost,
            out,
            won / (won + lost + out),
            sum(amounts) / len(amounts) if amounts else None,
            sum(days) / len(days) if days else None,
        )
        for key, (won, lost, out, amounts, days) in cells.items()
    }


def expected_account_engagement(data: RawData) -> dict[tuple, tuple]:
    activity_cells: dict[tuple, list[Any]] = defaultdict(lambda: [0, 0, set()])
    for activity in data.activities:
        if activity.account_id is None:
            continue
        cell = activity_cells[(activity.account_id, _month(activity.at))]
        cell[0] += is_connected_call(activity) or activity.activity_type in ("meeting", "demo")
        cell[1] += 1
        cell[2].add(activity.user_id)
    open_cells: dict[tuple, int] = defaultdict(int)
    for month in data.months:
        month_end = datetime.combine(_next_month(month), datetime.min.time())
        for facts in data.deals.values():
            state = _state_at(facts.deal, month_end)  # after all rows before the next month
            if state is not None and state.state == "open":
                open_cells[(facts.account_id, month)] += 1
    mrr_cells: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in _rows(data.raw, "subscriptions"):
        start = date.fromisoformat(row["start_date"])
        end = date.fromisoformat(row["end_date"]) if row["end_date"] else None
        currency = row["currency_code"].upper() or REPORTING_CURRENCY
        mrr = _money(float(row["mrr_amount"]) * data.rate(currency, start))
        for month in data.months:
            if start <= month and (end is None or month < end):
                mrr_cells[(row["account_id"], month)] += mrr
    keys = set(activity_cells) | set(open_cells) | {k for k, v in mrr_cells.items() if v > 0}
    expected = {}
    for key in keys:
        conversations, count, reps = activity_cells.get(key, (0, 0, set()))
        expected[key] = (
            conversations,
            count,
            len(reps),
            open_cells.get(key, 0),
            mrr_cells.get(key, Decimal(0)),
        )
    return expected


def expected_contract_value(data: RawData) -> dict[tuple, tuple]:
    cells: dict[tuple, list[Decimal | None]] = defaultdict(list)
    for facts in data.deals.values():
        if facts.outcome == "won":
            key = (_month(facts.closed_at), facts.segment, facts.opportunity_type)
            cells[key].append(facts.amount)
    expected = {}
    for (month, segment, kind), amounts in cells.items():
        valued = [float(amount) for amount in amounts if amount is not None]
        window = [
            amount
            for back in range(12)
            for amount in cells.get((_months_back(month, back), segment, kind), [])
        ]
        window_valued = [float(amount) for amount in window if amount is not None]
        expected[(month, segment, kind)] = (
            len(amounts),
            sum(valued) / len(valued) if valued else None,
            _percentile_cont(valued, 0.5) if valued else None,
            sum(window_valued) / len(window_valued) if window_valued else None,
            sum(valued),
            len(window),
            len(valued),
        )
    return expected


# --------------------------------------------------------------------------- comparison


def assert_same_rows(
    rows: list[tuple], expected: dict[tuple, tuple], key_size: int, tolerances: list[float]
) -> None:
    """rows (key columns first) equal expected: same keys, counts and texts exactly, numbers
    within the column's tolerance (0 = exact)."""
    assert expected, "nothing to compare: the data must exercise the mart"
    actual = {tuple(row[:key_size]): tuple(row[key_size:]) for row in rows}
    assert len(actual) == len(rows), "duplicate keys"
    missing, extra = set(expected) - set(actual), set(actual) - set(expected)
    assert not missing and not extra, (sorted(missing)[:5], sorted(extra)[:5])
    for key, want in expected.items():
        got = actual[key]
        assert len(got) == len(want) == len(tolerances), key
        for column, (value, wanted, tolerance) in enumerate(
            zip(got, want, tolerances, strict=True)
        ):
            if wanted is None or value is None:
                assert value is None and wanted is None, (key, column, value, wanted)
            elif tolerance == 0:
                assert value == wanted, (key, column, value, wanted)
            else:
                assert abs(float(value) - float(wanted)) <= tolerance, (key, column, value, wanted)


@pytest.fixture(scope="module")
def demo() -> RawData:
    return RawData(DEMO_DIR)


def test_demo_as_of_date_is_the_recomputations(demo: RawData, demo_db: Path) -> None:
    assert query(demo_db, "select as_of_date from intermediate.int_as_of_date")[0][0] == demo.as_of


def test_activity_volume_matches_recomputation(demo: RawData, demo_db: Path) -> None:
    rows = query(
        demo_db,
        "select user_id, period_week, activity_type, activity_count, total_minutes,"
        " connected_count, accounts_touched, opportunities_touched"
        " from marts.mart_activity_volume",
    )
    assert_same_rows(rows, expected_activity_volume(demo), 3, [0, EXACT, 0, 0, 0])


def test_presales_deal_effort_matches_recomputation(demo: RawData, demo_db: Path) -> None:
    expected = expected_deal_effort(demo)
    assert {want[4] for want in expected.values()} == {"won", "lost", "qualified_out"}
    assert sum(want[11] for want in expected.values()) > 0  # other_hours occur
    rows = query(
        demo_db,
        "select opportunity_id, se_user_id, owner_id, segment, outcome, outcome_detail, amount,"
        " se_hours, demo_hours, poc_hours, rfp_hours, meeting_hours, other_hours,"
        " days_to_close, se_activity_count from marts.mart_presales_deal_effort",
    )
    tolerances = [0, 0, 0, 0, 0, MONEY, EXACT, EXACT, EXACT, EXACT, EXACT, EXACT, EXACT, 0]
    assert_same_rows(rows, expected, 1, tolerances)


DELIVERABLES_SQL = (
    "select stage_name, outcome, activity_type, deal_count, hours, avg_hours_per_deal,"
    " activity_count from marts.mart_presales_deliverables"
)


def test_presales_deliverables_match_recomputation_on_demo(demo: RawData, demo_db: Path) -> None:
    rows = query(demo_db, DELIVERABLES_SQL)
    assert_same_rows(rows, expected_deliverables(demo), 3, [0, EXACT, EXACT, 0])


def test_presales_time_matches_recomputation(demo: RawData, demo_db: Path) -> None:
    expected = expected_presales_time(demo)
    assert {key[2] for key in expected} == {
        "call", "email", "meeting", "demo", "poc", "rfp", "other",
    }  # fmt: skip
    rows = query(
        demo_db,
        "select se_user_id, period_month, activity_type, hours, revenue_hours,"
        " share_revenue_generating, activity_count from marts.mart_presales_time",
    )
    assert_same_rows(rows, expected, 3, [EXACT, EXACT, EXACT, 0])


def test_presales_outcomes_match_recomputation(demo: RawData, demo_db: Path) -> None:
    expected = expected_presales_outcomes(demo)
    assert any(key[0] == "none" for key in expected)
    rows = query(
        demo_db,
        "select se_user_id, period_month, won_count, lost_count, qualified_out_count, win_rate,"
        " won_amount from marts.mart_presales_outcomes",
    )
    assert_same_rows(rows, expected, 2, [0, 0, 0, EXACT, MONEY])


def test_presales_managers_match_recomputation(demo: RawData, demo_db: Path) -> None:
    expected = expected_presales_managers(demo)
    assert expected
    rows = query(
        demo_db,
        "select manager_id, period_month, direct_report_count, avg_utilization, total_hours"
        " from marts.mart_presales_managers",
    )
    assert_same_rows(rows, expected, 2, [0, EXACT, EXACT])


def test_product_bookings_match_recomputation(demo: RawData, demo_db: Path) -> None:
    expected = expected_product_bookings(demo)
    assert len({key[0] for key in expected}) >= 5
    rows = query(
        demo_db,
        "select product_id, period_month, product_name, product_family, won_deal_count,"
        " quantity, bookings_amount, share_of_month from marts.mart_product_bookings",
    )
    assert_same_rows(rows, expected, 2, [0, 0, 0, EXACT, 0, EXACT])


def test_win_rate_by_profile_matches_recomputation(demo: RawData, demo_db: Path) -> None:
    expected = expected_win_rate_by_profile(demo)
    assert {key[0] for key in expected} >= {"unknown"} and {key[1] for key in expected} == {
        "0-50", "50-250", "250-1k", "1k-5k", "5k+", "unknown",
    }  # fmt: skip
    rows = query(
        demo_db,
        "select industry, employee_band, segment, won_count, lost_count, qualified_out_count,"
        " win_rate, avg_won_amount, avg_days_to_close from marts.mart_win_rate_by_profile",
    )
    assert_same_rows(rows, expected, 3, [0, 0, 0, EXACT, MONEY, EXACT])


def test_account_engagement_matches_recomputation(demo: RawData, demo_db: Path) -> None:
    rows = query(
        demo_db,
        "select account_id, period_month, conversations, activity_count, reps_engaged,"
        " open_deal_count, mrr from marts.mart_account_engagement",
    )
    assert_same_rows(rows, expected_account_engagement(demo), 2, [0, 0, 0, 0, MONEY])


def test_contract_value_matches_recomputation(demo: RawData, demo_db: Path) -> None:
    rows = query(
        demo_db,
        "select period_month, segment, opportunity_type, won_count, avg_contract_value,"
        " median_contract_value, acv_trailing_12m, won_amount, won_count_trailing_12m,"
        " valued_won_count from marts.mart_contract_value",
    )
    assert_same_rows(rows, expected_contract_value(demo), 3, [0, MONEY, MONEY, MONEY, MONEY, 0, 0])


# --------------------------------------------------------------------------- deliverables, shuffled


@pytest.fixture(scope="module")
def shuffled(generated_deals: tuple[Path, Path]) -> tuple[RawData, Path]:
    # conftest's generated_deals, built once for this module and test_pipeline_recompute
    raw, database = generated_deals
    return RawData(raw), database


def test_presales_deliverables_match_recomputation_on_shuffled_history(shuffled) -> None:
    data, database = shuffled
    rejected = query(
        database,
        "select (select count(*) from intermediate.int_opportunity_history_validated"
        " where reject_reason is not null)"
        " + (select count(*) from intermediate.int_activities_validated"
        " where reject_reason is not null)",
    )[0][0]
    assert rejected == 0  # the recomputation applies the rules for a clean file
    history = _rows(data.raw, "opportunity_history")
    keys = [(row["opportunity_id"], row["changed_at"]) for row in history]
    assert keys != sorted(keys)  # the file's order means nothing
    # SE deliverables on closed presales deals at the very instant of a stage change (they
    # belong to the new stage) and of the close (no stage): the boundaries must be exercised
    at_stage_change = at_close = 0
    for activity in data.activities:
        facts = data.deals.get(activity.opportunity_id or "")
        if (
            facts is None
            or facts.outcome == "open"
            or not facts.presales_owner_id
            or data.role(activity.user_id) != "SE"
            or activity.activity_type not in ("demo", "poc", "rfp", "meeting")
        ):
            continue
        states = facts.deal.states
        for previous, state in pairwise(states):
            if state.changed_at == activity.at and state.stage_name != previous.stage_name:
                at_stage_change += state.state == "open"
                at_close += state.state != "open"
    assert at_stage_change >= 5 and at_close >= 5, (at_stage_change, at_close)
    expected = expected_deliverables(data)
    assert {key[0] for key in expected} == {
        "Qualification", "Discovery", "Solution Demo", "Proposal", "Negotiation",
    }  # fmt: skip
    assert_same_rows(query(database, DELIVERABLES_SQL), expected, 3, [0, EXACT, EXACT, 0])


# --------------------------------------------------------------------------- empty input


def test_presales_customer_marts_are_empty_on_empty_input(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    for table in load_contract().table_names:
        write_table(raw, table, STAGES if table == "stages" else [])
    database = tmp_path / "empty.duckdb"
    results = build_raw(database, raw, [f"+{mart}" for mart in PRESALES_CUSTOMER_MARTS])
    built = {result.name for result in results if result.status == "success"}
    assert set(PRESALES_CUSTOMER_MARTS) <= built
    for mart in PRESALES_CUSTOMER_MARTS:
        assert query(database, f"select count(*) from marts.{mart}")[0][0] == 0, mart


def test_line_item_without_a_rate_at_deal_creation_fails_naming_it(tmp_path: Path) -> None:
    """A EUR deal created on 2024-01-05 whose history starts on 2024-01-10, with EUR rates from
    2024-01-08: its history converts, its line item (at the created_at rate) cannot, and the
    build fails naming the table, the currency, the date and the line item."""
    raw = tmp_path / "raw"
    raw.mkdir()
    write_table(raw, "users", [{"user_id": "u1", "full_name": "Ann Lee", "role": "AE"}])
    write_table(
        raw, "accounts", [{"account_id": "a1", "account_name": "Acme", "created_at": "2024-01-01"}]
    )
    write_table(raw, "stages", STAGES)
    write_table(
        raw,
        "opportunities",
        [
            {
                "opportunity_id": "o1",
                "account_id": "a1",
                "owner_id": "u1",
                "created_at": "2024-01-05 09:00:00",
                "close_date": "2024-01-10",
                "amount": "100",
                "currency_code": "EUR",
                "stage_name": "Won",
            }
        ],
    )
    write_table(
        raw,
        "opportunity_history",
        [
            {
                "opportunity_id": "o1",
                "changed_at": "2024-01-10 09:00:00",
                "stage_name": "Won",
                "amount": "100",
                "close_date": "2024-01-10",
            }
        ],
    )
    write_table(raw, "products", [{"product_id": "p1", "product_name": "Core"}])
    write_table(
        raw,
        "opportunity_line_items",
        [
            {
                "line_item_id": "li1",
                "opportunity_id": "o1",
                "product_id": "p1",
                "quantity": "2",
                "unit_price": "10",
            }
        ],
    )
    write_table(
        raw,
        "exchange_rates",
        [{"currency_code": "EUR", "rate_date": "2024-01-08", "rate_to_reporting": "1.1"}],
    )
    with pytest.raises(CrmMetricsError) as failure:
        build(
            tmp_path / "db.duckdb",
            raw_dir=raw,
            progress=False,
            select=["+int_opportunity_line_items_converted"],
            unit_tests=False,
        )
    message = str(failure.value)
    assert "No exchange rate for currency EUR on or before 2024-01-05" in message
    assert "table opportunity_line_items" in message and "li1" in message


# --------------------------------------------------------------------------- the story


def test_demo_tells_the_presales_story(demo_db: Path) -> None:
    """The demo gives the marts something to show: every deliverable in every open stage for
    both outcomes, qualified-out deals, line items on won deals of every product family,
    unknown profiles, a presales manager with several SEs, revenue-generating and other time."""
    cells = query(
        demo_db,
        "select count(distinct stage_name), count(distinct outcome),"
        " count(distinct activity_type) from marts.mart_presales_deliverables",
    )[0]
    assert cells == (5, 2, 4)
    details = dict(
        query(
            demo_db,
            "select outcome_detail, count(*) from marts.mart_presales_deal_effort group by 1",
        )
    )
    assert details.keys() == {"won", "lost", "qualified_out"} and min(details.values()) >= 30
    families = query(
        demo_db, "select count(distinct product_family) from marts.mart_product_bookings"
    )[0][0]
    assert families == 3
    managers = query(demo_db, "select max(direct_report_count) from marts.mart_presales_managers")[
        0
    ][0]
    assert managers >= 3
    shares = query(
        demo_db,
        "select sum(revenue_hours) / sum(hours) from marts.mart_presales_time",
    )[0][0]
    assert 0.5 < shares < 1
