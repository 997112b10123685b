"""mart_product_usage, mart_activation, mart_support_load and mart_account_health against an
independent recomputation in plain Python from raw files.

Nothing here reads the project's facts: the raw CSV files are read with the csv module and the
spec's rules applied directly (events and tickets after the end of the as-of date left out, a
close or activation after it not happened yet, activated_at before signed_up_at and closed_at
before created_at nulled, MRR from the subscriptions active on the month's first day converted at
the latest rate on or before start_date). Counts must match exactly, money to the cent, rates
and means within 1e-9.

- The demo seeds (the session's `demo_db`): all four marts, row for row.
- One small hand-planted folder, its rows shuffled, built once with an explicit as-of date:
  activation at exactly 48 hours (and one second more), events exactly 30 and 60 days after
  activation, a churn window ending on the as-of date (and one ending the day after), a product
  user activated before signing up and a ticket closed before it was created (findings: the
  value is nulled, listed once in dq_findings, the row still counts), events, activations,
  tickets and closes after the as-of date, a user and a ticket without an account, priorities
  in other cases and with spaces. The four marts equal the recomputation there too, and the
  boundary rows are checked against hand-worked values.
"""

from __future__ import annotations

import bisect
import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import query
from helpers import write_table
from test_foundation import STAGES
from test_pipeline_recompute import REPORTING_CURRENCY, _as_of_date, _money, _percentile_cont

from crm_metrics.contract import load_contract
from crm_metrics.runner import PROJECT_DIR, run_dbt

pytestmark = pytest.mark.slow

DEMO_DIR = PROJECT_DIR / "seeds" / "demo"
MARTS = ["mart_product_usage", "mart_activation", "mart_support_load", "mart_account_health"]
EXACT = 1e-9
MONEY = 0.005


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


def _ts(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _month(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def _add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _months(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last:
        months.append(_add_months(months[-1], 1))
    return months


@dataclass(frozen=True)
class ProductUser:
    account_id: str | None
    signed_up_at: datetime
    activated_at: datetime | None  # as known on the as-of date


@dataclass(frozen=True)
class Event:
    product_user_id: str
    account_id: str | None
    at: datetime
    event_type: str
    minutes: float | None


@dataclass(frozen=True)
class Ticket:
    account_id: str | None
    created_at: datetime
    closed_at: datetime | None  # as known on the as-of date
    priority: str


class RawData:
    """The raw tables the four marts read, with the contract's and the spec's rules applied."""

    def __init__(self, raw: Path, as_of: date | None = None) -> None:
        self.as_of = as_of or _as_of_date(raw)
        self.as_of_month = _month(self.as_of)
        end = datetime.combine(self.as_of + timedelta(days=1), datetime.min.time())
        accounts = {row["account_id"] for row in _rows(raw, "accounts")}
        deal_accounts = {
            row["opportunity_id"]: row["account_id"] for row in _rows(raw, "opportunities")
        }

        # activities: up to the as-of date; account = its own, else its deal's
        activity_rows = _rows(raw, "activities")
        self.has_activities = bool(activity_rows)
        self.conversations: dict[tuple[str, date], int] = defaultdict(int)
        self.activity_months: set[tuple[str, date]] = set()
        for row in activity_rows:
            at = _ts(row["activity_at"])
            if at >= end:
                continue
            account = row["account_id"] if row["account_id"] in accounts else None
            account = account or deal_accounts.get(row["opportunity_id"])
            if account is None:
                continue
            key = (account, _month(at))
            self.activity_months.add(key)
            kind, outcome = row["activity_type"].lower(), row["outcome"].lower()
            is_connected = kind == "call" and outcome in ("connected", "meeting_booked")
            self.conversations[key] += is_connected or kind in ("meeting", "demo")

        # MRR: converted at the latest rate on or before start_date, active on the 1st
        rates: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for row in _rows(raw, "exchange_rates"):
            rates[row["currency_code"].upper()].append(
                (date.fromisoformat(row["rate_date"]), float(row["rate_to_reporting"]))
            )
        for series in rates.values():
            series.sort()

        def rate(currency: str, day: date) -> float:
            if currency == REPORTING_CURRENCY:
                return 1.0
            series = rates[currency]
            index = bisect.bisect_right([rate_date for rate_date, _ in series], day) - 1
            return series[index][1]

        subscription_rows = _rows(raw, "subscriptions")
        self.has_subscriptions = bool(subscription_rows)
        self.subscriptions = []
        for row in subscription_rows:
            start = date.fromisoformat(row["start_date"])
            stop = date.fromisoformat(row["end_date"]) if row["end_date"] else None
            currency = row["currency_code"].upper() or REPORTING_CURRENCY
            mrr = _money(float(row["mrr_amount"]) * rate(currency, start))
            quantity = float(row["quantity"]) if row.get("quantity") else None
            self.subscriptions.append((row["account_id"], start, stop, mrr, quantity))

        # product users: activated_at before signed_up_at is nulled (a finding)
        self.product_users: dict[str, ProductUser] = {}
        user_accounts: dict[str, str | None] = {}
        for row in _rows(raw, "product_users"):
            signed = _ts(row["signed_up_at"])
            activated = _ts(row["activated_at"])
            if activated is not None and (activated < signed or activated >= end):
                activated = None
            user_accounts[row["product_user_id"]] = row["account_id"] or None
            if signed < end:
                self.product_users[row["product_user_id"]] = ProductUser(
                    row["account_id"] or None, signed, activated
                )

        event_rows = _rows(raw, "usage_events")
        self.has_usage_events = bool(event_rows)
        self.events = [
            Event(
                row["product_user_id"],
                user_accounts.get(row["product_user_id"]),
                _ts(row["event_at"]),
                row["event_type"].lower(),
                float(row["duration_minutes"]) if row["duration_minutes"] else None,
            )
            for row in event_rows
            if _ts(row["event_at"]) < end
        ]

        ticket_rows = _rows(raw, "support_tickets")
        self.has_support_tickets = bool(ticket_rows)
        self.tickets = []
        for row in ticket_rows:
            created, closed = _ts(row["created_at"]), _ts(row["closed_at"])
            if closed is not None and (closed < created or closed >= end):
                closed = None
            if created < end:
                priority = row["priority"].lower()
                self.tickets.append(Ticket(row["account_id"] or None, created, closed, priority))

    def mrr(self, account_id: str, month: date) -> Decimal:
        return sum(
            (
                mrr
                for account, start, stop, mrr, _ in self.subscriptions
                if account == account_id and start <= month and (stop is None or month < stop)
            ),
            Decimal(0),
        )

    def mrr_by_account_month(self) -> dict[tuple[str, date], Decimal]:
        cells: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
        if not self.subscriptions:
            return cells
        first = _month(min(start for _, start, _, _, _ in self.subscriptions))
        for account, start, stop, mrr, _ in self.subscriptions:
            for month in _months(first, self.as_of_month):
                if start <= month and (stop is None or month < stop):
                    cells[(account, month)] += mrr
        return cells


# --------------------------------------------------------------------------- recomputation


def expected_product_usage(data: RawData) -> dict[tuple, tuple]:
    if not data.events:
        return {}
    expected = {}
    end = data.as_of + timedelta(days=1)
    for month in _months(_month(min(event.at for event in data.events)), data.as_of_month):
        events = [event for event in data.events if _month(event.at) == month]
        users = {event.product_user_id for event in events}
        accounts = {event.account_id for event in events if event.account_id is not None}
        user_days = {(event.product_user_id, event.at.date()) for event in events}
        days = (min(_add_months(month, 1), end) - month).days
        dau = len(user_days) / days
        sessions = [event for event in events if event.event_type == "session"]
        minutes = [event.minutes for event in sessions if event.minutes is not None]
        signups = [u for u in data.product_users.values() if _month(u.signed_up_at) == month]
        expected[(month,)] = (
            len(users),
            len(accounts),
            dau,
            len(users),
            dau / len(users) if users else None,
            sum(event.event_type == "login" for event in events),
            len(sessions),
            sum(minutes) / len(minutes) if minutes else None,
            len(signups),
        )
    return expected


def _week(moment: datetime) -> date:
    return moment.date() - timedelta(days=moment.weekday())


def expected_activation(data: RawData) -> dict[tuple, tuple]:
    if not data.product_users:
        return {}
    end = datetime.combine(data.as_of + timedelta(days=1), datetime.min.time())
    events_by_user: dict[str, list[datetime]] = defaultdict(list)
    for event in data.events:
        events_by_user[event.product_user_id].append(event.at)
    cells: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for user_id, user in data.product_users.items():
        cell = cells[_week(user.signed_up_at)]
        cell[0] += 1
        activated = user.activated_at
        if activated is None:
            continue
        cell[1] += 1
        cell[2] += activated - user.signed_up_at <= timedelta(hours=48)
        if activated + timedelta(days=60) < end:
            cell[3] += 1
            window = (activated + timedelta(days=30), activated + timedelta(days=60))
            cell[4] += not any(window[0] < at <= window[1] for at in events_by_user[user_id])
    expected = {}
    week = min(cells)
    while week <= data.as_of:
        new, activated, fast, eligible, churned = cells.get(week, [0, 0, 0, 0, 0])
        churned_30d = churned if data.has_usage_events else None
        expected[(week,)] = (
            new,
            activated,
            fast,
            fast / new if new else None,
            eligible,
            churned_30d,
            churned_30d / eligible if eligible and churned_30d is not None else None,
        )
        week += timedelta(days=7)
    return expected


def expected_support_load(data: RawData, usage: dict[tuple, tuple]) -> dict[tuple, tuple]:
    if not data.tickets:
        return {}
    paying: dict[date, int] = defaultdict(int)
    for (_, month), mrr in data.mrr_by_account_month().items():
        paying[month] += mrr > 0
    expected = {}
    for month in _months(_month(min(t.created_at for t in data.tickets)), data.as_of_month):
        following = datetime.combine(_add_months(month, 1), datetime.min.time())
        opened = [t for t in data.tickets if _month(t.created_at) == month]
        closed = [t for t in data.tickets if t.closed_at and _month(t.closed_at) == month]
        still_open = [
            t
            for t in data.tickets
            if t.created_at < following and not (t.closed_at and t.closed_at < following)
        ]
        hours = [(t.closed_at - t.created_at).total_seconds() / 3600 for t in closed]
        usage_row = usage.get((month,))
        active_accounts = usage_row[1] if usage_row else None
        active_users = usage_row[0] if usage_row else None
        expected[(month,)] = (
            len(opened),
            len(closed),
            len(still_open),
            sum(t.priority in ("high", "urgent") for t in opened),
            _percentile_cont(hours, 0.5) if hours else None,
            active_accounts,
            active_users,
            paying[month],
            len(opened) / active_accounts if active_accounts else None,
            len(opened) / active_users if active_users else None,
            len(opened) / paying[month] if paying[month] else None,
        )
    return expected


def expected_account_health(data: RawData) -> dict[tuple, tuple]:
    mrr = data.mrr_by_account_month()
    users: dict[tuple[str, date], set[str]] = defaultdict(set)
    logins: dict[tuple[str, date], int] = defaultdict(int)
    minutes: dict[tuple[str, date], list[float]] = defaultdict(list)
    for event in data.events:
        if event.account_id is None:
            continue
        key = (event.account_id, _month(event.at))
        users[key].add(event.product_user_id)
        logins[key] += event.event_type == "login"
        if event.event_type == "session" and event.minutes is not None:
            minutes[key].append(event.minutes)
    opened: dict[tuple[str, date], int] = defaultdict(int)
    for ticket in data.tickets:
        if ticket.account_id is not None:
            opened[(ticket.account_id, _month(ticket.created_at))] += 1
    keys = {key for key, value in mrr.items() if value > 0 and key[1] <= data.as_of_month}
    keys |= data.activity_months | set(users) | set(opened)

    expected = {}
    for account, month in keys:
        key = (account, month)
        following = datetime.combine(_add_months(month, 1), datetime.min.time())
        mrr_now = mrr.get(key, Decimal(0)) if data.has_subscriptions else None
        earlier_key = (account, _add_months(month, -3))
        mrr_earlier = mrr.get(earlier_key, Decimal(0)) if data.has_subscriptions else None
        previous_key = (account, _add_months(month, -1))
        conversations = data.conversations.get(key, 0) if data.has_activities else None
        active = len(users.get(key, ())) if data.has_usage_events else None
        high_open = None
        if data.has_support_tickets:
            high_open = sum(
                1
                for t in data.tickets
                if t.account_id == account
                and t.priority in ("high", "urgent")
                and t.created_at < following
                and not (t.closed_at and t.closed_at < following)
            )
        seats_known = [
            quantity
            for sub_account, start, stop, _, quantity in data.subscriptions
            if sub_account == account
            and quantity is not None
            and start <= month
            and (stop is None or month < stop)
        ]
        seats = sum(seats_known) if seats_known else None
        peak = max(
            (len(users.get((account, _add_months(month, -back)), ())) for back in range(12)),
            default=0,
        )
        usage = active / peak if data.has_usage_events and peak else None
        engagement = None
        if data.has_activities:
            engaged = conversations > 0 or data.conversations.get(previous_key, 0) > 0
            engagement = 1.0 if engaged else 0.0
        support = None if high_open is None else (0.0 if high_open > 0 else 1.0)
        revenue = None
        if data.has_subscriptions:
            revenue = 1.0 if mrr_now >= mrr_earlier else float(mrr_now) / float(mrr_earlier)
        components = [c for c in (usage, engagement, support, revenue) if c is not None]
        expected[key] = (
            mrr_now,
            mrr_earlier,
            conversations,
            active,
            logins.get(key, 0) if data.has_usage_events else None,
            sum(minutes[key]) / len(minutes[key]) if minutes.get(key) else None,
            opened.get(key, 0) if data.has_support_tickets else None,
            high_open,
            seats,
            active / seats if active is not None and seats else None,
            usage,
            engagement,
            support,
            revenue,
            100 * sum(components) / len(components) if components else None,
        )
    return expected


# --------------------------------------------------------------------------- comparison

COLUMNS = {
    "mart_product_usage": (
        ["period_month"],
        "active_users, active_accounts, dau, mau, stickiness, logins, sessions, "
        "avg_session_minutes, new_signups",
        [0, 0, EXACT, 0, EXACT, 0, 0, EXACT, 0],
    ),
    "mart_activation": (
        ["signup_week"],
        "new_users, activated_users, activated_48h, activation_velocity, churn_eligible, "
        "churned_30d, new_user_churn_rate",
        [0, 0, 0, EXACT, 0, 0, EXACT],
    ),
    "mart_support_load": (
        ["period_month"],
        "tickets_opened, tickets_closed, open_at_month_end, high_priority_opened, "
        "median_hours_to_close, active_accounts, active_users, paying_accounts, "
        "tickets_per_active_account, tickets_per_active_user, tickets_per_paying_account",
        [0, 0, 0, 0, EXACT, 0, 0, 0, EXACT, EXACT, EXACT],
    ),
    "mart_account_health": (
        ["account_id", "period_month"],
        "mrr, mrr_3_months_earlier, conversations, active_users, logins, avg_session_minutes, "
        "tickets_opened, high_priority_open_at_month_end, seats, seat_utilization, "
        "usage_score, engagement_score, support_score, revenue_score, health_score",
        [MONEY, MONEY, 0, 0, 0, EXACT, 0, 0, EXACT, EXACT, EXACT, EXACT, EXACT, EXACT, EXACT],
    ),
}


def expected_marts(data: RawData) -> dict[str, dict[tuple, tuple]]:
    usage = expected_product_usage(data)
    return {
        "mart_product_usage": usage,
        "mart_activation": expected_activation(data),
        "mart_support_load": expected_support_load(data, usage),
        "mart_account_health": expected_account_health(data),
    }


def assert_mart_matches(database: Path, mart: str, expected: dict[tuple, tuple]) -> None:
    keys, columns, tolerances = COLUMNS[mart]
    rows = query(database, f"select {', '.join(keys)}, {columns} from marts.{mart}")
    actual = {tuple(row[: len(keys)]): tuple(row[len(keys) :]) for row in rows}
    assert len(actual) == len(rows), f"{mart}: duplicate keys"
    missing, extra = set(expected) - set(actual), set(actual) - set(expected)
    assert not missing and not extra, (mart, sorted(missing)[:5], sorted(extra)[:5])
    for key, wanted_row in expected.items():
        for name, value, wanted, tolerance in zip(
            columns.split(", "), actual[key], wanted_row, tolerances, strict=True
        ):
            if wanted is None or value is None:
                assert value is None and wanted is None, (mart, key, name, value, wanted)
            elif tolerance == 0:
                assert value == wanted, (mart, key, name, value, wanted)
            else:
                off = abs(float(value) - float(wanted))
                assert off <= tolerance, (mart, key, name, value, wanted)


# --------------------------------------------------------------------------- the demo


@pytest.fixture(scope="module")
def demo() -> RawData:
    return RawData(DEMO_DIR)


@pytest.mark.parametrize("mart", MARTS)
def test_demo_marts_match_recomputation(demo: RawData, demo_db: Path, mart: str) -> None:
    assert query(demo_db, "select as_of_date from intermediate.int_as_of_date")[0][0] == demo.as_of
    expected = expected_marts(demo)[mart]
    assert expected, f"{mart}: the demo data must exercise the mart"
    assert_mart_matches(demo_db, mart, expected)


# --------------------------------------------------------------------------- planted boundaries

AS_OF = date(2024, 6, 10)
ACCOUNTS = ["a1", "a2", "a3"]
PRODUCT_USERS = [
    # activated exactly 48 h after signup; events exactly 30 days after activation (outside
    # the window) and after it: churned
    {
        "product_user_id": "pu1",
        "account_id": "a1",
        "signed_up_at": "2024-03-01 09:00:00",
        "activated_at": "2024-03-03 09:00:00",
    },
    # activated 48 h and 1 s after signup; an event exactly 60 days after activation: retained
    {
        "product_user_id": "pu2",
        "account_id": "a1",
        "signed_up_at": "2024-03-02 10:00:00",
        "activated_at": "2024-03-04 10:00:01",
    },
    # churn window ends 2024-06-10 00:00, on the as-of date: eligible (and churned)
    {
        "product_user_id": "pu3",
        "account_id": "a2",
        "signed_up_at": "2024-04-09 00:00:00",
        "activated_at": "2024-04-11 00:00:00",
    },
    # churn window ends 2024-06-11 00:00, the day after the as-of date: not eligible
    {
        "product_user_id": "pu4",
        "account_id": "a2",
        "signed_up_at": "2024-04-10 00:00:00",
        "activated_at": "2024-04-12 00:00:00",
    },
    # activated before signing up: a finding, activated_at nulled, the user still counts
    {
        "product_user_id": "pu5",
        "account_id": "",
        "signed_up_at": "2024-05-01 12:00:00",
        "activated_at": "2024-04-30 12:00:00",
    },
    # signed up after the as-of date: left out
    {
        "product_user_id": "pu6",
        "account_id": "a3",
        "signed_up_at": "2024-06-12 08:00:00",
        "activated_at": "",
    },
    # activated after the as-of date: not activated yet
    {
        "product_user_id": "pu7",
        "account_id": "a1",
        "signed_up_at": "2024-05-15 08:00:00",
        "activated_at": "2024-06-11 08:00:00",
    },
]
USAGE_EVENTS = [
    ("e01", "pu1", "2024-03-03 09:00:00", "login", ""),
    ("e02", "pu1", "2024-04-02 09:00:00", "session", "30"),
    ("e03", "pu1", "2024-05-20 15:00:00", "feature", ""),
    ("e04", "pu2", "2024-03-04 10:00:01", "Session", "12.5"),
    ("e05", "pu2", "2024-05-03 10:00:01", "login", ""),
    ("e06", "pu2", "2024-05-03 11:00:00", "session", ""),
    ("e07", "pu3", "2024-04-11 00:00:00", "LOGIN", ""),
    ("e08", "pu4", "2024-05-13 00:00:00", "session", "45"),
    ("e09", "pu5", "2024-05-02 08:00:00", "session", ""),
    ("e10", "pu5", "2024-05-02 09:00:00", "login", ""),
    ("e11", "pu6", "2024-06-12 09:00:00", "login", ""),
    ("e12", "pu7", "2024-06-10 23:59:59", "feature", ""),
    ("e13", "pu1", "2024-06-10 08:00:00", "login", ""),
]
SUPPORT_TICKETS = [
    # (ticket_id, account_id, created_at, closed_at, priority)
    ("t1", "a1", "2024-03-05 10:00:00", "2024-03-06 10:00:00", "high"),
    ("t2", "a1", "2024-04-20 10:00:00", "", "URGENT"),
    ("t3", "a2", "2024-04-01 00:00:00", "2024-05-01 00:00:00", "normal"),
    # closed before it was created: a finding, closed_at nulled, the ticket is open
    ("t4", "", "2024-05-10 10:00:00", "2024-05-09 10:00:00", "low"),
    # closed after the as-of date: open on it
    ("t5", "a3", "2024-06-09 10:00:00", "2024-06-12 10:00:00", " High "),
    # created after the as-of date: left out
    ("t6", "a1", "2024-06-15 10:00:00", "", "high"),
    ("t7", "a2", "2024-03-31 23:59:59", "2024-04-01 00:00:01", "normal"),
]


def planted_folder(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rows: dict[str, list[dict[str, str]]] = {table: [] for table in load_contract().table_names}
    rows["stages"] = STAGES
    rows["users"] = [{"user_id": "u1", "full_name": "Ada Rep", "role": "AE"}]
    rows["accounts"] = [
        {"account_id": account, "account_name": account, "created_at": "2023-12-01 00:00:00"}
        for account in ACCOUNTS
    ]
    rows["opportunities"] = [
        {
            "opportunity_id": "o1",
            "account_id": "a2",
            "owner_id": "u1",
            "created_at": "2024-01-05 00:00:00",
            "close_date": "2024-09-30",
            "amount": "1000",
            "stage_name": "Qualify",
        }
    ]
    rows["activities"] = [
        {
            "activity_id": "c1",
            "user_id": "u1",
            "activity_type": "call",
            "outcome": "connected",
            "activity_at": "2024-03-05 10:00:00",
            "account_id": "a1",
        },
        # no account: its deal's (a2)
        {
            "activity_id": "c2",
            "user_id": "u1",
            "activity_type": "meeting",
            "activity_at": "2024-04-10 10:00:00",
            "opportunity_id": "o1",
        },
        {
            "activity_id": "c3",
            "user_id": "u1",
            "activity_type": "email",
            "activity_at": "2024-05-02 10:00:00",
            "account_id": "a3",
        },
    ]
    rows["subscriptions"] = [
        {
            "subscription_id": "s1",
            "account_id": "a1",
            "start_date": "2024-01-01",
            "mrr_amount": "100",
            "quantity": "10",
        },
        {
            "subscription_id": "s2",
            "account_id": "a1",
            "start_date": "2024-04-15",
            "mrr_amount": "50",
            "quantity": "5",
        },
        {
            "subscription_id": "s3",
            "account_id": "a2",
            "start_date": "2024-02-01",
            "end_date": "2024-05-01",
            "mrr_amount": "200",
        },
    ]
    rows["product_users"] = PRODUCT_USERS
    rows["usage_events"] = [
        dict(
            zip(
                ("event_id", "product_user_id", "event_at", "event_type", "duration_minutes"),
                e,
                strict=True,
            )
        )
        for e in USAGE_EVENTS
    ]
    rows["support_tickets"] = [
        dict(
            zip(("ticket_id", "account_id", "created_at", "closed_at", "priority"), t, strict=True)
        )
        for t in SUPPORT_TICKETS
    ]
    shuffler = random.Random(35)
    for table, table_rows in rows.items():
        table_rows = list(table_rows)
        shuffler.shuffle(table_rows)  # file order means nothing
        write_table(folder, table, table_rows)
    return folder


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[RawData, Path]:
    folder = tmp_path_factory.mktemp("planted_product")
    raw = planted_folder(folder / "raw")
    database = folder / "planted.duckdb"
    run_dbt(
        [
            "build",
            "--exclude",
            "resource_type:seed",
            "resource_type:unit_test",
            "--select",
            *[f"+{mart}" for mart in MARTS],
            "+dq_findings",
            "--indirect-selection",
            "cautious",
        ],
        database=database,
        vars={"raw_dir": str(raw), "as_of_date": AS_OF.isoformat()},
        progress=False,
    )
    return RawData(raw, AS_OF), database


@pytest.mark.parametrize("mart", MARTS)
def test_planted_marts_match_recomputation(planted: tuple[RawData, Path], mart: str) -> None:
    data, database = planted
    expected = expected_marts(data)[mart]
    assert expected, mart
    assert_mart_matches(database, mart, expected)


def test_planted_activation_boundaries_hand_worked(planted: tuple[RawData, Path]) -> None:
    _, database = planted
    rows = query(
        database,
        "select signup_week, new_users, activated_users, activated_48h, churn_eligible,"
        " churned_30d from marts.mart_activation where new_users > 0 order by 1",
    )
    assert rows == [
        # pu1 (48 h: counts; event at exactly +30 days: churned), pu2 (48 h 1 s; event at
        # exactly +60 days: retained)
        (date(2024, 2, 26), 2, 2, 1, 2, 1),
        # pu3 (window ends on the as-of date: eligible, churned), pu4 (ends the day after)
        (date(2024, 4, 8), 2, 2, 2, 1, 1),
        # pu5: activated before signup, nulled: a new user, not activated
        (date(2024, 4, 29), 1, 0, 0, 0, 0),
        # pu7: activated after the as-of date: not yet
        (date(2024, 5, 13), 1, 0, 0, 0, 0),
    ]


def test_planted_support_and_health_hand_worked(planted: tuple[RawData, Path]) -> None:
    _, database = planted
    # t4 (closed before created: nulled) and t5 (closed after the as-of date) are open in June
    assert query(
        database,
        "select period_month, tickets_opened, tickets_closed, open_at_month_end,"
        " high_priority_opened from marts.mart_support_load order by 1",
    ) == [
        (date(2024, 3, 1), 2, 1, 1, 1),
        (date(2024, 4, 1), 2, 1, 2, 1),
        (date(2024, 5, 1), 1, 1, 2, 0),
        (date(2024, 6, 1), 1, 0, 3, 1),
    ]
    # a1: t2 (urgent) open from April; usage peak 2 users (March); no usage before March (usage
    # null: the mean of engagement, support and revenue); a connected call in March engages
    # March and April; MRR 100, then 150 from May (s2 starts mid-April)
    assert query(
        database,
        "select period_month, mrr, active_users, high_priority_open_at_month_end, seats,"
        " health_score from marts.mart_account_health where account_id = 'a1' order by 1",
    ) == [
        (date(2024, 1, 1), Decimal("100.00"), 0, 0, 10.0, 100 * 2 / 3),
        (date(2024, 2, 1), Decimal("100.00"), 0, 0, 10.0, 100 * 2 / 3),
        (date(2024, 3, 1), Decimal("100.00"), 2, 0, 10.0, 100.0),
        (date(2024, 4, 1), Decimal("100.00"), 1, 1, 10.0, 100 * 2.5 / 4),
        (date(2024, 5, 1), Decimal("150.00"), 2, 1, 15.0, 100 * 2 / 4),
        (date(2024, 6, 1), Decimal("150.00"), 2, 1, 15.0, 100 * 2 / 4),
    ]


@pytest.mark.parametrize(
    ("table", "key", "column", "finding", "accepted", "null_column"),
    [
        (
            "product_users",
            "pu5",
            "activated_at",
            "activated_before_signup",
            "int_product_users_accepted",
            "product_user_id",
        ),
        (
            "support_tickets",
            "t4",
            "closed_at",
            "closed_before_created",
            "int_support_tickets_accepted",
            "ticket_id",
        ),
    ],
)
def test_planted_finding_nulls_the_value_and_keeps_the_row(
    planted: tuple[RawData, Path],
    table: str,
    key: str,
    column: str,
    finding: str,
    accepted: str,
    null_column: str,
) -> None:
    _, database = planted
    assert query(
        database, f"select {column} from intermediate.{accepted} where {null_column} = ?", [key]
    ) == [(None,)]
    listed = query(
        database,
        "select row_key, column_name, finding from data_quality.dq_findings"
        " where table_name = ? order by 1, 2, 3",
        [table],
    )
    # listed once, with its finding and not also as unparseable
    assert listed == [(key, column, finding)]
    # still used: pu5 is week 2024-04-29's new user, t4 is open in May and June (both checked
    # in the hand-worked tests above)
