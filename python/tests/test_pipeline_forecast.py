"""The risk and forecast marts against a plain-Python replay of deal history.

Expected values are recomputed here, with plain Python loops, from the per-row deal states of
intermediate.int_opportunity_states (one row per history row: changed_at, state, stage, amount,
close date) and core.fct_opportunities / dim_stages, never read from the marts under test:
- the state of every deal at each month start (rows with changed_at before it) gives
  mart_pipeline_velocity.open_count and mart_forecast_accuracy's crm_probability forecast;
- the trailing-12-month window [start - 12 months, start) gives the velocity win rate;
- slippage totals by month; strike-zone probabilities and sources.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from conftest import query
from helpers import month_of, next_month

pytestmark = pytest.mark.slow

CENT = Decimal("0.01")


def months_back(value: date, count: int) -> date:
    index = value.year * 12 + value.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def money(value: Decimal | float | int | None) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def deal_paths(db: Path) -> dict[str, list[tuple]]:
    rows = query(
        db,
        "select opportunity_id, changed_at, state, stage_name, amount, close_date, is_close "
        "from intermediate.int_opportunity_states order by opportunity_id, changed_at",
    )
    paths: dict[str, list[tuple]] = defaultdict(list)
    for opportunity_id, *rest in rows:
        paths[opportunity_id].append(tuple(rest))
    return paths


def state_at(path: list[tuple], instant: datetime) -> tuple | None:
    """The deal's last row with changed_at < instant (None before its creation)."""
    position = bisect_left([row[0] for row in path], instant)
    return path[position - 1] if position else None


def closed_at_before(path: list[tuple], instant: datetime) -> datetime | None:
    closes = [row[0] for row in path if row[0] < instant and row[5]]
    return max(closes) if closes else None


def test_velocity_and_accuracy_replay(demo_db: Path) -> None:
    paths = deal_paths(demo_db)
    probabilities = dict(
        query(demo_db, "select stage_name, default_probability from core.dim_stages")
    )
    as_of_date = query(demo_db, "select as_of_date from intermediate.int_as_of_date")[0][0]
    velocity = {
        row[0]: row[1:]
        for row in query(
            demo_db,
            "select period_month, open_count, trailing_won_count, trailing_closed_count "
            "from marts.mart_pipeline_velocity",
        )
    }
    accuracy = {
        row[0]: row[1:]
        for row in query(
            demo_db,
            "select period_month, open_count, expected_bookings from marts.mart_forecast_accuracy "
            "where method = 'crm_probability'",
        )
    }
    first_month = month_of(min(path[0][0] for path in paths.values()))
    assert min(velocity) == first_month and max(velocity) == month_of(as_of_date)
    assert len(velocity) == len(set(velocity))
    assert max(accuracy) == months_back(month_of(as_of_date), 1)

    month = first_month
    checked = 0
    while month <= month_of(as_of_date):
        start = datetime(month.year, month.month, 1)
        window_start = datetime.combine(months_back(month, 12), datetime.min.time())
        open_count = won = closed = forecast_count = 0
        expected = Decimal(0)
        for path in paths.values():
            row = state_at(path, start)
            if row is None:
                continue
            _, state, stage_name, amount, close_date, _ = row
            if state == "open":
                open_count += 1
                if close_date is None or close_date < next_month(month):
                    forecast_count += 1
                    expected += money(
                        Decimal(str(amount or 0)) * Decimal(str(probabilities[stage_name]))
                    )
            else:
                closed_at = closed_at_before(path, start)
                if closed_at is not None and closed_at >= window_start:
                    closed += 1
                    won += state == "won"
        assert velocity[month] == (open_count, won, closed), month
        if month < month_of(as_of_date):
            assert accuracy[month][0] == forecast_count, month
            # per-deal rounding to cents in the mart: allow a cent per deal
            assert abs(accuracy[month][1] - expected) <= CENT * max(forecast_count, 1), month
        checked += 1
        month = next_month(month)
    assert checked > 12


def test_slippage_totals(demo_db: Path) -> None:
    paths = deal_paths(demo_db)
    pushes: dict[date, int] = defaultdict(int)
    days: dict[date, int] = defaultdict(int)
    decreases: dict[date, Decimal] = defaultdict(Decimal)
    pushed_out: dict[tuple[date, str], tuple[datetime, Decimal]] = {}
    for opportunity_id, path in paths.items():
        for previous, row in pairwise(path):
            if previous[1] != "open" or row[1] != "open":
                continue
            if row[4] is not None and previous[4] is not None and row[4] > previous[4]:
                pushes[month_of(row[0])] += 1
                days[month_of(row[0])] += (row[4] - previous[4]).days
                if month_of(row[4]) > month_of(previous[4]):
                    key = (month_of(previous[4]), opportunity_id)
                    if key not in pushed_out or pushed_out[key][0] < row[0]:
                        pushed_out[key] = (row[0], money(row[3]))
            if row[3] is not None and previous[3] is not None and row[3] < previous[3]:
                decreases[month_of(row[0])] += previous[3] - row[3]
    amount_out: dict[date, Decimal] = defaultdict(Decimal)
    for (month, _), (_, amount) in pushed_out.items():
        amount_out[month] += amount
    mart = query(
        demo_db,
        "select period_month, push_count, total_days_pushed, amount_pushed_out, "
        "amount_decrease_total from marts.mart_slippage",
    )
    last_month = max(row[0] for row in mart)
    assert sum(row[1] for row in mart) == sum(pushes.values())
    for month, push_count, total_days, amount_pushed_out, decrease in mart:
        assert push_count == pushes.get(month, 0), month
        assert total_days == days.get(month, 0), month
        assert amount_pushed_out == amount_out.get(month, Decimal(0)), month
        assert decrease == decreases.get(month, Decimal(0)), month
    assert sum(v for m, v in amount_out.items() if m <= last_month) == sum(r[3] for r in mart)


def test_strike_zone_probabilities(demo_db: Path) -> None:
    deals = query(
        demo_db,
        "select opportunity_id, outcome, amount_band, age_band from core.fct_opportunities",
    )
    minimum = 30
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    bands: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    overall = [0, 0]
    for _, outcome, amount_band, age_band in deals:
        if outcome == "open":
            continue
        for counter in (cells[(amount_band, age_band)], bands[amount_band], overall):
            counter[0] += outcome == "won"
            counter[1] += 1
    mart = {
        row[0]: row[1:]
        for row in query(
            demo_db,
            "select opportunity_id, cell_closed_count, probability_source, win_probability "
            "from marts.mart_strike_zone",
        )
    }
    open_deals = [deal for deal in deals if deal[1] == "open"]
    assert set(mart) == {deal[0] for deal in open_deals}
    for opportunity_id, _, amount_band, age_band in open_deals:
        cell, band = cells[(amount_band, age_band)], bands[amount_band]
        if cell[1] >= minimum:
            source, (won, closed) = "cell", cell
        elif band[1] >= minimum:
            source, (won, closed) = "amount_band", band
        else:
            source, (won, closed) = "all", overall
        cell_count, mart_source, probability = mart[opportunity_id]
        assert (cell_count, mart_source) == (cell[1], source), opportunity_id
        assert probability == pytest.approx(won / closed), opportunity_id
