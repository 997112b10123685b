"""Pipeline marts against an independent recomputation in plain Python.

A generated dataset of 1,200 deals (history rows shuffled once more with a fixed seed) is built
once (conftest's `generated_deals`, shared with test_presales_customer_recompute.py); the
funnel, stage durations, win-rate month counts, monthly flow and the trend at month ends are
then recomputed from the raw CSV files with the csv module, walking each deal's history sorted
by changed_at and applying the raw contract's rules directly (stages decide open / won / lost,
null amounts carry forward, amounts convert at the latest rate on or before the changed_at
date, rows after the as-of date are left out). Counts must match exactly, amounts within 0.01
per row, days and rates within 1e-6.
"""

from __future__ import annotations

import bisect
import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import query

REPORTING_CURRENCY = "USD"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class State:
    changed_at: datetime
    stage_name: str
    stage_order: int
    state: str  # open, won, lost
    amount: Decimal | None


@dataclass(frozen=True)
class Deal:
    opportunity_id: str
    segment: str
    created_at: datetime
    states: list[State]

    @property
    def outcome(self) -> str:
        return self.states[-1].state


# --------------------------------------------------------------------------- raw input


def _read(raw: Path, table: str) -> list[dict[str, str]]:
    with (raw / f"{table}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.strip())


def _money(value: float) -> Decimal:
    """Round half away from zero to cents, as the warehouse's round(x, 2)."""
    cents = math.floor(abs(value) * 100 + 0.5)
    return Decimal(int(math.copysign(cents, value))) / 100


def _as_of_date(raw: Path) -> date:
    """Latest date of history changed_at, deal created_at, activity_at, lead created_at and
    subscription start_date (the default as-of date)."""
    latest = [
        max(_ts(row[column]).date() for row in _read(raw, table) if row[column].strip())
        for table, column in [
            ("opportunity_history", "changed_at"),
            ("opportunities", "created_at"),
            ("activities", "activity_at"),
            ("leads", "created_at"),
        ]
    ]
    latest.append(max(date.fromisoformat(row["start_date"]) for row in _read(raw, "subscriptions")))
    return max(latest)


def load_deals(raw: Path) -> tuple[list[Deal], dict[str, tuple[int, str]], date]:
    stages: dict[str, tuple[int, str]] = {}
    for row in _read(raw, "stages"):
        is_closed = row["is_closed"].strip().lower() == "true"
        is_won = row["is_won"].strip().lower() == "true"
        state = "won" if is_won else ("lost" if is_closed else "open")
        stages[row["stage_name"].strip()] = (int(row["stage_order"]), state)

    rates: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for row in _read(raw, "exchange_rates"):
        rates[row["currency_code"].strip().upper()].append(
            (date.fromisoformat(row["rate_date"]), float(row["rate_to_reporting"]))
        )
    for series in rates.values():
        series.sort()

    def convert(amount: float, currency: str, day: date) -> Decimal:
        if currency == REPORTING_CURRENCY:
            return _money(amount)
        series = rates[currency]
        index = bisect.bisect_right([rate_date for rate_date, _ in series], day) - 1
        assert index >= 0, f"no {currency} rate on or before {day}"
        return _money(amount * series[index][1])

    segments = {}
    for row in _read(raw, "accounts"):
        segment = row["segment"].strip().upper()
        segments[row["account_id"]] = segment if segment in ("SMB", "MID", "ENT") else "unknown"

    as_of = _as_of_date(raw)
    end_of_as_of = datetime.combine(as_of + timedelta(days=1), datetime.min.time())

    history: dict[str, dict[datetime, set[tuple[str, str]]]] = defaultdict(lambda: defaultdict(set))
    for row in _read(raw, "opportunity_history"):
        history[row["opportunity_id"]][_ts(row["changed_at"])].add(
            (row["stage_name"].strip(), row["amount"].strip())
        )

    deals = []
    for row in _read(raw, "opportunities"):
        opportunity_id = row["opportunity_id"]
        currency = row["currency_code"].strip().upper() or REPORTING_CURRENCY
        created_at = _ts(row["created_at"])
        rows = [
            (changed_at, *next(iter(values)))
            for changed_at, values in history.get(opportunity_id, {}).items()
            if len(values) == 1  # exact duplicates collapse; differing rows are ambiguous
        ]
        if opportunity_id not in history:
            rows = [(created_at, row["stage_name"].strip(), row["amount"].strip())]
        states: list[State] = []
        last_amount: float | None = None
        for changed_at, stage_name, amount in sorted(rows):
            if changed_at >= end_of_as_of:
                continue
            if amount:
                last_amount = float(amount)
            order, state = stages[stage_name]
            converted = (
                None if last_amount is None else convert(last_amount, currency, changed_at.date())
            )
            states.append(State(changed_at, stage_name, order, state, converted))
        if states:
            deals.append(Deal(opportunity_id, segments[row["account_id"]], created_at, states))
    return deals, stages, as_of


# --------------------------------------------------------------------------- recomputation


def _month(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def _percentile_cont(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def expected_funnel(deals: list[Deal], stages: dict[str, tuple[int, str]]) -> dict:
    open_stages = {name: order for name, (order, state) in stages.items() if state == "open"}
    top = max(open_stages.values())
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for deal in deals:
        open_orders = [s.stage_order for s in deal.states if s.state == "open"]
        if not open_orders:
            continue  # never in an open stage: not in the funnel
        depth = top if deal.outcome == "won" else max(open_orders)
        for name, order in open_stages.items():
            if order > depth:
                continue
            key = (name, deal.segment, _month(deal.created_at))
            if deal.outcome == "open":
                counts[key][3] += 1
                continue
            counts[key][0] += 1
            counts[key][1] += deal.outcome == "won" or depth > order
            counts[key][2] += deal.outcome == "won"
    return {key: tuple(value) for key, value in counts.items()}


def expected_stage_duration(deals: list[Deal], stages: dict[str, tuple[int, str]]) -> dict:
    days: dict[tuple[str, str], list[float]] = defaultdict(list)
    for deal in deals:
        if deal.outcome == "open":
            continue
        visits: list[tuple[str, datetime]] = []
        for state in deal.states:
            if not visits or visits[-1][0] != state.stage_name:
                visits.append((state.stage_name, state.changed_at))
        per_stage: dict[str, float] = defaultdict(float)
        for (stage_name, entered_at), (_, exited_at) in pairwise(visits):
            if stages[stage_name][1] == "open":
                per_stage[stage_name] += (exited_at - entered_at).total_seconds() / 86400
        for stage_name, total in per_stage.items():
            days[(stage_name, deal.outcome)].append(total)
    result = {}
    for key, values in days.items():
        result[key] = (
            len(values),
            sum(values) / len(values),
            _percentile_cont(values, 0.5),
            _percentile_cont(values, 0.75),
        )
    return result


def expected_close_months(deals: list[Deal]) -> dict[date, tuple[int, int]]:
    counts: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for deal in deals:
        if deal.outcome == "open":
            continue
        closed_at = None
        previous = None
        for state in deal.states:
            if state.state != "open" and (previous is None or previous.state == "open"):
                closed_at = state.changed_at
            previous = state
        counts[_month(closed_at)][0 if deal.outcome == "won" else 1] += 1
    return {month: tuple(value) for month, value in counts.items()}


def _state_at(deal: Deal, instant: datetime) -> State | None:
    """The deal's state after all its rows with changed_at < instant."""
    current = None
    for state in deal.states:
        if state.changed_at >= instant:
            break
        current = state
    return current


def _amount(value: Decimal | None) -> Decimal:
    return value if value is not None else Decimal(0)


def expected_monthly_flow(deals: list[Deal], as_of: date) -> dict[date, dict[str, object]]:
    first = _month(min(state.changed_at for deal in deals for state in deal.states))
    months = [first]
    while months[-1] < _month(as_of):
        months.append(_next_month(months[-1]))
    flow = {}
    for month in months:
        start = datetime.combine(month, datetime.min.time())
        end = datetime.combine(_next_month(month), datetime.min.time())
        row: dict[str, object] = defaultdict(int)
        for name, instant in (("start", start), ("end", end)):
            row[f"open_count_{name}"] = 0
            row[f"open_amount_{name}"] = Decimal(0)
            for deal in deals:
                state = _state_at(deal, instant)
                if state is not None and state.state == "open":
                    row[f"open_count_{name}"] += 1
                    row[f"open_amount_{name}"] += _amount(state.amount)
        for key in ("created", "reopened", "won", "lost"):
            row[f"{key}_amount"] = Decimal(0)
        row["amount_change"] = Decimal(0)
        for deal in deals:
            previous = None
            for state in deal.states:
                if start <= state.changed_at < end:
                    if previous is None:
                        row["created_count"] += 1
                        row["created_amount"] += _amount(state.amount)
                        if state.state != "open":
                            row[f"{state.state}_count"] += 1
                            row[f"{state.state}_amount"] += _amount(state.amount)
                    elif previous.state == "open" and state.state != "open":
                        row[f"{state.state}_count"] += 1
                        row[f"{state.state}_amount"] += _amount(previous.amount)
                    elif previous.state != "open" and state.state == "open":
                        row["reopened_count"] += 1
                        row["reopened_amount"] += _amount(state.amount)
                    elif previous.state == "open" and state.state == "open":
                        row["amount_change"] += _amount(state.amount) - _amount(previous.amount)
                previous = state
        row["net_flow_count"] = (
            row["created_count"] + row["reopened_count"] - row["won_count"] - row["lost_count"]
        )
        flow[month] = dict(row)
    return flow


def expected_trend_at_month_ends(
    deals: list[Deal], months: list[date], as_of: date
) -> dict[tuple[date, str], tuple[int, Decimal]]:
    trend: dict[tuple[date, str], list] = {}
    for month in months:
        last_day = min(_next_month(month) - timedelta(days=1), as_of)
        instant = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
        for deal in deals:
            state = _state_at(deal, instant)
            if state is not None and state.state == "open":
                cell = trend.setdefault((last_day, state.stage_name), [0, Decimal(0)])
                cell[0] += 1
                cell[1] += _amount(state.amount)
    return {key: (count, amount) for key, (count, amount) in trend.items()}


# --------------------------------------------------------------------------- the test


@pytest.fixture(scope="module")
def built(generated_deals: tuple[Path, Path]) -> tuple[Path, Path]:
    # conftest's generated_deals, built once for this module and the presales recomputation
    return generated_deals


@pytest.fixture(scope="module")
def recomputed(built: tuple[Path, Path]) -> tuple[list[Deal], dict, date]:
    raw, database = built
    # The recomputation applies the contract's rules for a clean file; the generated data must
    # therefore have no rejected rows (otherwise this test would need the reject rules too).
    rejected = query(
        database,
        "select (select count(*) from intermediate.int_opportunities_validated"
        " where reject_reason is not null)"
        " + (select count(*) from intermediate.int_opportunity_history_validated"
        " where reject_reason is not null)",
    )[0][0]
    assert rejected == 0
    deals, stages, as_of = load_deals(raw)
    assert len(deals) >= 1000
    assert query(database, "select as_of_date from intermediate.int_as_of_date")[0][0] == as_of
    return deals, stages, as_of


@pytest.mark.slow
def test_funnel_matches_recomputation(built, recomputed) -> None:
    deals, stages, _ = recomputed
    expected = expected_funnel(deals, stages)
    rows = query(
        built[1],
        "select stage_name, segment, created_month, reached_count, advanced_count, won_count,"
        " open_count, stage_conversion_rate, win_rate_from_stage"
        " from marts.mart_funnel_conversion",
    )
    actual = {tuple(row[:3]): tuple(row[3:7]) for row in rows}
    assert len(actual) == len(rows)
    assert actual == expected
    for row in rows:
        reached, advanced, won = row[3], row[4], row[5]
        if reached == 0:
            assert row[7] is None and row[8] is None
        else:
            assert row[7] == pytest.approx(advanced / reached, abs=1e-9)
            assert row[8] == pytest.approx(won / reached, abs=1e-9)


@pytest.mark.slow
def test_stage_duration_matches_recomputation(built, recomputed) -> None:
    deals, stages, _ = recomputed
    expected = expected_stage_duration(deals, stages)
    rows = query(
        built[1],
        "select stage_name, outcome, deal_count, avg_days, median_days, p75_days,"
        " lost_to_won_ratio from marts.mart_stage_duration",
    )
    actual = {(row[0], row[1]): row[2:6] for row in rows}
    assert set(actual) == set(expected)
    for key, (count, avg, median, p75) in expected.items():
        assert actual[key][0] == count, key
        assert actual[key][1:] == pytest.approx((avg, median, p75), abs=1e-6), key
    for stage_name, outcome, *_, ratio in rows:
        won, lost = expected.get((stage_name, "won")), expected.get((stage_name, "lost"))
        if won and lost:
            assert ratio == pytest.approx(lost[1] / won[1], abs=1e-6), (stage_name, outcome)
        else:
            assert ratio is None


@pytest.mark.slow
def test_win_rate_close_months_match_recomputation(built, recomputed) -> None:
    deals, _, _ = recomputed
    expected = expected_close_months(deals)
    rows = query(
        built[1],
        "select period_month, sum(won_count), sum(lost_count) from marts.mart_win_rate group by 1",
    )
    assert {row[0]: (int(row[1]), int(row[2])) for row in rows} == expected


@pytest.mark.slow
def test_monthly_flow_matches_recomputation(built, recomputed) -> None:
    deals, _, as_of = recomputed
    expected = expected_monthly_flow(deals, as_of)
    columns = [
        "open_count_start",
        "open_amount_start",
        "created_count",
        "created_amount",
        "reopened_count",
        "reopened_amount",
        "won_count",
        "won_amount",
        "lost_count",
        "lost_amount",
        "amount_change",
        "open_count_end",
        "open_amount_end",
        "net_flow_count",
    ]
    rows = query(
        built[1],
        f"select period_start, {', '.join(columns)} from marts.mart_pipeline_flow"
        " where grain = 'month' order by period_start",
    )
    assert [row[0] for row in rows] == sorted(expected)
    # the data must exercise every event kind, or the comparison proves little
    assert all(sum(row[columns.index(c) + 1] for row in rows) > 0 for c in columns[2:11:2])
    for row in rows:
        want = expected[row[0]]
        for column, value in zip(columns, row[1:], strict=True):
            if column.endswith("_count"):
                assert value == want[column], (row[0], column)
            else:
                assert abs(value - want[column]) <= CENT, (row[0], column, value, want[column])


@pytest.mark.slow
def test_trend_at_month_ends_matches_recomputation(built, recomputed) -> None:
    deals, stages, as_of = recomputed
    months = [
        row[0]
        for row in query(
            built[1],
            "select period_start from marts.mart_pipeline_flow where grain = 'month'",
        )
    ]
    expected = expected_trend_at_month_ends(deals, months, as_of)
    open_stage_count = sum(state == "open" for _, state in stages.values())
    rows = query(
        built[1],
        "select snapshot_date, stage_name, open_count, open_amount from marts.mart_pipeline_trend",
    )
    days = {row[0] for row in rows}
    assert len(rows) == len(days) * open_stage_count  # dense: every day x open stage
    month_ends = {day for day, _ in expected} | {
        min(_next_month(month) - timedelta(days=1), as_of) for month in months
    }
    for day, stage_name, count, amount in rows:
        if day not in month_ends:
            continue
        want_count, want_amount = expected.get((day, stage_name), (0, Decimal(0)))
        assert count == want_count, (day, stage_name)
        assert abs(amount - want_amount) <= CENT, (day, stage_name)
