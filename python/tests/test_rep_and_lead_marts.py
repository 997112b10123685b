"""The v5 rep and lead marts against an independent recomputation in plain Python from raw files.

mart_rep_daily_activity, mart_conversions_by_title, mart_lead_source_roi and the columns v5
adds to mart_lead_funnel (sals, mql_to_sal, sal_to_sql) and mart_activity_efficiency (emails,
responses, response_rate, meetings_booked, connects_per_meeting, meetings_per_opportunity) are
recomputed from the raw CSV files with the csv module (deals replayed by
test_presales_customer_recompute's RawData) and the rules applied directly. Personas are found
here the plain way: titles split into words, every occurrence of every keyword located,
occurrences overlapping one of a longer keyword dropped; the project does it without
positions, with bar-wrapped words and masking.

- The demo seeds (the session's `demo_db`): every mart and column, row for row.
- One small hand-planted dataset: a deal with two primary contacts (the lowest contact_id by
  code point wins: c10 before c9), a title matching two personas, a keyword inside a longer
  one, spend channels spelled differently from the lead sources (two spellings of a source,
  the smallest by code point taking the spend), an unattributed channel, an email answered at
  a month's last minute, a lead passed to another rep; recomputed and checked by hand.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import test_semantic
from conftest import query
from helpers import build_raw, write_table
from test_foundation import STAGES
from test_presales_customer_recompute import (
    DEMO_DIR,
    EXACT,
    MONEY,
    RawData,
    _month,
    _rows,
    _ts,
    assert_same_rows,
)

from crm_metrics.contract import load_contract

pytestmark = pytest.mark.slow

mf_project = test_semantic.mf_project  # the fixture: `mf query` on a copy of the demo database
mf_query = test_semantic.mf_query

EXECUTIVE = ["chief", "ceo", "cfo", "cto", "cio", "coo", "cro", "founder", "owner", "president"]
PERSONA_RULES = [
    ("executive", EXECUTIVE),
    ("vp", ["vp", "vice president"]),
    ("director", ["director", "head"]),
    ("manager", ["manager", "lead"]),
]  # fmt: skip
WORD = re.compile(r"[^\W_]+")  # a run of letters or digits


# --------------------------------------------------------------------------- personas


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def persona(title: str | None) -> str:
    words = _words(title or "")
    if not words:
        return "unknown"
    matches = []  # (persona, start, end, keyword length)
    for name, keywords in PERSONA_RULES:
        for keyword in keywords:
            wanted = _words(keyword)
            size = len(wanted)
            for start in range(len(words) - size + 1):
                if words[start : start + size] == wanted:
                    matches.append((name, start, start + size, size))
    counting = [
        match
        for match in matches
        if not any(
            other[3] > match[3] and other[1] < match[2] and match[1] < other[2] for other in matches
        )
    ]
    for name, _ in PERSONA_RULES:
        if any(match[0] == name for match in counting):
            return name
    return "individual_contributor"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Vice President of Sales", "vp"),
        ("President and Vice President", "executive"),
        ("CEO & Head of Sales", "executive"),
        ("VP, Sales & Marketing Director", "vp"),
        ("Head of Ops", "director"),
        ("Team Lead", "manager"),
        ("Leadership Coach", "individual_contributor"),
        ("Co-Founder", "executive"),
        ("", "unknown"),
        (" -- ", "unknown"),
        (None, "unknown"),
    ],
)
def test_persona_of_the_recomputation(title: str | None, expected: str) -> None:
    assert persona(title) == expected


# --------------------------------------------------------------------------- recomputation


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


class V5Data:
    """RawData plus the raw leads, contacts, contact roles and marketing spend."""

    def __init__(self, raw: Path) -> None:
        self.base = RawData(raw)
        self.leads = [
            row for row in _rows(raw, "leads") if _ts(row["created_at"]) < self.base.end_of_as_of
        ]
        self.contacts = {row["contact_id"]: row for row in _rows(raw, "contacts")}
        self.roles = _rows(raw, "opportunity_contact_roles")
        self.spend = _rows(raw, "marketing_spend")
        self.opportunities = {row["opportunity_id"]: row for row in _rows(raw, "opportunities")}

    def happened(self, text: str) -> datetime | None:
        moment = _ts(text)
        return moment if moment is not None and moment < self.base.end_of_as_of else None


def expected_daily_activity(data: V5Data) -> dict[tuple, tuple]:
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * 8)
    for activity in data.base.activities:
        row = counts[(activity.user_id, activity.at.date())]
        call, email = activity.activity_type == "call", activity.activity_type == "email"
        row[0] += call
        row[1] += call and activity.outcome in ("connected", "meeting_booked")
        row[2] += email
        row[3] += email and activity.outcome == "replied"
        row[4] += activity.outcome == "meeting_booked"
        row[5] += activity.activity_type in ("meeting", "demo")
    for lead in data.leads:
        converted = data.happened(lead["converted_at"])
        deal = data.base.deals.get(lead["converted_opportunity_id"])
        owner = lead["owner_id"]
        if owner and converted and deal and deal.owner_id and deal.owner_id != owner:
            counts[(owner, converted.date())][6] += 1
    for deal in data.base.deals.values():
        if deal.owner_id and deal.created_at < data.base.end_of_as_of:
            counts[(deal.owner_id, deal.created_at.date())][7] += 1
    return {key: tuple(row) for key, row in counts.items() if any(row)}


def _sourced_deals(data: V5Data, leads: list[dict[str, str]]) -> dict[tuple, datetime]:
    """(user, deal) -> first sourcing instant, as int_user_month_activity dates it."""
    sourced: dict[tuple, datetime] = {}
    for lead in leads:
        deal = data.base.deals.get(lead["converted_opportunity_id"])
        if not lead["owner_id"] or deal is None:
            continue
        at = _ts(lead["converted_at"]) or deal.created_at
        key = (lead["owner_id"], deal.opportunity_id)
        sourced[key] = min(at, sourced.get(key, at))
    return sourced


def expected_efficiency_v5_columns(data: V5Data) -> dict[tuple, tuple]:
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * 7)
    for activity in data.base.activities:
        row = counts[(activity.user_id, _month(activity.at))]
        call, email = activity.activity_type == "call", activity.activity_type == "email"
        row[0] += 1
        row[1] += call and activity.outcome in ("connected", "meeting_booked")
        row[2] += activity.activity_type in ("meeting", "demo")
        row[3] += email
        row[4] += email and activity.outcome == "replied"
        row[5] += activity.outcome == "meeting_booked"
    # leads of every creation date source deals (as int_user_month_activity reads them)
    for (user, _deal), at in _sourced_deals(data, _rows(data.base.raw, "leads")).items():
        if at < data.base.end_of_as_of:
            counts[(user, _month(at))][6] += 1
    expected = {}
    for key, row in counts.items():
        activity_count, connects, meetings, emails, responses, booked, sourced = row
        if activity_count or sourced:
            expected[key] = (
                emails,
                responses,
                _ratio(responses, emails),
                booked,
                _ratio(connects, meetings),
                _ratio(meetings, sourced),
            )
    return expected


def expected_funnel_sal_columns(data: V5Data) -> dict[tuple, tuple]:
    has_sal_data = any(row["accepted_at"] for row in _rows(data.base.raw, "leads"))
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0] * 3)
    for lead in data.leads:
        converted = data.happened(lead["converted_at"]) is not None or (
            not lead["converted_at"] and bool(lead["converted_opportunity_id"])
        )
        is_sql = converted or data.happened(lead["sql_at"]) is not None
        is_sal = is_sql or data.happened(lead["accepted_at"]) is not None
        is_mql = is_sal or data.happened(lead["mql_at"]) is not None
        row = counts[(lead["lead_source"] or "unknown", _month(_ts(lead["created_at"])))]
        row[0] += is_mql
        row[1] += is_sal
        row[2] += is_sql
    if not has_sal_data:
        return {key: (None, None, None) for key in counts}
    return {
        key: (sals, _ratio(sals, mqls), _ratio(sqls, sals))
        for key, (mqls, sals, sqls) in counts.items()
    }


def _deal_persona(data: V5Data, opportunity_id: str) -> str:
    roles = [role for role in data.roles if role["opportunity_id"] == opportunity_id]
    if not roles:
        return "unknown"
    primaries = [role for role in roles if role["is_primary"].lower() in ("true", "1", "t", "yes")]
    contact_id = min(role["contact_id"] for role in (primaries or roles))
    return persona(data.contacts[contact_id]["title"])


def expected_conversions_by_title(data: V5Data) -> dict[tuple, tuple]:
    leads: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for lead in data.leads:
        row = leads[persona(lead["title"])]
        row[0] += 1
        row[1] += data.happened(lead["converted_at"]) is not None or (
            not lead["converted_at"] and bool(lead["converted_opportunity_id"])
        )
    has_roles = bool(data.roles)
    deals: dict[str, list] = defaultdict(lambda: [0, 0, Decimal(0)])
    if has_roles:
        for deal in data.base.deals.values():
            if deal.outcome in ("won", "lost"):
                row = deals[_deal_persona(data, deal.opportunity_id)]
                row[0] += deal.outcome == "won"
                row[1] += deal.outcome == "lost"
                row[2] += deal.amount if deal.outcome == "won" else 0
    expected = {}
    for name in set(leads) | set(deals):
        lead_count, converted = leads.get(name, [0, 0])
        if has_roles:
            won, lost, amount = deals.get(name, [0, 0, Decimal(0)])
            deal_columns = (
                won + lost,
                won,
                lost,
                _ratio(won, won + lost),
                _cents(amount / won) if won else None,
            )
        else:
            deal_columns = (None,) * 5
        expected[(name,)] = (lead_count, converted, _ratio(converted, lead_count), *deal_columns)
    return expected


def expected_lead_source_roi(data: V5Data) -> dict[tuple, tuple]:
    as_of_month = _month(data.base.as_of)
    spellings = {lead["lead_source"] or "unknown" for lead in data.leads}
    for deal in data.base.deals.values():
        if deal.created_at < data.base.end_of_as_of:
            spellings.add(data.opportunities[deal.opportunity_id]["lead_source"] or "unknown")
    by_key: dict[str, str] = {}
    for spelling in spellings:
        key = spelling.strip().lower()
        by_key[key] = min(spelling, by_key.get(key, spelling))
    rows: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, 0, 0, Decimal(0)])
    for spend in data.spend:
        month = _month(date.fromisoformat(spend["period_month"][:10]))
        if month <= as_of_month:
            source = by_key.get(spend["channel"].strip().lower(), "unattributed")
            rows[(source, month)][0] += _cents(Decimal(spend["spend"]))
    for lead in data.leads:
        rows[(lead["lead_source"] or "unknown", _month(_ts(lead["created_at"])))][1] += 1
    for deal in data.base.deals.values():
        if deal.created_at >= data.base.end_of_as_of:
            continue
        source = data.opportunities[deal.opportunity_id]["lead_source"] or "unknown"
        rows[(source, _month(deal.created_at))][2] += 1
        if deal.outcome == "won":
            rows[(source, _month(deal.closed_at))][3] += 1
            rows[(source, _month(deal.closed_at))][4] += deal.amount
    has_spend = bool(data.spend)
    expected = {}
    for key, (spend, lead_count, opportunities, won, bookings) in rows.items():
        if not has_spend:
            spend_columns = (None, None, None, None)
        else:
            spend_columns = (
                spend,
                _cents(spend / lead_count) if lead_count else None,
                _cents(spend / won) if won else None,
                float(bookings) / float(spend) if spend else None,
            )
        expected[key] = (
            spend_columns[0],
            lead_count,
            spend_columns[1],
            opportunities,
            won,
            bookings,
            spend_columns[2],
            spend_columns[3],
        )
    return expected


# --------------------------------------------------------------------------- comparison

DAILY_SQL = (
    "select user_id, activity_date, calls, connects, emails, responses, meetings_booked,"
    " meetings_held, leads_passed, opportunities_created from marts.mart_rep_daily_activity"
)
EFFICIENCY_SQL = (
    "select user_id, period_month, emails, responses, response_rate, meetings_booked,"
    " connects_per_meeting, meetings_per_opportunity from marts.mart_activity_efficiency"
)
FUNNEL_SQL = (
    "select lead_source, created_month, sals, mql_to_sal, sal_to_sql from marts.mart_lead_funnel"
)
CONVERSIONS_SQL = (
    "select persona, leads, converted_leads, lead_conversion_rate, closed_deal_count, won_count,"
    " lost_count, win_rate, avg_won_amount from marts.mart_conversions_by_title"
)
ROI_SQL = (
    "select lead_source, period_month, spend, leads, cost_per_lead, opportunities, won_count,"
    " bookings_amount, cost_per_won_deal, bookings_per_spend from marts.mart_lead_source_roi"
)


def assert_all_match(data: V5Data, database: Path) -> None:
    assert_same_rows(query(database, DAILY_SQL), expected_daily_activity(data), 2, [0] * 8)
    assert_same_rows(
        query(database, EFFICIENCY_SQL),
        expected_efficiency_v5_columns(data),
        2,
        [0, 0, EXACT, 0, EXACT, EXACT],
    )
    assert_same_rows(
        query(database, FUNNEL_SQL), expected_funnel_sal_columns(data), 2, [0, EXACT, EXACT]
    )
    assert_same_rows(
        query(database, CONVERSIONS_SQL),
        expected_conversions_by_title(data),
        1,
        [0, 0, EXACT, 0, 0, 0, EXACT, MONEY],
    )
    assert_same_rows(
        query(database, ROI_SQL),
        expected_lead_source_roi(data),
        2,
        [MONEY, 0, MONEY, 0, 0, MONEY, MONEY, EXACT],
    )


def test_demo_matches_recomputation(demo_db: Path) -> None:
    assert_all_match(V5Data(DEMO_DIR), demo_db)


# --------------------------------------------------------------------------- planted dataset

MARTS = [
    "mart_rep_daily_activity",
    "mart_conversions_by_title",
    "mart_lead_source_roi",
    "mart_lead_funnel",
    "mart_activity_efficiency",
    "mart_saas_kpis",
]


def planted_folder(raw: Path) -> Path:
    raw.mkdir(parents=True)
    for table in load_contract().table_names:
        write_table(raw, table, STAGES if table == "stages" else [])
    write_table(
        raw,
        "users",
        [
            {"user_id": "u1", "full_name": "Sam Dev", "role": "SDR"},
            {"user_id": "u2", "full_name": "Ann Lee", "role": "AE"},
        ],
    )
    write_table(
        raw, "accounts", [{"account_id": "a1", "account_name": "Acme", "created_at": "2024-01-01"}]
    )
    deals = [
        # id, owner, lead_source, created_at, closed stage and instant, amount
        ("o1", "u2", "Webinar", "2024-01-10 09:00:00", ("Won", "2024-02-05 10:00:00"), "1000"),
        ("o2", "u2", "partner", "2024-01-11 09:00:00", ("Lost", "2024-01-20 10:00:00"), "400"),
        ("o3", "u1", "", "2024-01-12 09:00:00", ("Won", "2024-01-25 10:00:00"), "300"),
        ("o4", "u2", "Partner", "2024-01-15 09:00:00", None, "50"),
    ]
    opportunities, history = [], []
    for opp, owner, source, created, closed, amount in deals:
        opportunities.append(
            {
                "opportunity_id": opp,
                "account_id": "a1",
                "owner_id": owner,
                "lead_source": source,
                "created_at": created,
                "close_date": "2024-03-31",
                "amount": amount,
                "stage_name": closed[0] if closed else "Qualify",
            }
        )
        history.append(
            {
                "opportunity_id": opp,
                "changed_at": created,
                "stage_name": "Qualify",
                "amount": amount,
                "close_date": "2024-03-31",
            }
        )
        if closed:
            history.append(
                {
                    "opportunity_id": opp,
                    "changed_at": closed[1],
                    "stage_name": closed[0],
                    "amount": amount,
                    "close_date": "2024-03-31",
                }
            )
    write_table(raw, "opportunities", opportunities)
    write_table(raw, "opportunity_history", history)

    def lead(lead_id: str, owner: str, source: str, created: str, title: str, **steps: str):
        return {
            "lead_id": lead_id,
            "owner_id": owner,
            "lead_source": source,
            "created_at": created,
            "title": title,
            **steps,
        }

    write_table(
        raw,
        "leads",
        [
            lead(
                "l1", "u1", "Webinar", "2024-01-02 09:00:00", "Vice President of Sales",
                mql_at="2024-01-03 09:00:00", accepted_at="2024-01-05 09:00:00",
                sql_at="2024-01-06 09:00:00", converted_at="2024-01-10 09:00:00",
                converted_opportunity_id="o1",
            ),
            lead(
                "l2", "u1", "WEBINAR", "2024-01-03 09:00:00", "Team Lead",
                mql_at="2024-01-04 09:00:00", accepted_at="2024-01-05 09:00:00",
            ),
            lead("l3", "u1", "Webinar", "2024-01-04 09:00:00", "Leadership Coach"),
            lead(
                "l4", "u2", "partner", "2024-01-05 09:00:00", "Head of Ops",
                converted_at="2024-01-11 09:00:00", converted_opportunity_id="o2",
            ),
            lead(
                "l5", "u1", "Referral", "2024-01-06 09:00:00", "",
                converted_at="2024-01-12 09:00:00", converted_opportunity_id="o3",
            ),
            lead("l6", "u1", "Partner", "2024-01-07 09:00:00", "CEO & Head of Sales"),
        ],
    )  # fmt: skip
    write_table(
        raw,
        "contacts",
        [
            {"contact_id": "c0", "account_id": "a1", "title": "Engineer"},
            {"contact_id": "c2", "account_id": "a1", "title": "VP, Sales & Marketing Director"},
            {"contact_id": "c3", "account_id": "a1", "title": "Chief of Staff"},
            {"contact_id": "c9", "account_id": "a1", "title": "Director of IT"},
            {"contact_id": "c10", "account_id": "a1", "title": "Chief Revenue Officer"},
        ],
    )
    write_table(
        raw,
        "opportunity_contact_roles",
        [
            {"opportunity_id": "o1", "contact_id": "c9", "role": "buyer", "is_primary": "true"},
            {"opportunity_id": "o1", "contact_id": "c10", "role": "buyer", "is_primary": "true"},
            {"opportunity_id": "o1", "contact_id": "c0", "role": "user", "is_primary": "false"},
            {"opportunity_id": "o2", "contact_id": "c3", "role": "user", "is_primary": "false"},
            {"opportunity_id": "o2", "contact_id": "c2", "role": "user", "is_primary": ""},
        ],
    )
    subscription = {"subscription_id": "s1", "account_id": "a1", "start_date": "2024-01-01"}
    write_table(raw, "subscriptions", [{**subscription, "mrr_amount": "100"}])
    write_table(
        raw,
        "marketing_spend",
        [
            {"period_month": "2024-01-01", "channel": " webinar ", "spend": "300"},
            {"period_month": "2024-01-01", "channel": "Events", "spend": "100"},
            {"period_month": "2024-02-01", "channel": "PARTNER", "spend": "50"},
        ],
    )

    def activity(activity_id: str, user: str, kind: str, outcome: str, at: str):
        return {
            "activity_id": activity_id,
            "user_id": user,
            "activity_type": kind,
            "outcome": outcome,
            "activity_at": at,
        }

    write_table(
        raw,
        "activities",
        [
            activity("t1", "u1", "call", "connected", "2024-01-02 10:00:00"),
            activity("t2", "u1", "call", "no_answer", "2024-01-02 11:00:00"),
            activity("t3", "u1", "email", "replied", "2024-01-02 12:00:00"),
            activity("t4", "u1", "email", "", "2024-01-02 13:00:00"),
            activity("t5", "u1", "email", "replied", "2024-01-31 23:59:59"),
            activity("t6", "u2", "meeting", "completed", "2024-02-01 00:00:00"),
            activity("t7", "u2", "call", "meeting_booked", "2024-02-01 09:00:00"),
            activity("t8", "u2", "rfp", "completed", "2024-02-02 09:00:00"),
        ],
    )
    return raw


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[V5Data, Path]:
    base = tmp_path_factory.mktemp("rep_and_lead_marts")
    raw = planted_folder(base / "raw")
    database = base / "planted.duckdb"
    identities = [
        "assert_mart_rep_daily_activity_matches_activity_efficiency",
        "assert_mart_lead_source_roi_spend_matches_saas_kpis",
    ]
    results = build_raw(database, raw, [f"+{mart}" for mart in MARTS] + identities)
    failed = [(result.name, result.message) for result in results if result.failed]
    assert not failed, failed
    names = {result.name for result in results}
    assert {
        "assert_mart_rep_daily_activity_matches_activity_efficiency",
        "assert_mart_lead_source_roi_spend_matches_saas_kpis",
    } <= names  # the identities ran
    return V5Data(raw), database


def test_planted_input_is_clean(planted) -> None:
    """The recomputation applies the rules for clean files: no planted row may be rejected."""
    _, database = planted
    for table in [
        "opportunities", "opportunity_history", "leads", "activities", "contacts",
        "opportunity_contact_roles", "marketing_spend",
    ]:  # fmt: skip
        rejected = query(
            database,
            f"select count(*) from intermediate.int_{table}_validated"
            " where reject_reason is not null",
        )[0][0]
        assert rejected == 0, table


def test_planted_matches_recomputation(planted) -> None:
    data, database = planted
    assert_all_match(data, database)


def test_planted_conversions_by_hand(planted) -> None:
    _, database = planted
    rows = {row[0]: row[1:] for row in query(database, CONVERSIONS_SQL)}
    assert rows == {
        # l6 "CEO & Head of Sales" (two personas: the first); o1 by c10 of two primaries
        "executive": (1, 0, 0.0, 1, 1, 0, 1.0, Decimal("1000.00")),
        # l1 "Vice President of Sales"; o2 by c2 (no primary; lowest), vp before director
        "vp": (1, 1, 1.0, 1, 0, 1, 0.0, None),
        "director": (1, 1, 1.0, 0, 0, 0, None, None),  # l4 "Head of Ops"
        "manager": (1, 0, 0.0, 0, 0, 0, None, None),  # l2 "Team Lead"
        "individual_contributor": (1, 0, 0.0, 0, 0, 0, None, None),  # "Leadership Coach"
        "unknown": (1, 1, 1.0, 1, 1, 0, 1.0, Decimal("300.00")),  # l5 no title; o3 no role
    }


def test_planted_spend_by_hand(planted) -> None:
    _, database = planted
    rows = query(
        database,
        "select lead_source, period_month, spend from marts.mart_lead_source_roi"
        " where spend > 0 order by 2, 1",
    )
    assert rows == [
        ("WEBINAR", date(2024, 1, 1), Decimal("300.00")),  # 'WEBINAR' < 'Webinar'
        ("unattributed", date(2024, 1, 1), Decimal("100.00")),  # Events: no lead or deal
        ("Partner", date(2024, 2, 1), Decimal("50.00")),  # 'Partner' < 'partner'
    ]


def test_planted_daily_activity_by_hand(planted) -> None:
    _, database = planted
    rows = {(row[0], row[1]): row[2:] for row in query(database, DAILY_SQL)}
    assert rows[("u1", date(2024, 1, 2))] == (2, 1, 2, 1, 0, 0, 0, 0)
    assert rows[("u1", date(2024, 1, 31))] == (0, 0, 1, 1, 0, 0, 0, 0)
    assert rows[("u1", date(2024, 1, 10))] == (0, 0, 0, 0, 0, 0, 1, 0)  # l1 passed to u2
    assert rows[("u2", date(2024, 2, 1))] == (1, 1, 0, 0, 1, 1, 0, 0)
    assert ("u2", date(2024, 2, 2)) not in rows  # only an rfp
    assert ("u2", date(2024, 1, 11)) in rows and rows[("u2", date(2024, 1, 11))][6] == 0


# --------------------------------------------------------------------------- semantic layer


def test_mf_headline_metrics_equal_the_marts(
    mf_project: tuple[Path, Path], demo_db: Path, tmp_path: Path
) -> None:
    """responses by month = the daily mart summed; persona_win_rate by persona and
    cost_per_lead by source and month = the marts' own columns."""
    rows = mf_query(mf_project, tmp_path, "responses", "metric_time__month")
    answered = {row["metric_time__month"][:10]: int(row["responses"] or 0) for row in rows}
    daily = query(
        demo_db,
        "select cast(date_trunc('month', activity_date) as date), sum(responses)"
        " from marts.mart_rep_daily_activity group by 1",
    )
    assert any(total for _, total in daily)
    for month, total in daily:
        assert answered.get(month.isoformat(), 0) == total, month

    rows = mf_query(mf_project, tmp_path, "persona_win_rate", "persona_row__persona")
    answered = {row["persona_row__persona"]: row["persona_win_rate"] for row in rows}
    mart = query(demo_db, "select persona, win_rate from marts.mart_conversions_by_title")
    assert any(rate is not None for _, rate in mart)
    for persona_name, rate in mart:
        if rate is not None:
            assert float(answered[persona_name]) == pytest.approx(rate, abs=1e-9), persona_name

    rows = mf_query(
        mf_project,
        tmp_path,
        "cost_per_lead",
        "metric_time__month,lead_source_month__roi_lead_source",
    )
    answered = {
        (row["metric_time__month"][:10], row["lead_source_month__roi_lead_source"]): row[
            "cost_per_lead"
        ]
        for row in rows
    }
    mart = query(
        demo_db,
        "select period_month, lead_source, spend, leads from marts.mart_lead_source_roi"
        " where leads > 0 and spend > 0",
    )
    assert mart
    for month, source, spend, leads in mart:
        got = float(answered[(month.isoformat(), source)])
        assert got == pytest.approx(float(spend) / leads, abs=1e-6), (month, source)
