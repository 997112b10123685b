"""The headline tiles for the as-of month, drawn by the server (they paint before plotly.js is
read). The rules the package docstring states for changes, coverage and NRR are applied here.

`dashboard/sources/crm/headline.sql` states the same rules for the dashboard's headline page (on
the serving snapshot's `meta.snapshot`, without the previous-month comparison): a change to a rule
here is a change there too. `dashboard/sources/crm/customer_headline.sql` does the same for the
v5 tiles (`_v5_tiles`).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any

from crm_metrics.report.core import exists, jsonable
from crm_metrics.serving import as_of_text

# The as-of month to date and the same days of the previous month: [start, end] both inclusive.
# `as_of_date - interval 1 month` is the same day of the previous month, or its last day when it
# is shorter (31 March -> 28/29 February).
WINDOWS_SQL = """
select
    date_trunc('month', as_of_date)::date as current_start,
    as_of_date as current_end,
    (date_trunc('month', as_of_date) - interval 1 month)::date as previous_start,
    (as_of_date - interval 1 month)::date as previous_end,
    as_of_date = last_day(as_of_date) as month_complete
from (select ?::date as as_of_date)
"""

CLOSED_SQL = """
select
    coalesce(sum(case when outcome = 'won' then amount end), 0) as bookings,
    count(*) filter (where outcome = 'won') as won,
    count(*) filter (where outcome = 'lost') as lost
from core.fct_opportunities
where outcome in ('won', 'lost')
    and closed_at >= ?::date
    and closed_at < ?::date + interval 1 day
"""

QUOTA_SQL = """
select company_quota from marts.mart_quota_attainment_summary where period_month = ?::date
"""

OPEN_SQL = """
select sum(open_amount) from marts.mart_pipeline_trend where snapshot_date = ?::date
"""

SAAS_SQL = "select mrr, arr from marts.mart_saas_kpis where period_month = ?::date"

NRR_SQL = "select net_revenue_retention from marts.mart_churn where period_month = ?::date"

# v5 headline tiles (each drawn only where its mart is built).
RESPONSE_SQL = """
select sum(responses), sum(emails)
from marts.mart_rep_daily_activity
where activity_date between ?::date and ?::date
"""

PERSONA_SQL = """
select persona, coalesce(won_count, 0) as won, coalesce(lost_count, 0) as lost
from marts.mart_conversions_by_title
where persona <> 'unknown' and coalesce(won_count, 0) + coalesce(lost_count, 0) > 0
"""
PERSONA_MIN_CLOSED = 10  # the persona tile ranks personas with this many closed deals, if any

COST_PER_LEAD_SQL = """
select sum(spend), sum(leads) from marts.mart_lead_source_roi where period_month = ?::date
"""

STICKINESS_SQL = "select dau, mau from marts.mart_product_usage where period_month = ?::date"

# Activation velocity over the latest ACTIVATION_WEEKS signup weeks whose 48 hours have all
# passed by the end of the as-of date (a Sunday signup's window ends the Tuesday after: Monday +
# 9 days), against the same number of weeks before them.
ACTIVATION_WEEKS = 4
ACTIVATION_SQL = """
with weeks as (
    select
        signup_week,
        new_users,
        activated_48h,
        row_number() over (order by signup_week desc) as recency
    from marts.mart_activation
    where signup_week + interval 9 day <= ?::date + interval 1 day
)
select
    case when recency <= ? then 'current' else 'previous' end as period,
    sum(activated_48h),
    sum(new_users),
    strftime(min(signup_week), '%-d %b %Y'),
    strftime(max(signup_week), '%-d %b %Y')
from weeks
where recency <= 2 * ?
group by 1
"""

HEALTH_SQL = """
select sum(health_score), count(health_score)
from marts.mart_account_health
where period_month = ?::date
"""


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | None
    previous: float | None
    format: str  # "money", "percent", "ratio" or "score" (0-100)
    basis: str  # what is compared with what
    empty: str = "n/a"  # what a null value means

    @property
    def change(self) -> float | None:
        """Relative change for money, the difference (points) for percents and ratios."""
        if self.value is None or self.previous is None:
            return None
        if self.format == "money":
            return (self.value - self.previous) / self.previous if self.previous else None
        return self.value - self.previous


def _one(connection: Any, sql: str, params: list[Any]) -> Any:
    row = connection.execute(sql, params).fetchone()
    return jsonable(row[0]) if row and row[0] is not None else None


def read_tiles(connection: Any) -> tuple[list[Tile], dict[str, str]]:
    """The headline tiles and the windows they compare (ISO dates); empty without an as-of date."""
    as_of = as_of_text(connection)
    if as_of is None:
        return [], {}
    row = connection.execute(WINDOWS_SQL, [as_of]).fetchone()
    if row is None or row[0] is None:
        return [], {}
    current_start, current_end, previous_start, previous_end, complete = row
    windows = {
        "current_start": current_start.isoformat(),
        "current_end": current_end.isoformat(),
        "previous_start": previous_start.isoformat(),
        "previous_end": previous_end.isoformat(),
    }
    same_days = (
        f"{current_start:%-d %b} to {current_end:%-d %b %Y} vs "
        f"{previous_start:%-d %b} to {previous_end:%-d %b %Y}"
    )
    tiles: list[Tile] = []
    closed: dict[str, tuple[float, int, int]] = {}
    if exists(connection, "core", "fct_opportunities"):
        for period, start, end in (
            ("current", current_start, current_end),
            ("previous", previous_start, previous_end),
        ):
            bookings, won, lost = connection.execute(CLOSED_SQL, [start, end]).fetchone()
            closed[period] = (float(bookings), int(won), int(lost))
    quotas = {"current": None, "previous": None}
    if exists(connection, "marts", "mart_quota_attainment_summary"):
        quotas = {
            "current": _one(connection, QUOTA_SQL, [current_start]),
            "previous": _one(connection, QUOTA_SQL, [previous_start]),
        }
    if closed:
        tiles.append(
            Tile(
                "bookings",
                "Bookings, month to date",
                closed["current"][0],
                closed["previous"][0],
                "money",
                same_days,
            )
        )
        attainment = {
            period: closed[period][0] / quotas[period] if quotas[period] else None
            for period in ("current", "previous")
        }
        tiles.append(
            Tile(
                "attainment",
                "Bookings / the month's quota",
                attainment["current"],
                attainment["previous"],
                "percent",
                same_days
                + f" (quota {_format(quotas['current'], 'money')} this month, "
                + f"{_format(quotas['previous'], 'money')} the previous)",
            )
        )
        rates = {
            period: won / (won + lost) if won + lost else None
            for period, (_, won, lost) in closed.items()
        }
        tiles.append(
            Tile(
                "win_rate",
                "Win rate, month to date",
                rates["current"],
                rates["previous"],
                "percent",
                same_days + " (won / closed)",
            )
        )
    if exists(connection, "marts", "mart_pipeline_trend"):
        pipeline = {
            "current": _one(connection, OPEN_SQL, [current_end]),
            "previous": _one(connection, OPEN_SQL, [previous_end]),
        }
        tiles.append(
            Tile(
                "open_pipeline",
                "Open pipeline",
                pipeline["current"],
                pipeline["previous"],
                "money",
                f"end of {current_end:%-d %b %Y} vs end of {previous_end:%-d %b %Y}",
            )
        )
        coverage: dict[str, float | None] = {}
        for period in ("current", "previous"):
            remaining = (
                quotas[period] - closed[period][0]
                if closed and quotas[period] is not None
                else None
            )
            coverage[period] = (
                pipeline[period] / remaining
                if remaining is not None and remaining > 0 and pipeline[period] is not None
                else None
            )
        tiles.append(
            Tile(
                "coverage",
                "Pipeline coverage of the quota left",
                coverage["current"],
                coverage["previous"],
                "ratio",
                "open pipeline / (the month's quota - bookings to date), on the same days",
                "quota reached" if closed and quotas["current"] is not None else "no quota",
            )
        )
    if exists(connection, "marts", "mart_saas_kpis"):
        saas = {
            period: connection.execute(SAAS_SQL, [start]).fetchone()
            for period, start in (("current", current_start), ("previous", previous_start))
        }
        for index, key, label in ((0, "mrr", "MRR"), (1, "arr", "ARR")):
            values = {
                period: jsonable(row[index]) if row and row[index] is not None else None
                for period, row in saas.items()
            }
            tiles.append(
                Tile(
                    key,
                    label,
                    values["current"],
                    values["previous"],
                    "money",
                    f"{current_start:%b %Y} vs {previous_start:%b %Y} (a level, not a sum)",
                )
            )
    # the latest complete month and the one before (monthly rates: NRR, cost per lead, ...)
    month = current_start if complete else previous_start
    before = (dt.date(month.year, month.month, 1) - dt.timedelta(days=1)).replace(day=1)
    latest_complete = f"{month:%b %Y} vs {before:%b %Y} (the latest complete month)"
    if exists(connection, "marts", "mart_churn"):
        tiles.append(
            Tile(
                "nrr",
                "Net revenue retention",
                _one(connection, NRR_SQL, [month]),
                _one(connection, NRR_SQL, [before]),
                "percent",
                latest_complete,
            )
        )
    tiles.extend(_v5_tiles(connection, windows, same_days, month, before, latest_complete))
    return tiles, windows


def _ratio(num: Any, den: Any) -> float | None:
    return float(num) / float(den) if num is not None and den else None


def _v5_tiles(
    connection: Any,
    windows: dict[str, str],
    same_days: str,
    month: dt.date,
    before: dt.date,
    latest_complete: str,
) -> list[Tile]:
    """The tiles of the v5 marts: email response rate, the best persona's win rate, cost per
    lead, DAU/MAU, activation velocity and the mean health score."""
    tiles: list[Tile] = []
    if exists(connection, "marts", "mart_rep_daily_activity"):
        rates = {
            period: _ratio(*connection.execute(RESPONSE_SQL, [start, end]).fetchone())
            for period, start, end in (
                ("current", windows["current_start"], windows["current_end"]),
                ("previous", windows["previous_start"], windows["previous_end"]),
            )
        }
        tiles.append(
            Tile(
                "response_rate",
                "Email response rate, month to date",
                rates["current"],
                rates["previous"],
                "percent",
                same_days + " (emails replied to / emails)",
                "no emails",
            )
        )
    if exists(connection, "marts", "mart_conversions_by_title"):
        personas = connection.execute(PERSONA_SQL).fetchall()
        ranked = [row for row in personas if row[1] + row[2] >= PERSONA_MIN_CLOSED] or personas
        best = max(ranked, key=lambda r: (r[1] / (r[1] + r[2]), r[1] + r[2], r[0]), default=None)
        tiles.append(
            Tile(
                "persona_win_rate",
                f"Win rate, {best[0].replace('_', ' ')} buyers" if best else "Win rate by persona",
                best[1] / (best[1] + best[2]) if best else None,
                None,
                "percent",
                "the buyer persona (primary contact's title) with the highest win rate among "
                f"those with at least {PERSONA_MIN_CLOSED} closed deals (any, when none has): "
                + (f"{best[1]:.0f} won of {best[1] + best[2]:.0f} closed, " if best else "")
                + "all time to the as-of date",
                "no closed deal with a contact",
            )
        )
    if exists(connection, "marts", "mart_lead_source_roi"):
        costs = {
            period: _ratio(*connection.execute(COST_PER_LEAD_SQL, [start]).fetchone())
            for period, start in (("current", month), ("previous", before))
        }
        tiles.append(
            Tile(
                "cost_per_lead",
                "Cost per lead",
                costs["current"],
                costs["previous"],
                "money",
                latest_complete + ": marketing spend / leads created",
                "no spend or leads",
            )
        )
    if exists(connection, "marts", "mart_product_usage"):
        sticky = {
            period: _ratio(*(connection.execute(STICKINESS_SQL, [start]).fetchone() or (0, 0)))
            for period, start in (("current", month), ("previous", before))
        }
        tiles.append(
            Tile(
                "stickiness",
                "DAU/MAU (stickiness)",
                sticky["current"],
                sticky["previous"],
                "percent",
                latest_complete + ": mean daily active users / monthly active users",
                "no active users",
            )
        )
    if exists(connection, "marts", "mart_activation"):
        weeks = {
            row[0]: row[1:]
            for row in connection.execute(
                ACTIVATION_SQL,
                [windows["current_end"], ACTIVATION_WEEKS, ACTIVATION_WEEKS],
            ).fetchall()
        }
        current = weeks.get("current", (None, None, None, None))
        previous = weeks.get("previous", (None, None, None, None))
        tiles.append(
            Tile(
                "activation_velocity",
                "Activation velocity",
                _ratio(current[0], current[1]),
                _ratio(previous[0], previous[1]),
                "percent",
                f"users activated within 48 hours / new users, signup weeks {current[2]} to "
                f"{current[3]} vs {previous[2]} to {previous[3]} (the latest "
                f"{ACTIVATION_WEEKS} weeks whose 48 hours have passed)"
                if current[2]
                else "users activated within 48 hours / new users",
                "no signups",
            )
        )
    if exists(connection, "marts", "mart_account_health"):
        health = {
            period: _ratio(*connection.execute(HEALTH_SQL, [start]).fetchone())
            for period, start in (("current", month), ("previous", before))
        }
        tiles.append(
            Tile(
                "health_score",
                "Account health score",
                health["current"],
                health["previous"],
                "score",
                latest_complete + ": mean health score (0-100) of the accounts scored",
                "no account scored",
            )
        )
    return tiles


def _format(value: float | None, kind: str, empty: str = "n/a") -> str:
    if value is None:
        return empty
    if kind == "money":
        for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if abs(value) >= limit:
                return f"{value / limit:,.1f}{suffix}"
        return f"{value:,.0f}"
    if kind == "percent":
        return f"{value:.0%}"
    if kind == "score":
        return f"{value:.0f}"
    return f"{value:.2f}"


def _format_change(tile: Tile) -> str:
    change = tile.change
    if change is None:
        return "no comparison"
    arrow = "▲" if change > 0 else "▼" if change < 0 else "="
    if tile.format == "money":
        return f"{arrow} {abs(change):.1%} vs previous month"
    if tile.format == "percent":
        return f"{arrow} {abs(change) * 100:.1f} pts vs previous month"
    if tile.format == "score":
        return f"{arrow} {abs(change):.1f} pts vs previous month"
    return f"{arrow} {abs(change):.2f} vs previous month"


def tiles_html(tiles: list[Tile]) -> str:
    """The tiles, drawn by the server: they paint before plotly.js is read."""
    if not tiles:
        return '<p class="no-tiles">no data for the headline tiles</p>'
    cells = []
    for tile in tiles:
        direction = "up" if (tile.change or 0) > 0 else "down" if (tile.change or 0) < 0 else "flat"
        shown = _format(tile.value, tile.format, tile.empty)
        cells.append(
            f'<div class="tile" id="tile-{tile.key}" title="{html.escape(tile.basis)}">'
            f'<div class="tile-label">{html.escape(tile.label)}</div>'
            f'<div class="tile-value">{html.escape(shown)}</div>'
            f'<div class="tile-change {direction}">{html.escape(_format_change(tile))}</div>'
            f'<div class="tile-basis">{html.escape(tile.basis)}</div></div>'
        )
    return "".join(cells)
