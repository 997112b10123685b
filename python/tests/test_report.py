"""`crm-metrics report` in headless Chromium (network blocked), read the way a person sees it.

Every chart's traces are read from the page's plotly objects after drawing (`div.data`), not
from the rows the page embeds, and compared with values recomputed here in plain Python from
the marts' rows (and core.dim_users for names). The filters are driven as a person would (the
select elements' change events) and the redrawn traces compared with the filtered marts. Empty
and missing marts show "no data"; the headline tiles are recomputed from core.fct_opportunities.
A screenshot per section is kept (CRM_METRICS_REPORT_ARTIFACTS, default out/test-artifacts/report).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import webbrowser
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cdp import Browser, chromium_binary

from crm_metrics.cli import main
from crm_metrics.report import CHARTS, build_report
from crm_metrics.runner import PROJECT_DIR

CHART_KEYS = [chart.key for chart in CHARTS]
PLOTTED = [chart.key for chart in CHARTS if chart.kind != "table"]
DATA_BLOCK = re.compile(
    r'<script type="application/json" id="data-(?P<key>[a-z_]+)">(?P<json>.*?)</script>', re.S
)
STANDARD_MONTHLY_HOURS = 160  # dbt_project.yml var standard_monthly_hours
ARTIFACTS = Path(
    os.environ.get(
        "CRM_METRICS_REPORT_ARTIFACTS", PROJECT_DIR / "out" / "test-artifacts" / "report"
    )
)


def data_blocks(page: str) -> dict[str, dict[str, Any]]:
    """Each chart's embedded block, its rows as dicts (the page stores columns + arrays)."""
    blocks = {}
    for match in DATA_BLOCK.finditer(page):
        block = json.loads(match["json"].replace("<\\/", "</"))
        block["rows"] = [dict(zip(block["columns"], row, strict=True)) for row in block["rows"]]
        blocks[match["key"]] = block
    return blocks


def rows_of(database: Path, sql: str) -> list[dict[str, Any]]:
    connection = duckdb.connect(str(database), read_only=True)
    try:
        cursor = connection.execute(sql)
        columns = [description[0] for description in cursor.description]
        return [
            {column: plain(value) for column, value in zip(columns, row, strict=True)}
            for row in cursor.fetchall()
        ]
    finally:
        connection.close()


def plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | bool):
        return value
    return float(value)


def month(value: str) -> str:
    return value[:7]


# --- the marts, read and reshaped here -------------------------------------------------------


class Marts:
    """The demo marts' rows, with the users' names and teams; `keep` applies the filters."""

    def __init__(self, database: Path) -> None:
        self.database = database
        users = rows_of(database, "select user_id, full_name, team from core.dim_users")
        by_name = defaultdict(list)
        for row in users:
            by_name[row["full_name"]].append(row)
        self.name = {}
        self.ambiguous = set()
        for name, same in by_name.items():
            for row in same:
                if name is None:
                    self.name[row["user_id"]] = row["user_id"]
                elif len(same) == 1:
                    self.name[row["user_id"]] = name
                elif sum(other["team"] == row["team"] for other in same) == 1:
                    self.name[row["user_id"]] = f"{name} ({row['team']})"
                    self.ambiguous.add(name)
                else:
                    self.name[row["user_id"]] = f"{name} ({row['user_id']})"
                    self.ambiguous.add(name)
        self.team = {row["user_id"]: row["team"] or "unknown" for row in users}
        self.ids = set(self.name)
        self._cache: dict[str, list[dict]] = {}

    def rows(self, mart: str) -> list[dict[str, Any]]:
        if mart not in self._cache:
            self._cache[mart] = rows_of(self.database, f"select * from marts.{mart}")
        return self._cache[mart]


Filters = dict[str, str]


def in_period(value: str | None, filters: Filters) -> bool:
    if value is None:
        return True
    return filters.get("from", "0000") <= month(value) <= filters.get("to", "9999")


def sums(rows: list[dict], key: Callable[[dict], Any], columns: list[str]) -> dict[Any, dict]:
    """Sum `columns` per key as SQL does: null when every value is null."""
    totals: dict[Any, dict] = {}
    for row in rows:
        cell = totals.setdefault(key(row), dict.fromkeys(columns))
        for column in columns:
            if row[column] is not None:
                cell[column] = (cell[column] or 0.0) + row[column]
    return totals


def ratio(num: float | None, den: float | None) -> float | None:
    return None if num is None or not den else num / den


Traces = dict[str, dict[Any, Any]]  # trace name -> {x: y}


def by_month(rows: list[dict], column: str, measures: dict[str, Callable[[dict], Any]]) -> Traces:
    return {
        name: {month(row[column]): pick(row) for row in rows} for name, pick in measures.items()
    }


def expected_pipeline_flow(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_pipeline_flow")
        if row["grain"] == "month" and in_period(row["period_start"], f)
    ]
    return by_month(
        rows,
        "period_start",
        {
            "created": lambda r: r["created_amount"],
            "reopened": lambda r: r["reopened_amount"],
            "won": lambda r: -r["won_amount"],
            "lost": lambda r: -r["lost_amount"],
            "amount edits": lambda r: r["amount_change"],
            "open pipeline (month end)": lambda r: r["open_amount_end"],
        },
    )


def expected_pipeline_trend(marts: Marts, f: Filters) -> Traces:
    traces: Traces = defaultdict(dict)
    for row in marts.rows("mart_pipeline_trend"):
        if in_period(row["snapshot_date"], f):
            traces[row["stage_name"]][row["snapshot_date"]] = row["open_amount"]
    return dict(traces)


def expected_funnel(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_funnel_conversion")
        if in_period(row["created_month"], f) and f.get("segment", row["segment"]) == row["segment"]
    ]
    totals = sums(rows, lambda r: r["stage_name"], ["reached_count"])
    return {"deals that reached the stage": {k: v["reached_count"] for k, v in totals.items()}}


def expected_stage_duration(marts: Marts, f: Filters) -> Traces:
    traces: Traces = defaultdict(dict)
    for row in marts.rows("mart_stage_duration"):
        traces[row["outcome"]][row["stage_name"]] = row["avg_days"]
    stages = {row["stage_name"] for row in marts.rows("mart_stage_duration")}
    return {name: {stage: xs.get(stage) for stage in stages} for name, xs in traces.items()}


def expected_slippage(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_slippage") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {
            "amount pushed out": lambda r: r["amount_pushed_out"],
            "deals pushed out": lambda r: r["pushed_out_deal_count"],
        },
    )


def expected_win_rate(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_win_rate")
        if in_period(row["period_month"], f)
        and f.get("segment", row["segment"]) == row["segment"]
        and f.get("team", marts.team.get(row["owner_id"], "unknown"))
        == marts.team.get(row["owner_id"], "unknown")
    ]
    totals = sums(rows, lambda r: month(r["period_month"]), ["won_count", "lost_count"])
    return {
        "win rate": {
            k: ratio(v["won_count"], v["won_count"] + v["lost_count"]) for k, v in totals.items()
        },
        "closed deals": {k: v["won_count"] + v["lost_count"] for k, v in totals.items()},
    }


def top(traces: Traces, by: dict[Any, float], n: int = 25) -> Traces:
    """Keep the `n` x values with the largest `by` (ties by name), as the page does."""
    keep = set(sorted(by, key=lambda x: (-(by[x] or 0), x))[:n])
    return {name: {x: y for x, y in points.items() if x in keep} for name, points in traces.items()}


def expected_bookings_vs_quota(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_quota_attainment")
        if in_period(row["period_month"], f) and f.get("team", row["team"]) == row["team"]
    ]
    totals = sums(
        rows, lambda r: marts.name.get(r["owner_id"], r["owner_id"]), ["bookings_amount", "quota"]
    )
    traces = {
        "bookings": {k: v["bookings_amount"] for k, v in totals.items()},
        "quota": {k: v["quota"] for k, v in totals.items()},
        "attainment": {k: ratio(v["bookings_amount"], v["quota"]) for k, v in totals.items()},
    }
    return top(traces, traces["bookings"])


def expected_loss_reasons(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_loss_reasons") if in_period(row["period_month"], f)]
    totals = sums(rows, lambda r: r["loss_reason"], ["lost_count", "lost_amount"])
    return {
        "lost deals": {k: v["lost_count"] for k, v in totals.items()},
        "lost amount": {k: v["lost_amount"] for k, v in totals.items()},
    }


def expected_sales_cycle(marts: Marts, f: Filters) -> Traces:
    days: dict[str, float] = defaultdict(float)
    won: dict[str, float] = defaultdict(float)
    for row in marts.rows("mart_sales_cycle"):
        team = marts.team.get(row["owner_id"], "unknown")
        if in_period(row["period_month"], f) and f.get("team", team) == team:
            won[month(row["period_month"])] += row["won_count"]
            days[month(row["period_month"])] += (row["avg_days_to_close"] or 0) * row["won_count"]
    return {
        "average days to close": {k: ratio(days[k], won[k]) for k in won},
        "won deals": dict(won),
    }


METHODS = {
    "crm_probability": "CRM probability",
    "stage_conversion": "stage conversion",
    "rep_adjusted": "rep adjusted",
}


def expected_forecast(marts: Marts, f: Filters) -> Traces:
    traces: Traces = defaultdict(dict)
    for row in marts.rows("mart_forecast"):
        if in_period(row["period_month"], f):
            key = month(row["period_month"])
            traces[METHODS[row["method"]]][key] = row["expected_bookings"]
            traces["won to date"][key] = row["won_to_date"]
            traces["quota"][key] = row["quota"]
    return dict(traces)


def expected_forecast_accuracy(marts: Marts, f: Filters) -> Traces:
    """The mart's own absolute_percentage_error: the page recomputes it from error and won."""
    traces: Traces = defaultdict(dict)
    for row in marts.rows("mart_forecast_accuracy"):
        if in_period(row["period_month"], f):
            traces[METHODS[row["method"]]][month(row["period_month"])] = row[
                "absolute_percentage_error"
            ]
    return dict(traces)


def expected_activity_vs_goal(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_activity_vs_goal")
        if row["metric"] in ("dials", "connects", "meetings", "opportunities_sourced")
        and in_period(row["period_month"], f)
        and f.get("team", marts.team.get(row["user_id"])) == marts.team.get(row["user_id"])
    ]
    totals = sums(rows, lambda r: (r["metric"], marts.name[r["user_id"]]), ["actual", "target"])
    traces: Traces = defaultdict(dict)
    for (metric, rep), cell in totals.items():
        traces[metric][rep] = ratio(cell["actual"], cell["target"])
    reps = {rep for _, rep in totals}
    activity: dict[str, float] = defaultdict(float)
    for (_, rep), cell in totals.items():
        activity[rep] += cell["actual"] or 0
    full = {metric: {rep: xs.get(rep) for rep in reps} for metric, xs in traces.items()}
    return top(full, activity)


def expected_activity_efficiency(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_activity_efficiency")
        if in_period(row["period_month"], f)
        and f.get("team", marts.team.get(row["user_id"])) == marts.team.get(row["user_id"])
    ]
    totals = sums(
        rows, lambda r: marts.name[r["user_id"]], ["dials", "connects", "opportunities_sourced"]
    )
    traces = {
        "dials per connect": {k: ratio(v["dials"], v["connects"]) for k, v in totals.items()},
        "dials per opportunity": {
            k: ratio(v["dials"], v["opportunities_sourced"]) for k, v in totals.items()
        },
    }
    return top(traces, {k: v["dials"] for k, v in totals.items()})


def expected_lead_funnel(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_lead_funnel") if in_period(row["created_month"], f)]
    columns = ["leads", "mqls", "sqls", "converted", "won"]
    totals = sums(rows, lambda r: r["lead_source"], columns)
    labels = dict(zip(columns, ["leads", "MQLs", "SQLs", "opportunities", "won"], strict=True))
    traces = {labels[c]: {k: v[c] for k, v in totals.items()} for c in columns}
    traces["lead to opportunity"] = {
        k: ratio(v["converted"], v["leads"]) for k, v in totals.items()
    }
    return traces


def expected_presales_utilization(marts: Marts, f: Filters) -> Traces:
    hours: dict[str, float] = defaultdict(float)
    months: dict[str, int] = defaultdict(int)
    for row in marts.rows("mart_presales"):
        if in_period(row["period_month"], f):
            name = marts.name.get(row["se_user_id"], row["se_user_id"])
            hours[name] += row["hours_logged"]
            months[name] += 1
    return {"utilization": {k: hours[k] / (STANDARD_MONTHLY_HOURS * months[k]) for k in hours}}


def expected_presales_attach(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_presales_summary") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {"attach rate": lambda r: r["attach_rate"], "closed deals": lambda r: r["closed_count"]},
    )


def expected_mrr_movements(marts: Marts, f: Filters) -> Traces:
    rows = sorted(
        (row for row in marts.rows("mart_mrr_movements") if in_period(row["period_month"], f)),
        key=lambda r: r["period_month"],
    )
    first, last = rows[0], rows[-1]
    steps = {
        "new": "new_mrr",
        "expansion": "expansion_mrr",
        "reactivation": "reactivation_mrr",
        "contraction": "contraction_mrr",
        "churn": "churned_mrr",
    }
    values = {f"start {month(first['period_month'])}": first["starting_mrr"]}
    values.update({label: sum(row[col] for row in rows) for label, col in steps.items()})
    values[f"end {month(last['period_month'])}"] = last["ending_mrr"]
    return {"MRR": values}


def expected_churn_nrr(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_churn") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {
            "net revenue retention": lambda r: r["net_revenue_retention"],
            "logo churn rate": lambda r: r["logo_churn_rate"],
        },
    )


def expected_cohort_retention(marts: Marts, f: Filters) -> Traces:
    return {
        "logo retention": {
            (month(row["cohort_month"]), row["months_since_start"]): row["logo_retention"]
            for row in marts.rows("mart_cohort_mrr")
            if in_period(row["cohort_month"], f)
        }
    }


def expected_saas_cac(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_saas_kpis") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {
            "CAC (marketing spend / new customers)": lambda r: r["marketing_cac"],
            "payback (months)": lambda r: r["cac_payback_months"],
        },
    )


def expected_saas_efficiency(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_saas_kpis") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {"LTV:CAC": lambda r: r["ltv_to_cac"], "quick ratio": lambda r: r["quick_ratio"]},
    )


def expected_product_bookings(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_product_bookings") if in_period(row["period_month"], f)]
    totals = sums(
        rows,
        lambda r: r["product_name"] or r["product_id"],
        ["bookings_amount", "won_deal_count"],
    )
    return {
        "bookings (line items)": {k: v["bookings_amount"] for k, v in totals.items()},
        "won deals": {k: v["won_deal_count"] for k, v in totals.items()},
    }


def expected_contract_value(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_contract_value")
        if in_period(row["period_month"], f) and f.get("segment", row["segment"]) == row["segment"]
    ]
    won: dict[str, float] = defaultdict(float)
    valued: dict[str, float] = defaultdict(float)
    amount: dict[str, float] = defaultdict(float)
    for row in rows:
        won[month(row["period_month"])] += row["won_count"]
        valued[month(row["period_month"])] += row["valued_won_count"]
        amount[month(row["period_month"])] += row["won_amount"]
    return {
        "average contract value": {k: ratio(amount[k], valued[k]) for k in won},
        "won deals": dict(won),
    }


def expected_presales_outcomes(marts: Marts, f: Filters) -> Traces:
    won: dict[tuple, float] = defaultdict(float)
    closed: dict[tuple, float] = defaultdict(float)
    for row in marts.rows("mart_presales_outcomes"):
        if in_period(row["period_month"], f):
            support = "without presales" if row["se_user_id"] == "none" else "with presales"
            key = (support, month(row["period_month"]))
            won[key] += row["won_count"]
            closed[key] += row["won_count"] + row["lost_count"] + row["qualified_out_count"]
    months = {m for _, m in won}
    return {
        support: {m: ratio(won.get((support, m)), closed.get((support, m))) for m in months}
        for support in {s for s, _ in won}
    }


# --- the marts drawn since the report was split by area --------------------------------------


def grid(cells: dict[tuple[Any, Any], Any]) -> Traces:
    """{(series, x): y} as the page draws it: every series over every x, null where a series has
    no row at that x."""
    xs = {x for _, x in cells}
    return {name: {x: cells.get((name, x)) for x in xs} for name in {name for name, _ in cells}}


def kept(f: Filters, *, segment: str | None = None, team: str | None = None) -> bool:
    """The segment and team filters, on a row's segment and team."""
    return f.get("segment", segment) == segment and f.get("team", team) == team


def expected_pipeline_created(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_pipeline_created")
        if in_period(row["period_month"], f)
        and kept(f, segment=row["segment"], team=marts.team.get(row["owner_id"], "unknown"))
    ]
    totals = sums(
        rows,
        lambda r: (r["lead_source"] or "unknown", month(r["period_month"])),
        ["created_amount"],
    )
    return grid({key: value["created_amount"] for key, value in totals.items()})


def expected_pipeline_by_rep(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_pipeline_by_rep")
        if kept(f, team=row["team"] or marts.team.get(row["owner_id"], "unknown"))
    ]

    def name(row: dict) -> str:
        return marts.name.get(row["owner_id"], row["owner_id"])

    cells = sums(rows, lambda r: (r["stage_name"], name(r)), ["open_amount"])
    by_rep = sums(rows, name, ["open_amount"])
    traces = grid({key: value["open_amount"] for key, value in cells.items()})
    return top(traces, {rep: value["open_amount"] for rep, value in by_rep.items()})


def expected_pipeline_velocity(marts: Marts, f: Filters) -> Traces:
    rows = [
        row for row in marts.rows("mart_pipeline_velocity") if in_period(row["period_month"], f)
    ]
    return by_month(
        rows,
        "period_month",
        {
            "velocity (bookings per day)": lambda r: r["velocity_per_day"],
            "open deals at month start": lambda r: r["open_count"],
        },
    )


def expected_strike_zone(marts: Marts, f: Filters) -> Traces:
    totals = sums(
        marts.rows("mart_strike_zone"), lambda r: r["amount_band"], ["amount", "expected_value"]
    )
    return {
        "open amount": {k: v["amount"] for k, v in totals.items()},
        "expected value": {k: v["expected_value"] for k, v in totals.items()},
        "win probability (amount-weighted)": {
            k: ratio(v["expected_value"], v["amount"]) for k, v in totals.items()
        },
    }


def expected_bookings(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_bookings")
        if in_period(row["period_month"], f)
        and kept(f, team=row["team"] or marts.team.get(row["owner_id"], "unknown"))
    ]
    totals = sums(
        rows, lambda r: (r["opportunity_type"], month(r["period_month"])), ["bookings_amount"]
    )
    return grid({key: value["bookings_amount"] for key, value in totals.items()})


def expected_quota_summary(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_quota_attainment_summary")
        if in_period(row["period_month"], f)
    ]
    return by_month(
        rows,
        "period_month",
        {
            "share of reps at quota": lambda r: ratio(r["reps_at_quota"], r["reps_with_quota"]),
            "company attainment": lambda r: ratio(r["company_bookings_amount"], r["company_quota"]),
        },
    )


def expected_win_rate_by_cohort(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_win_rate_by_cohort")
        if in_period(row["created_month"], f) and kept(f, segment=row["segment"])
    ]
    totals = sums(
        rows, lambda r: month(r["created_month"]), ["won_count", "lost_count", "open_count"]
    )
    return {
        "win rate": {
            k: ratio(v["won_count"], v["won_count"] + v["lost_count"]) for k, v in totals.items()
        },
        "still open": {k: v["open_count"] for k, v in totals.items()},
    }


def expected_win_rate_by_deal_size(marts: Marts, f: Filters) -> Traces:
    rows = marts.rows("mart_win_rate_by_deal_size")
    return {
        "win rate": {
            r["amount_band"]: ratio(r["won_count"], r["won_count"] + r["lost_count"]) for r in rows
        },
        "closed deals": {r["amount_band"]: r["won_count"] + r["lost_count"] for r in rows},
    }


def expected_win_rate_by_profile(marts: Marts, f: Filters) -> Traces:
    won: dict[tuple, float] = defaultdict(float)
    closed: dict[tuple, float] = defaultdict(float)
    for row in marts.rows("mart_win_rate_by_profile"):
        if kept(f, segment=row["segment"]):
            key = (row["employee_band"], row["industry"])
            won[key] += row["won_count"]
            closed[key] += row["won_count"] + row["lost_count"] + row["qualified_out_count"]
    return grid({key: ratio(won[key], closed[key]) for key in won})


def expected_activity_volume(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_activity_volume")
        if in_period(row["period_week"], f)
        and kept(f, team=marts.team.get(row["user_id"], "unknown"))
    ]
    totals = sums(rows, lambda r: (r["activity_type"], r["period_week"]), ["activity_count"])
    return grid({key: value["activity_count"] for key, value in totals.items()})


def expected_account_engagement(marts: Marts, f: Filters) -> Traces:
    conversations: dict[str, float] = defaultdict(float)
    accounts: dict[str, int] = defaultdict(int)
    for row in marts.rows("mart_account_engagement"):
        if in_period(row["period_month"], f):
            conversations[month(row["period_month"])] += row["conversations"]
            accounts[month(row["period_month"])] += row["conversations"] > 0
    return {
        "conversations": dict(conversations),
        "conversations per account talked to": {
            k: ratio(v, accounts[k]) for k, v in conversations.items()
        },
    }


def expected_presales_time(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_presales_time") if in_period(row["period_month"], f)]
    hours = sums(rows, lambda r: month(r["period_month"]), ["hours", "revenue_hours"])
    return {
        "hours on deals": {k: v["revenue_hours"] for k, v in hours.items()},
        "other hours": {k: v["hours"] - v["revenue_hours"] for k, v in hours.items()},
        "share on deals": {k: ratio(v["revenue_hours"], v["hours"]) for k, v in hours.items()},
    }


def expected_presales_managers(marts: Marts, f: Filters) -> Traces:
    hours: dict[str, float] = defaultdict(float)
    standard: dict[str, float] = defaultdict(float)
    for row in marts.rows("mart_presales_managers"):
        if in_period(row["period_month"], f):
            name = marts.name.get(row["manager_id"], row["manager_id"])
            hours[name] += row["total_hours"]
            standard[name] += row["direct_report_count"] * STANDARD_MONTHLY_HOURS
    return {"team utilization": {k: ratio(v, standard[k]) for k, v in hours.items()}}


def expected_presales_deal_effort(marts: Marts, f: Filters) -> Traces:
    hours: dict[str, float] = defaultdict(float)
    deals: dict[str, int] = defaultdict(int)
    for row in marts.rows("mart_presales_deal_effort"):
        team = marts.team.get(row["owner_id"], "unknown")
        if in_period(row["closed_at"], f) and kept(f, segment=row["segment"], team=team):
            hours[row["outcome_detail"]] += row["se_hours"] or 0.0
            deals[row["outcome_detail"]] += 1
    return {
        "SE hours per deal": {k: ratio(hours[k], v) for k, v in deals.items()},
        "closed deals": dict(deals),
    }


def expected_presales_deliverables(marts: Marts, f: Filters) -> Traces:
    totals = sums(
        marts.rows("mart_presales_deliverables"),
        lambda r: (r["outcome"], r["stage_name"]),
        ["hours"],
    )
    return grid({key: value["hours"] for key, value in totals.items()})


# --- the v5 marts ------------------------------------------------------------------------------


def expected_rep_daily_activity(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_rep_daily_activity")
        if in_period(row["activity_date"], f)
        and kept(f, team=marts.team.get(row["user_id"], "unknown"))
    ]
    columns = ["calls", "emails", "responses", "leads_passed"]
    totals = sums(rows, lambda r: marts.name.get(r["user_id"], r["user_id"]), columns)
    traces = {
        "calls": {k: v["calls"] for k, v in totals.items()},
        "emails": {k: v["emails"] for k, v in totals.items()},
        "leads passed": {k: v["leads_passed"] for k, v in totals.items()},
        "email response rate": {k: ratio(v["responses"], v["emails"]) for k, v in totals.items()},
    }
    return top(traces, {k: v["emails"] for k, v in totals.items()})


def expected_conversions_by_title(marts: Marts, f: Filters) -> Traces:
    rows = marts.rows("mart_conversions_by_title")
    return {
        "lead conversion rate": {
            r["persona"]: ratio(r["converted_leads"], r["leads"]) for r in rows
        },
        "win rate": {
            r["persona"]: ratio(r["won_count"], (r["won_count"] or 0) + (r["lost_count"] or 0))
            if r["won_count"] is not None or r["lost_count"] is not None
            else None
            for r in rows
        },
    }


def expected_lead_source_roi(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_lead_source_roi") if in_period(row["period_month"], f)]
    totals = sums(rows, lambda r: r["lead_source"], ["spend", "leads", "bookings_amount"])
    return {
        "spend": {k: v["spend"] for k, v in totals.items()},
        "bookings": {k: v["bookings_amount"] for k, v in totals.items()},
        "cost per lead": {k: ratio(v["spend"], v["leads"]) for k, v in totals.items()},
    }


def expected_sales_by_region(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_sales_by_region") if in_period(row["period_month"], f)]
    columns = ["bookings_amount", "created_amount", "won_count", "lost_count"]
    totals = sums(rows, lambda r: r["region"], columns)
    return {
        "bookings": {k: v["bookings_amount"] for k, v in totals.items()},
        "pipeline created": {k: v["created_amount"] for k, v in totals.items()},
        "win rate": {
            k: ratio(v["won_count"], v["won_count"] + v["lost_count"]) for k, v in totals.items()
        },
    }


def expected_churn_by_rep(marts: Marts, f: Filters) -> Traces:
    rows = [
        row
        for row in marts.rows("mart_churn_by_rep")
        if in_period(row["period_month"], f)
        and kept(f, team=marts.team.get(row["owner_id"], "unknown"))
    ]
    rows = [dict(row, lost_mrr=-(row["churned_mrr"] + row["contraction_mrr"])) for row in rows]
    columns = ["customers_start", "churned_customers", "starting_mrr", "lost_mrr"]
    totals = sums(rows, lambda r: marts.name.get(r["owner_id"], r["owner_id"]), columns)
    traces = {
        "logo churn": {
            k: ratio(v["churned_customers"], v["customers_start"]) for k, v in totals.items()
        },
        "gross revenue churn": {
            k: ratio(v["lost_mrr"], v["starting_mrr"]) for k, v in totals.items()
        },
    }
    return top(traces, {k: v["starting_mrr"] for k, v in totals.items()})


def expected_product_penetration(marts: Marts, f: Filters) -> Traces:
    rows = marts.rows("mart_product_penetration")
    ids_by_name: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        ids_by_name[row["product_name"]].add(row["product_id"])

    def label(row: dict) -> str:
        name = row["product_name"]
        if name is None:
            return row["product_id"]
        return name if len(ids_by_name[name]) == 1 else f"{name} ({row['product_id']})"

    kept_rows = [row for row in rows if in_period(row["period_month"], f)]
    totals = sums(
        kept_rows,
        lambda r: (label(r), month(r["period_month"])),
        ["accounts_with_product", "paying_accounts"],
    )
    return grid(
        {key: ratio(v["accounts_with_product"], v["paying_accounts"]) for key, v in totals.items()}
    )


def expected_product_usage(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_product_usage") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {
            "monthly active users": lambda r: r["mau"],
            "daily active users (mean)": lambda r: r["dau"],
            "DAU/MAU (stickiness)": lambda r: ratio(r["dau"], r["mau"]),
        },
    )


def expected_activation(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_activation") if in_period(row["signup_week"], f)]
    return {
        "new users": {r["signup_week"]: r["new_users"] for r in rows},
        "activation velocity": {
            r["signup_week"]: ratio(r["activated_48h"], r["new_users"]) for r in rows
        },
        "new user churn": {
            r["signup_week"]: ratio(r["churned_30d"], r["churn_eligible"]) for r in rows
        },
    }


def expected_support_load(marts: Marts, f: Filters) -> Traces:
    rows = [row for row in marts.rows("mart_support_load") if in_period(row["period_month"], f)]
    return by_month(
        rows,
        "period_month",
        {
            "opened": lambda r: r["tickets_opened"],
            "closed": lambda r: r["tickets_closed"],
            "open at month end": lambda r: r["open_at_month_end"],
            "tickets per active account": lambda r: ratio(
                r["tickets_opened"], r["active_accounts"]
            ),
        },
    )


def expected_account_health(marts: Marts, f: Filters) -> Traces:
    scores: dict[str, list[float]] = defaultdict(list)
    accounts: dict[str, int] = defaultdict(int)
    for row in marts.rows("mart_account_health"):
        if in_period(row["period_month"], f):
            accounts[month(row["period_month"])] += 0
            if row["health_score"] is not None:
                scores[month(row["period_month"])].append(row["health_score"])
    return {
        "mean health score": {
            m: sum(scores[m]) / len(scores[m]) if scores[m] else None for m in accounts
        },
        "accounts scored": {m: len(scores[m]) for m in accounts},
        "accounts below 50": {m: sum(s < 50 for s in scores[m]) for m in accounts},
    }


EXPECTED: dict[str, Callable[[Marts, Filters], Traces]] = {
    "pipeline_flow": expected_pipeline_flow,
    "pipeline_trend": expected_pipeline_trend,
    "funnel": expected_funnel,
    "stage_duration": expected_stage_duration,
    "slippage": expected_slippage,
    "win_rate": expected_win_rate,
    "bookings_vs_quota": expected_bookings_vs_quota,
    "loss_reasons": expected_loss_reasons,
    "sales_cycle": expected_sales_cycle,
    "forecast": expected_forecast,
    "forecast_accuracy": expected_forecast_accuracy,
    "activity_vs_goal": expected_activity_vs_goal,
    "activity_efficiency": expected_activity_efficiency,
    "lead_funnel": expected_lead_funnel,
    "presales_utilization": expected_presales_utilization,
    "presales_attach": expected_presales_attach,
    "mrr_movements": expected_mrr_movements,
    "churn_nrr": expected_churn_nrr,
    "cohort_retention": expected_cohort_retention,
    "saas_cac": expected_saas_cac,
    "saas_efficiency": expected_saas_efficiency,
    "product_bookings": expected_product_bookings,
    "contract_value": expected_contract_value,
    "presales_outcomes": expected_presales_outcomes,
    "pipeline_created": expected_pipeline_created,
    "pipeline_by_rep": expected_pipeline_by_rep,
    "pipeline_velocity": expected_pipeline_velocity,
    "strike_zone": expected_strike_zone,
    "bookings": expected_bookings,
    "quota_summary": expected_quota_summary,
    "win_rate_by_cohort": expected_win_rate_by_cohort,
    "win_rate_by_deal_size": expected_win_rate_by_deal_size,
    "win_rate_by_profile": expected_win_rate_by_profile,
    "activity_volume": expected_activity_volume,
    "account_engagement": expected_account_engagement,
    "presales_time": expected_presales_time,
    "presales_managers": expected_presales_managers,
    "presales_deal_effort": expected_presales_deal_effort,
    "presales_deliverables": expected_presales_deliverables,
    "rep_daily_activity": expected_rep_daily_activity,
    "conversions_by_title": expected_conversions_by_title,
    "lead_source_roi": expected_lead_source_roi,
    "sales_by_region": expected_sales_by_region,
    "churn_by_rep": expected_churn_by_rep,
    "product_penetration": expected_product_penetration,
    "product_usage": expected_product_usage,
    "activation": expected_activation,
    "support_load": expected_support_load,
    "account_health": expected_account_health,
}

# --- the page, read from Chromium -------------------------------------------------------------

READ_TRACES = """
(() => { const out = {};
  document.querySelectorAll('.plot').forEach(div => {
    out[div.id.slice(6)] = {
      traces: (div.data || []).map(t => ({name: t.name, type: t.type, x: t.x, y: t.y, z: t.z})),
      annotations: ((div.layout || {}).annotations || []).map(a => a.text),
      drawn: !!div.querySelector('svg.main-svg')
    };
  });
  return out; })()
"""

# The table of chart KEY as a person reads it.
READ_TABLE_OF = """
(() => { const div = document.getElementById('chart-KEY');
  const table = div.querySelector('table');
  if (!table) return {text: div.textContent, header: [], rows: []};
  return {text: div.textContent,
          header: Array.from(table.tHead.rows[0].cells).map(c => c.textContent),
          rows: Array.from(table.tBodies[0].rows)
            .map(r => Array.from(r.cells).map(c => c.textContent))};
})()
"""
READ_TABLE = READ_TABLE_OF.replace("KEY", "at_risk")


def set_filters(browser: Browser, **values: str) -> None:
    """Choose filter values as a person would: set each select, fire a change event."""
    script = "".join(
        f"s = document.getElementById('filter-{name}'); s.value = {json.dumps(value)};"
        " s.dispatchEvent(new Event('change'));"
        for name, value in values.items()
    )
    browser.evaluate(f"(() => {{ let s; {script} return window.reportReady.then(() => 1); }})()")


RESET = """
(() => {
  for (const [name, pick] of [['segment', 'firstElementChild'], ['team', 'firstElementChild'],
                              ['from', 'firstElementChild'], ['to', 'lastElementChild']]) {
    const select = document.getElementById('filter-' + name);
    select.value = select[pick].value;
  }
  document.getElementById('filter-to').dispatchEvent(new Event('change'));
  return window.reportReady.then(() => 1);
})()
"""


def drawn(browser: Browser) -> dict[str, dict]:
    return browser.evaluate(READ_TRACES)


def as_traces(chart: dict) -> Traces:
    traces: Traces = {}
    for trace in chart["traces"]:
        if trace["type"] == "funnel":
            traces[trace["name"]] = dict(zip(trace["y"], trace["x"], strict=True))
        elif trace["type"] == "heatmap":
            traces[trace["name"]] = {
                (cohort, age): z
                for cohort, row in zip(trace["y"], trace["z"], strict=True)
                for age, z in zip(trace["x"], row, strict=True)
                if z is not None
            }
        else:
            traces[trace["name"]] = dict(zip(trace["x"], trace["y"], strict=True))
    return traces


def assert_traces_equal(key: str, actual: Traces, expected: Traces) -> None:
    assert set(actual) == set(expected), key
    for name, points in expected.items():
        assert set(actual[name]) == set(points), f"{key}/{name}: x values"
        for x, value in points.items():
            got = actual[name][x]
            if value is None:
                assert got is None, f"{key}/{name}/{x}"
            else:
                assert got == pytest.approx(value, rel=1e-9, abs=1e-9), f"{key}/{name}/{x}"


def chromium() -> str:
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return binary


@pytest.fixture(scope="module")
def demo_report(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    build_report(demo_db, out, progress=False)
    return out


@pytest.fixture(scope="module")
def page(demo_report: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """The demo report open in Chromium, drawn; the filters reset after each test."""
    with Browser(chromium(), tmp_path_factory.mktemp("chromium"), height=1000) as browser:
        browser.load_seconds = browser.open(demo_report)
        browser.evaluate("window.reportReady.then(() => true)")
        yield browser


@pytest.fixture()
def fresh(page: Browser) -> Iterator[Browser]:
    yield page
    page.evaluate(RESET)


@pytest.fixture(scope="module")
def marts(demo_db: Path) -> Marts:
    return Marts(demo_db)


# --- tests ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_chart_draws_its_mart(fresh: Browser, marts: Marts) -> None:
    charts = drawn(fresh)
    assert sorted(charts) == sorted(PLOTTED)
    assert set(EXPECTED) == set(PLOTTED)
    for key in PLOTTED:
        assert charts[key]["drawn"], f"{key} has no svg"
        assert charts[key]["annotations"] == [], f"{key}: {charts[key]['annotations']}"
        expected = EXPECTED[key](marts, {})
        assert all(expected.values()), f"{key}: no demo rows"
        assert_traces_equal(key, as_traces(charts[key]), expected)
    assert fresh.console() == []


# Tables of schema `marts` that are not metric marts (semantic-layer helpers such as a time spine):
# none today; one listed here is not required to have a chart.
NOT_MARTS: frozenset[str] = frozenset({"metricflow_time_spine"})


@pytest.mark.slow
def test_every_mart_has_a_chart(demo_db: Path) -> None:
    """A mart added to the project must be drawn: declare its chart in the area module (see the
    crm_metrics.report docstring)."""
    built = {
        row["table_name"]
        for row in rows_of(
            demo_db,
            "select table_name from information_schema.tables where table_schema = 'marts'",
        )
    }
    assert {chart.mart for chart in CHARTS if chart.schema == "marts"} <= built
    undrawn = sorted(built - NOT_MARTS - {chart.mart for chart in CHARTS})
    assert undrawn == [], f"marts without a chart: {undrawn}"


@pytest.mark.slow
def test_bands_are_drawn_in_order(fresh: Browser) -> None:
    charts = drawn(fresh)
    for key in ("win_rate_by_deal_size", "strike_zone"):
        assert charts[key]["traces"][0]["x"] == ["0-5k", "5k-25k", "25k-100k", "100k+"], key
    bands = [trace["name"] for trace in charts["win_rate_by_profile"]["traces"]]
    assert bands == ["0-50", "50-250", "250-1k", "1k-5k", "5k+", "unknown"]


@pytest.mark.slow
def test_sorted_charts_put_the_biggest_first(fresh: Browser) -> None:
    charts = drawn(fresh)
    for key, trace_name in (
        ("bookings_vs_quota", "bookings"),
        ("loss_reasons", "lost deals"),
        ("lead_funnel", "leads"),
    ):
        trace = next(t for t in charts[key]["traces"] if t["name"] == trace_name)
        assert trace["y"] == sorted(trace["y"], reverse=True), key


@pytest.mark.slow
def test_names_not_ids(fresh: Browser, marts: Marts) -> None:
    charts = drawn(fresh)
    names = set(marts.name.values())
    for key in (
        "bookings_vs_quota",
        "activity_vs_goal",
        "activity_efficiency",
        "presales_utilization",
        "pipeline_by_rep",
        "presales_managers",
    ):
        xs = {x for trace in charts[key]["traces"] for x in trace["x"]}
        assert xs and xs <= names, f"{key}: {sorted(xs - names)[:5]}"
        assert not xs & marts.ids, key
    table = fresh.evaluate(READ_TABLE)
    rep = table["header"].index("rep")
    reps = {row[rep] for row in table["rows"]}
    assert reps <= names and not reps & marts.ids
    # an id is shown only to tell apart users of the same name and team
    page_text = fresh.evaluate("document.body.innerText")
    for found in re.finditer(r"\busr_\d+", page_text):
        before = page_text[: found.start()]
        assert before.endswith(" (") and any(
            before.endswith(f"{name} (") for name in marts.ambiguous
        ), page_text[found.start() - 40 : found.end()]


@pytest.mark.slow
def test_at_risk_table_lists_the_flagged_deals_and_sorts(fresh: Browser, marts: Marts) -> None:
    flagged = [row for row in marts.rows("mart_pipeline_integrity") if row["risk_score"] > 0]
    table = fresh.evaluate(READ_TABLE)
    assert len(table["rows"]) == min(len(flagged), 1000)
    risk = table["header"].index("risk score")
    scores = [float(row[risk]) for row in table["rows"]]
    assert scores == sorted(scores, reverse=True)
    assert f"{len(table['rows'])} deals" in table["text"]
    # click "amount" twice: largest first, then smallest first
    amount = table["header"].index("amount")
    click = (
        "(() => { document.querySelector('#chart-at_risk th[data-column=\"amount\"]').click();"
        " return 1; })()"
    )
    fresh.evaluate(click)
    first = fresh.evaluate(READ_TABLE)
    values = [float(row[amount].replace(",", "")) for row in first["rows"]]
    assert values == sorted(values, reverse=True)
    fresh.evaluate(click)
    values = [float(row[amount].replace(",", "")) for row in fresh.evaluate(READ_TABLE)["rows"]]
    assert values == sorted(values)
    assert max(values) == pytest.approx(max(row["amount"] for row in flagged), abs=0.5)


@pytest.mark.slow
def test_raw_tables_table_lists_every_raw_table_read(fresh: Browser, demo_db: Path) -> None:
    alerts = rows_of(demo_db, "select * from data_quality.dq_table_alerts")
    table = fresh.evaluate(READ_TABLE_OF.replace("KEY", "raw_tables"))
    assert table["text"].startswith(f"{len(alerts)} raw tables")
    name = table["header"].index("raw table")
    read = table["header"].index("rows read")
    accepted = table["header"].index("accepted")
    shown = {row[name]: (row[read], row[accepted]) for row in table["rows"]}
    assert shown == {
        row["table_name"]: (f"{row['rows_read']:,.0f}", f"{row['rows_accepted']:,.0f}")
        for row in alerts
    }


@pytest.mark.slow
def test_segment_and_team_filters_redraw_from_filtered_counts(fresh: Browser, marts: Marts) -> None:
    before = drawn(fresh)
    set_filters(fresh, segment="ENT")
    charts = drawn(fresh)
    for key in ("win_rate", "funnel"):
        assert_traces_equal(key, as_traces(charts[key]), EXPECTED[key](marts, {"segment": "ENT"}))
        assert as_traces(charts[key]) != as_traces(before[key]), key
    # no segment column: drawn as before, and the section says the filter does not apply
    assert as_traces(charts["pipeline_flow"]) == as_traces(before["pipeline_flow"])
    note = fresh.evaluate("document.getElementById('filters-note-pipeline_flow').textContent")
    assert "segment" in note and "does not apply" in note.replace("do not", "does not")

    set_filters(fresh, team="ENT Team 1")  # both filters now
    charts = drawn(fresh)
    both = {"segment": "ENT", "team": "ENT Team 1"}
    assert_traces_equal("win_rate", as_traces(charts["win_rate"]), expected_win_rate(marts, both))
    for key in ("bookings_vs_quota", "sales_cycle", "activity_vs_goal"):
        expected = EXPECTED[key](marts, {"team": "ENT Team 1"})
        assert_traces_equal(key, as_traces(charts[key]), expected)
    reps = set(as_traces(charts["bookings_vs_quota"])["bookings"])
    assert reps and all(
        marts.team[uid] == "ENT Team 1" for uid, name in marts.name.items() if name in reps
    )
    table = fresh.evaluate(READ_TABLE)
    team = table["header"].index("team")
    segment = table["header"].index("segment")
    assert table["rows"] and {row[team] for row in table["rows"]} == {"ENT Team 1"}
    assert {row[segment] for row in table["rows"]} == {"ENT"}


@pytest.mark.slow
def test_period_filter_redraws_every_period_chart(fresh: Browser, marts: Marts) -> None:
    period = {"from": "2025-01", "to": "2025-06"}
    set_filters(fresh, **period)
    charts = drawn(fresh)
    for chart in CHARTS:
        if chart.kind == "table":
            continue
        expected = EXPECTED[chart.key](marts, period if "period" in chart.filters else {})
        assert_traces_equal(chart.key, as_traces(charts[chart.key]), expected)
    flow = as_traces(charts["pipeline_flow"])["created"]
    assert sorted(flow) == [f"2025-0{m}" for m in range(1, 7)]


@pytest.mark.slow
def test_first_paint_and_size(fresh: Browser, demo_report: Path) -> None:
    paint = fresh.evaluate(
        "performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)"
    )
    assert paint and paint[0] < 3000, paint
    page = demo_report.read_text(encoding="utf-8")
    assert not re.search(r'<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http', page)
    assert len(page.encode()) / 1e6 < 15


@pytest.mark.slow
def test_a_screenshot_per_section(fresh: Browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shots = [fresh.screenshot("#tiles", ARTIFACTS / "tiles.png")]
    for key in CHART_KEYS:
        shots.append(fresh.screenshot(f"#section-{key}", ARTIFACTS / f"{key}.png"))
    for shot in shots:
        assert shot.stat().st_size > 5_000, shot


def tiles_of(browser: Browser) -> dict[str, dict]:
    return {
        tile["key"]: tile
        for tile in json.loads(
            browser.evaluate("document.getElementById('report-tiles').textContent")
        )["tiles"]
    }


@pytest.mark.slow
def test_tiles_compare_month_to_date_with_the_same_days(fresh: Browser, demo_db: Path) -> None:
    tiles = tiles_of(fresh)
    assert list(tiles) == [
        "bookings",
        "attainment",
        "win_rate",
        "open_pipeline",
        "coverage",
        "mrr",
        "arr",
        "nrr",
        "response_rate",
        "persona_win_rate",
        "cost_per_lead",
        "stickiness",
        "activation_velocity",
        "health_score",
    ]
    as_of = dt.date.fromisoformat(
        rows_of(demo_db, "select as_of_date from intermediate.int_as_of_date")[0]["as_of_date"]
    )
    start = as_of.replace(day=1)
    previous_start = (start - dt.timedelta(days=1)).replace(day=1)
    previous_end = min(as_of.day, (start - dt.timedelta(days=1)).day)
    deals = rows_of(
        demo_db,
        "select outcome, closed_at, amount from core.fct_opportunities"
        " where outcome in ('won', 'lost')",
    )

    def window(first: dt.date, last_day: int) -> tuple[float, int, int]:
        chosen = [
            row
            for row in deals
            if first <= dt.date.fromisoformat(row["closed_at"][:10]) <= first.replace(day=last_day)
        ]
        won = [row for row in chosen if row["outcome"] == "won"]
        return sum(row["amount"] for row in won), len(won), len(chosen) - len(won)

    bookings, won, lost = window(start, as_of.day)
    before, won_before, lost_before = window(previous_start, previous_end)
    assert tiles["bookings"]["value"] == pytest.approx(bookings)
    assert tiles["bookings"]["previous"] == pytest.approx(before)
    assert tiles["bookings"]["change"] == pytest.approx((bookings - before) / before)
    assert tiles["win_rate"]["value"] == pytest.approx(won / (won + lost))
    assert tiles["win_rate"]["previous"] == pytest.approx(won_before / (won_before + lost_before))
    shown = fresh.evaluate("document.getElementById('tile-bookings').textContent")
    assert f"{as_of:%-d %b %Y}" in shown and "vs" in shown


@pytest.mark.slow
def test_v5_tiles_recomputed_from_the_marts(fresh: Browser, demo_db: Path, marts: Marts) -> None:
    """The tiles of the v5 marts, recomputed here from the marts' rows."""
    tiles = tiles_of(fresh)
    as_of = dt.date.fromisoformat(
        rows_of(demo_db, "select as_of_date from intermediate.int_as_of_date")[0]["as_of_date"]
    )
    start = as_of.replace(day=1)
    previous_start = (start - dt.timedelta(days=1)).replace(day=1)
    previous_end = previous_start.replace(day=min(as_of.day, (start - dt.timedelta(days=1)).day))
    # the latest complete month: the as-of month when the as-of date is its last day
    complete = (as_of + dt.timedelta(days=1)).day == 1
    latest = start if complete else previous_start
    before = (latest - dt.timedelta(days=1)).replace(day=1)

    def responses(first: dt.date, last: dt.date) -> float | None:
        rows = [
            row
            for row in marts.rows("mart_rep_daily_activity")
            if first.isoformat() <= row["activity_date"] <= last.isoformat()
        ]
        return ratio(sum(r["responses"] for r in rows), sum(r["emails"] for r in rows))

    assert tiles["response_rate"]["value"] == pytest.approx(responses(start, as_of))
    assert tiles["response_rate"]["previous"] == pytest.approx(
        responses(previous_start, previous_end)
    )

    closed = {
        row["persona"]: (row["won_count"] or 0, (row["won_count"] or 0) + (row["lost_count"] or 0))
        for row in marts.rows("mart_conversions_by_title")
        if row["persona"] != "unknown" and (row["won_count"] or 0) + (row["lost_count"] or 0)
    }
    enough = {k: v for k, v in closed.items() if v[1] >= 10} or closed
    best = max(enough, key=lambda k: (enough[k][0] / enough[k][1], enough[k][1], k))
    assert tiles["persona_win_rate"]["value"] == pytest.approx(enough[best][0] / enough[best][1])
    assert tiles["persona_win_rate"]["label"] == f"Win rate, {best.replace('_', ' ')} buyers"
    assert tiles["persona_win_rate"]["previous"] is None

    def monthly(mart: str, first: dt.date, num: str, den: str) -> float | None:
        rows = [row for row in marts.rows(mart) if row["period_month"] == first.isoformat()]
        values = [row[num] for row in rows if row[num] is not None]
        return ratio(sum(values) if values else None, sum(row[den] or 0 for row in rows))

    for key, mart, num, den in (
        ("cost_per_lead", "mart_lead_source_roi", "spend", "leads"),
        ("stickiness", "mart_product_usage", "dau", "mau"),
    ):
        assert tiles[key]["value"] == pytest.approx(monthly(mart, latest, num, den)), key
        assert tiles[key]["previous"] == pytest.approx(monthly(mart, before, num, den)), key

    def health(first: dt.date) -> float | None:
        scores = [
            row["health_score"]
            for row in marts.rows("mart_account_health")
            if row["period_month"] == first.isoformat() and row["health_score"] is not None
        ]
        return sum(scores) / len(scores) if scores else None

    assert tiles["health_score"]["value"] == pytest.approx(health(latest))
    assert tiles["health_score"]["previous"] == pytest.approx(health(before))

    # activation: the 4 latest signup weeks whose 48 hours (to the Tuesday after) have passed
    weeks = sorted(
        (
            row
            for row in marts.rows("mart_activation")
            if dt.date.fromisoformat(row["signup_week"]) + dt.timedelta(days=8) <= as_of
        ),
        key=lambda row: row["signup_week"],
        reverse=True,
    )
    for key, chosen in (("value", weeks[:4]), ("previous", weeks[4:8])):
        expected = ratio(
            sum(r["activated_48h"] for r in chosen), sum(r["new_users"] for r in chosen)
        )
        assert tiles["activation_velocity"][key] == pytest.approx(expected), key
    for key in ("response_rate", "persona_win_rate", "stickiness", "activation_velocity"):
        assert tiles[key]["value"] is not None, key
    shown = fresh.evaluate("document.getElementById('tile-health_score').textContent")
    assert f"{tiles['health_score']['value']:.0f}" in shown


@pytest.mark.parametrize(
    ("as_of", "previous"),
    [
        ("2024-03-31", ("2024-02-01", "2024-02-29")),  # a longer month against a shorter one
        ("2024-03-15", ("2024-02-01", "2024-02-15")),  # mid-month: the same 15 days
        ("2024-01-31", ("2023-12-01", "2023-12-31")),
    ],
)
def test_same_days_of_the_previous_month(
    as_of: str, previous: tuple[str, str], tmp_path: Path
) -> None:
    from crm_metrics.report import WINDOWS_SQL

    row = duckdb.connect().execute(WINDOWS_SQL, [as_of]).fetchone()
    assert (row[2].isoformat(), row[3].isoformat()) == previous
    assert row[1].isoformat() == as_of and row[0].isoformat() == as_of[:8] + "01"


V4_MARTS = {
    "mart_product_bookings": (
        "product_id varchar, period_month date, product_name varchar, product_family varchar,"
        " won_deal_count bigint, quantity bigint, bookings_amount decimal(18, 2),"
        " share_of_month double",
        [
            "('p1', date '2024-01-01', 'Core', 'platform', 2, 3, 300, 0.75)",
            "('p2', date '2024-01-01', 'Add-on', 'addons', 1, 1, 100, 0.25)",
            "('p2', date '2024-02-01', 'Add-on', 'addons', 4, 5, 500, 1.0)",
        ],
    ),
    "mart_contract_value": (
        "period_month date, segment varchar, opportunity_type varchar, won_count bigint,"
        " avg_contract_value decimal(18, 2), median_contract_value decimal(18, 2),"
        " acv_trailing_12m decimal(18, 2), won_amount decimal(18, 2), valued_won_count bigint",
        [
            # 3 won deals, one without an amount: the average is over the 2 with one
            "(date '2024-01-01', 'SMB', 'new_business', 3, 100, 100, 100, 200, 2)",
            "(date '2024-01-01', 'SMB', 'renewal', 1, 400, 400, 200, 400, 1)",
            "(date '2024-01-01', 'ENT', 'new_business', 1, 1000, 1000, 1000, 1000, 1)",
        ],
    ),
    "mart_presales_outcomes": (
        "se_user_id varchar, period_month date, won_count bigint, lost_count bigint,"
        " qualified_out_count bigint, win_rate double, won_amount decimal(18, 2)",
        [
            "('none', date '2024-01-01', 1, 1, 0, 0.5, 10)",
            "('se1', date '2024-01-01', 2, 0, 1, 0.667, 20)",
            "('se2', date '2024-01-01', 1, 0, 0, 1.0, 30)",
        ],
    ),
}


@pytest.mark.slow
def test_spec_v4_marts_are_drawn_where_they_exist(tmp_path: Path) -> None:
    """Hand-made v4 marts (the spec's columns): the page draws the hand-worked numbers."""
    database = tmp_path / "v4.duckdb"
    connection = duckdb.connect(str(database))
    connection.execute("create schema marts")
    for mart, (columns, values) in V4_MARTS.items():
        connection.execute(f"create table marts.{mart} ({columns})")
        connection.execute(f"insert into marts.{mart} values {', '.join(values)}")
    connection.close()
    out = build_report(database, tmp_path / "v4.html", progress=False)
    with Browser(chromium(), tmp_path / "chromium") as browser:
        browser.open(out)
        browser.evaluate("window.reportReady.then(() => true)")
        charts = drawn(browser)
        products = as_traces(charts["product_bookings"])
        assert products["bookings (line items)"] == {"Add-on": 600, "Core": 300}
        assert charts["product_bookings"]["traces"][0]["x"] == ["Add-on", "Core"]
        value = as_traces(charts["contract_value"])
        # (200 + 400 + 1000) / the 4 deals with an amount (the 5th has none)
        assert value["average contract value"] == {"2024-01": pytest.approx(400)}
        outcomes = as_traces(charts["presales_outcomes"])
        # with presales: (2 + 1) won of (2 + 0 + 1) + (1 + 0 + 0) closed; without: 1 of 2
        assert outcomes["with presales"] == {"2024-01": pytest.approx(0.75)}
        assert outcomes["without presales"] == {"2024-01": pytest.approx(0.5)}
        set_filters(browser, segment="SMB")
        value = as_traces(drawn(browser)["contract_value"])
        assert value["average contract value"] == {"2024-01": pytest.approx(200)}
        assert browser.console() == []


def _empty_database(demo_db: Path, target: Path, leave_out: str) -> None:
    """Every table the report reads but `leave_out`, with the demo's columns and no rows."""
    connection = duckdb.connect(str(target))
    try:
        connection.execute(f"attach '{demo_db}' as demo (read_only)")
        for schema, table in connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'demo'"
            " and table_schema in ('marts', 'core', 'intermediate', 'data_quality')"
        ).fetchall():
            if table == leave_out:
                continue
            connection.execute(f"create schema if not exists {schema}")
            connection.execute(
                f"create table {schema}.{table} as select * from demo.{schema}.{table} limit 0"
            )
    finally:
        connection.close()


@pytest.mark.slow
def test_empty_marts_show_no_data(demo_db: Path, tmp_path: Path) -> None:
    database = tmp_path / "empty.duckdb"
    _empty_database(demo_db, database, leave_out="mart_slippage")
    out = build_report(database, tmp_path / "empty.html", progress=False)
    assert all(block["rows"] == [] for block in data_blocks(out.read_text()).values())
    with Browser(chromium(), tmp_path / "chromium") as browser:
        browser.open(out)
        browser.evaluate("window.reportReady.then(() => true)")
        charts = drawn(browser)
        assert sorted(charts) == sorted(PLOTTED)
        for key, chart in charts.items():
            missing = "mart_slippage" if key == "slippage" else None
            said = f"no data ({missing} is not built)" if missing else "no data"
            assert chart["drawn"] and chart["annotations"] == [said], key
            assert chart["traces"] == [], key
        assert browser.evaluate(READ_TABLE)["text"] == "no data"
        assert "no data for the headline tiles" in browser.evaluate(
            "document.getElementById('tiles').textContent"
        )
        assert browser.console() == []


def test_missing_marts_say_not_built(tmp_path: Path) -> None:
    database = tmp_path / "nothing.duckdb"
    duckdb.connect(str(database)).close()
    page = build_report(database, tmp_path / "r.html", progress=False).read_text()
    blocks = data_blocks(page)
    for chart in CHARTS:
        assert blocks[chart.key]["built"] is False
        assert blocks[chart.key]["rows"] == []


def test_cli_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "--database", str(tmp_path / "none.duckdb")])
    assert code == 1
    assert "does not exist" in capsys.readouterr().err

    database = tmp_path / "nothing.duckdb"
    duckdb.connect(str(database)).close()
    out = tmp_path / "sub" / "r.html"
    assert main(["report", "--serving", str(database), "--out", str(out)]) == 0
    assert out.is_file()
    assert str(out.resolve()) in capsys.readouterr().out


def test_cli_report_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "nothing.duckdb"
    duckdb.connect(str(database)).close()
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    out = tmp_path / "r.html"
    assert main(["report", "--serving", str(database), "--out", str(out), "--open"]) == 0
    assert opened == [out.resolve().as_uri()]
    assert "opened" in capsys.readouterr().out

    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: False)  # no browser here
    assert main(["report", "--serving", str(database), "--out", str(out), "--open"]) == 0
    captured = capsys.readouterr()
    assert str(out.resolve()) in captured.out and "no browser" in captured.err
