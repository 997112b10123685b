"""The activity, lead-funnel and presales marts on the bundled demo data.

Two kinds of checks:
- the story the demo data must tell (reps differ in how many dials a connect takes, lead
  sources differ in how often a lead becomes an opportunity), read from the marts over the
  whole period;
- an independent recomputation in plain Python from the raw demo CSVs in seeds/demo (no SQL,
  nothing read from the models under test): dials, connects and meetings per user by month,
  opportunities sourced per user by month, the lead funnel counts per source by created month,
  the SEs' hours logged per month and their open deals at month end (history replayed).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import query

from crm_metrics.runner import PROJECT_DIR

pytestmark = pytest.mark.slow

DEMO_DIR = PROJECT_DIR / "seeds" / "demo"
MIN_DIALS = 200  # reps compared on dials per connect need enough calls for a stable ratio


def read_csv(table: str) -> list[dict[str, str]]:
    with open(DEMO_DIR / f"{table}.csv", newline="", encoding="utf-8") as handle:
        return [
            {key: (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def timestamp(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def month_of(value: datetime | date) -> date:
    return date(value.year, value.month, 1)


def as_of_date() -> date:
    """The latest of history changed_at, activity activity_at, lead created_at, subscription
    start_date (the raw contract's default "today")."""
    candidates = [timestamp(row["changed_at"]) for row in read_csv("opportunity_history")]
    candidates += [timestamp(row["activity_at"]) for row in read_csv("activities")]
    candidates += [timestamp(row["created_at"]) for row in read_csv("leads")]
    latest = max(value for value in candidates if value is not None).date()
    starts = [date.fromisoformat(row["start_date"]) for row in read_csv("subscriptions")]
    return max([latest, *starts])


def deal_outcomes() -> dict[str, str]:
    """Each deal's final state ('open', 'won', 'lost') from its last history row by changed_at
    (the opportunities row's stage when it has no history)."""
    stages = {}
    for row in read_csv("stages"):
        closed = row["is_closed"].lower() == "true"
        won = row["is_won"].lower() == "true"
        stages[row["stage_name"]] = "won" if won else ("lost" if closed else "open")
    last_row: dict[str, tuple[datetime, str]] = {}
    for row in read_csv("opportunity_history"):
        changed_at = timestamp(row["changed_at"])
        assert changed_at is not None
        previous = last_row.get(row["opportunity_id"])
        if previous is None or changed_at > previous[0]:
            last_row[row["opportunity_id"]] = (changed_at, row["stage_name"])
    outcomes = {}
    for row in read_csv("opportunities"):
        stage = last_row[row["opportunity_id"]][1] if row["opportunity_id"] in last_row else None
        outcomes[row["opportunity_id"]] = stages[stage or row["stage_name"]]
    return outcomes


# --- the story ----------------------------------------------------------------------------------


def test_reps_differ_twofold_in_dials_per_connect(demo_db: Path) -> None:
    rows = query(
        demo_db,
        """
        select user_id, sum(dials), sum(connects)
        from marts.mart_activity_efficiency
        group by 1
        """,
    )
    ratios = {
        user: dials / connects for user, dials, connects in rows if dials >= MIN_DIALS and connects
    }
    assert len(ratios) >= 3
    assert max(ratios.values()) >= 2 * min(ratios.values())


def test_a_rep_who_dials_less_can_source_more_per_dial(demo_db: Path) -> None:
    rows = query(
        demo_db,
        """
        select user_id, sum(dials), sum(opportunities_sourced)
        from marts.mart_activity_efficiency
        group by 1
        having sum(dials) >= 200 and sum(opportunities_sourced) >= 10
        """,
    )
    pairs = [
        (low, high)
        for low in rows
        for high in rows
        if low[1] < high[1] and low[1] / low[2] < high[1] / high[2]
    ]
    assert pairs, "no rep with fewer dials and fewer dials per sourced opportunity"


def test_lead_sources_differ_twofold_in_lead_to_opportunity(demo_db: Path) -> None:
    rows = query(
        demo_db,
        "select lead_source, sum(leads), sum(converted) from marts.mart_lead_funnel group by 1",
    )
    rates = {source: converted / leads for source, leads, converted in rows if leads >= 100}
    assert len(rates) >= 3
    assert max(rates.values()) >= 2 * min(rates.values()) > 0


# --- independent recomputation ------------------------------------------------------------------


def test_dials_connects_meetings_match_the_raw_activities(demo_db: Path) -> None:
    cutoff = as_of_date()
    expected: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in read_csv("activities"):
        at = timestamp(row["activity_at"])
        assert at is not None
        if at.date() > cutoff:
            continue
        counts = expected[(row["user_id"], month_of(at))]
        kind, outcome = row["activity_type"].lower(), row["outcome"].lower()
        if kind == "call":
            counts[0] += 1
            if outcome in ("connected", "meeting_booked"):
                counts[1] += 1
        if kind in ("meeting", "demo"):
            counts[2] += 1
    actual = {
        (user, month): [dials, connects, meetings]
        for user, month, dials, connects, meetings in query(
            demo_db,
            """
            select user_id, period_month, dials, connects, meetings
            from marts.mart_activity_efficiency
            where activity_count > 0
            """,
        )
    }
    assert actual == dict(expected)


def test_opportunities_sourced_match_the_raw_leads(demo_db: Path) -> None:
    outcomes = deal_outcomes()
    first_conversion: dict[tuple[str, str], datetime] = {}
    for row in read_csv("leads"):
        converted_at = timestamp(row["converted_at"])
        deal = row["converted_opportunity_id"]
        if not row["owner_id"] or not deal or converted_at is None or deal not in outcomes:
            continue
        key = (row["owner_id"], deal)
        first_conversion[key] = min(converted_at, first_conversion.get(key, converted_at))
    expected: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0])
    for (owner, deal), converted_at in first_conversion.items():
        counts = expected[(owner, month_of(converted_at))]
        counts[0] += 1
        counts[1] += outcomes[deal] == "won"
    actual = {
        (user, month): [sourced, won]
        for user, month, sourced, won in query(
            demo_db,
            """
            select user_id, period_month, opportunities_sourced, deals_won
            from marts.mart_activity_efficiency
            where opportunities_sourced > 0
            """,
        )
    }
    assert expected and actual == dict(expected)


def test_lead_funnel_counts_match_the_raw_leads(demo_db: Path) -> None:
    outcomes = deal_outcomes()
    expected: dict[tuple[str, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in read_csv("leads"):
        created_at = timestamp(row["created_at"])
        assert created_at is not None
        converted = bool(row["converted_at"] or row["converted_opportunity_id"])
        is_sql = converted or bool(row["sql_at"])
        is_sal = is_sql or bool(row.get("accepted_at"))  # v5: a SAL counts as MQL
        is_mql = is_sal or bool(row["mql_at"])
        won = outcomes.get(row["converted_opportunity_id"]) == "won"
        counts = expected[(row["lead_source"] or "unknown", month_of(created_at))]
        for step, reached in enumerate((True, is_mql, is_sql, converted, won)):
            counts[step] += reached
    actual = {
        (source, month): list(counts)
        for source, month, *counts in query(
            demo_db,
            """
            select lead_source, created_month, leads, mqls, sqls, converted, won
            from marts.mart_lead_funnel
            """,
        )
    }
    assert actual == dict(expected)


def test_se_hours_match_the_raw_activities(demo_db: Path) -> None:
    presales = {row["user_id"] for row in read_csv("users") if row["role"].upper() == "SE"}
    presales |= {row["presales_owner_id"] for row in read_csv("opportunities")}
    presales.discard("")
    minutes: dict[tuple[str, date], float] = defaultdict(float)
    for row in read_csv("activities"):
        at = timestamp(row["activity_at"])
        assert at is not None
        if row["user_id"] in presales:
            minutes[(row["user_id"], month_of(at))] += float(row["duration_minutes"] or 0)
    actual = {
        (user, month): hours
        for user, month, hours in query(
            demo_db,
            "select se_user_id, period_month, hours_logged from marts.mart_presales",
        )
    }
    assert minutes
    for key, total in minutes.items():
        assert actual[key] == pytest.approx(total / 60)
    assert all(hours == 0 for key, hours in actual.items() if key not in minutes)


def test_se_open_deals_at_month_end_match_the_raw_history(demo_db: Path) -> None:
    """State at an instant replayed from the raw history: the stage of the last row with
    changed_at before the next month's start."""
    open_stages = {
        row["stage_name"] for row in read_csv("stages") if row["is_closed"].lower() != "true"
    }
    presales_owner = {
        row["opportunity_id"]: row["presales_owner_id"]
        for row in read_csv("opportunities")
        if row["presales_owner_id"]
    }
    paths: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for row in read_csv("opportunity_history"):
        if row["opportunity_id"] in presales_owner:
            changed_at = timestamp(row["changed_at"])
            assert changed_at is not None
            paths[row["opportunity_id"]].append((changed_at, row["stage_name"]))
    for row in read_csv("opportunities"):
        deal = row["opportunity_id"]
        if deal in presales_owner and deal not in paths:  # no history: one row at created_at
            created_at = timestamp(row["created_at"])
            assert created_at is not None
            paths[deal].append((created_at, row["stage_name"]))
    rows = query(demo_db, "select se_user_id, period_month, open_count from marts.mart_presales")
    months = sorted({month for _user, month, _count in rows})
    expected: dict[tuple[str, date], int] = defaultdict(int)
    for month in months:
        next_start = datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
        for deal, path in paths.items():
            before = [(at, stage) for at, stage in path if at < next_start]
            if before and max(before)[1] in open_stages:
                expected[(presales_owner[deal], month)] += 1
    actual = {(user, month): count for user, month, count in rows if count}
    assert expected and actual == dict(expected)
