"""`crm-metrics report`: one self-contained HTML page for a sales leader and a sales-ops analyst.

The page opens with headline tiles for the as-of month (`read_tiles`), then a section per area
of the metrics. Each chart (`CHARTS`) reads one mart with one query and is titled by the
question it answers. The query's rows go into the page as JSON (`<script
type="application/json" id="data-<chart>">`: `columns`, then one array of values per row) at
the grain the chart needs plus the columns its filters use (`segment`, `team`, `month`), and
the page draws every chart from those rows in the browser with plotly.js (inlined once, about
4.8 MB, at the end of the page so the tiles paint first; `report.js` draws): the segment, team
and period filters re-aggregate the rows and redraw, rates are recomputed from the filtered
counts (a ratio of sums, never an average of ratios), and a chart whose mart has no such column
says the filter does not apply. No network is needed to view it. A chart whose mart is missing
or empty, or whose filtered rows are empty, shows "no data".

Rules where the marts leave a choice (also stated on the page):
- Reps are shown by name (core.dim_users.full_name; the id when a user has no name); a rep's
  team, where the mart has only the rep's id, is the rep's team in core.dim_users.
- Headline changes compare the as-of month to date with the same days of the previous month
  (days 1 to the as-of day, the last day of a shorter month at most), never a partial month with
  a whole one; levels (open pipeline, MRR, ARR) compare the as-of date with the same day of the
  previous month's calendar where the mart is daily, month with month where it is monthly.
- Pipeline coverage on the tiles is open pipeline / (the month's company quota - bookings to
  date), null once the quota is reached. NRR on the tiles is the latest complete month's.
"""

from __future__ import annotations

import datetime as dt
import decimal
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_metrics.errors import CrmMetricsError, database_error
from crm_metrics.serving import as_of_text

Rows = list[dict[str, Any]]

FILTERS = ("segment", "team", "period")
REPS_SHOWN = 25  # charts with a bar per rep show the top reps only (readable at scale)


@dataclass(frozen=True)
class Chart:
    """One chart: `sql` reads `mart`; `kind` and `spec` tell the page how to draw the rows.

    `filters`: the filters that apply (the rows then carry a `segment`, `team` or `month`
    column); `spec` for kind `xy`: `x` (column), `series` (column splitting the traces, or
    None), `measures` (each a trace per series value: `sum` of a column, or `num` / `den` lists
    of columns giving a ratio of sums; `type` bar or line; `y2` for the right axis), `colors`
    (a colour per series value), `x_order` / `series_order` (a column to order by), `x_sort`
    (`-column`: the biggest total first), `reference` (a dashed horizontal line).
    """

    key: str
    section: str
    question: str
    mart: str
    sql: str
    kind: str
    spec: dict[str, Any] = field(default_factory=dict)
    filters: tuple[str, ...] = ()
    note: str = ""


SECTIONS = (
    ("pipeline", "Pipeline"),
    ("results", "Results: win rate, bookings, losses, cycle"),
    ("forecast", "Forecast"),
    ("activity", "Activity and leads"),
    ("presales", "Presales"),
    ("revenue", "Recurring revenue (SaaS)"),
    ("v4", "Products, contract value and presales outcomes (spec v4 marts)"),
)

# A rep's label and team. The label is the user's name; a name several users share gets the
# team, and where that is shared too, the id (the generator's and real CRMs' names repeat, and
# two reps must never be summed into one bar); the id when the user has no name.
_REP = "coalesce(users.rep_label, {id})"
_USERS = """left join (
    select
        user_id,
        team,
        case
            when count(*) over (partition by full_name) = 1 then full_name
            when count(*) over (partition by full_name, team) = 1
                then full_name || ' (' || team || ')'
            else full_name || ' (' || user_id || ')'
        end as rep_label
    from core.dim_users
) as users on users.user_id = {id}"""


def _rep(column: str) -> str:
    return _REP.format(id=column)


def _users(column: str) -> str:
    return _USERS.format(id=column)


def _bar(label: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"label": label, "sum": column, "type": "bar", **extra}


def _line(label: str, column: str, **extra: Any) -> dict[str, Any]:
    return {"label": label, "sum": column, "type": "line", **extra}


def _ratio(label: str, num: list[str], den: list[str], **extra: Any) -> dict[str, Any]:
    return {"label": label, "num": num, "den": den, "type": "line", "format": ".0%", **extra}


CHARTS: tuple[Chart, ...] = (
    # --- pipeline ------------------------------------------------------------------------------
    Chart(
        "pipeline_flow",
        "pipeline",
        "How much pipeline came in and went out each month?",
        "mart_pipeline_flow",
        """
        select
            strftime(period_start, '%Y-%m') as month,
            created_amount,
            reopened_amount,
            -won_amount as won_amount,
            -lost_amount as lost_amount,
            amount_change,
            open_amount_end
        from marts.mart_pipeline_flow
        where grain = 'month'
        order by period_start
        """,
        "xy",
        {
            "x": "month",
            "barmode": "relative",
            "measures": [
                _bar("created", "created_amount"),
                _bar("reopened", "reopened_amount"),
                _bar("won", "won_amount"),
                _bar("lost", "lost_amount"),
                _bar("amount edits", "amount_change"),
                _line("open pipeline (month end)", "open_amount_end", last=True),
            ],
        },
        ("period",),
        "Won and lost amounts are drawn below zero; the line is the open pipeline at month end.",
    ),
    Chart(
        "pipeline_trend",
        "pipeline",
        "How has the open pipeline moved, stage by stage?",
        "mart_pipeline_trend",
        """
        select
            strftime(snapshot_date, '%Y-%m-%d') as day,
            strftime(snapshot_date, '%Y-%m') as month,
            stage_name,
            stage_order,
            open_amount
        from marts.mart_pipeline_trend
        order by snapshot_date, stage_order, stage_name
        """,
        "xy",
        {
            "x": "day",
            "series": "stage_name",
            "series_order": "stage_order",
            "measures": [_line("open amount", "open_amount", stack=True)],
        },
        ("period",),
        "Open amount at the end of each day.",
    ),
    Chart(
        "funnel",
        "pipeline",
        "How far do closed deals get through the stages?",
        "mart_funnel_conversion",
        """
        select
            stage_name,
            stage_order,
            segment,
            strftime(created_month, '%Y-%m') as month,
            sum(reached_count) as reached_count
        from marts.mart_funnel_conversion
        group by all
        order by stage_order, stage_name, segment, month
        """,
        "funnel",
        {"stage": "stage_name", "order": "stage_order", "value": "reached_count"},
        ("segment", "period"),
        "Deals by the month they were created.",
    ),
    Chart(
        "stage_duration",
        "pipeline",
        "How long do won and lost deals sit in each stage?",
        "mart_stage_duration",
        """
        select stage_name, stage_order, outcome, deal_count, avg_days, median_days
        from marts.mart_stage_duration
        order by stage_order, stage_name, outcome
        """,
        "xy",
        {
            "x": "stage_name",
            "x_order": "stage_order",
            "series": "outcome",
            "colors": {"won": "#2ca02c", "lost": "#d62728"},
            "barmode": "group",
            "measures": [_bar("avg days", "avg_days")],
        },
    ),
    Chart(
        "slippage",
        "pipeline",
        "How much pipeline slips to a later month?",
        "mart_slippage",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            pushed_out_deal_count,
            amount_pushed_out
        from marts.mart_slippage
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _bar("amount pushed out", "amount_pushed_out"),
                _line("deals pushed out", "pushed_out_deal_count", y2=True),
            ],
        },
        ("period",),
    ),
    Chart(
        "at_risk",
        "pipeline",
        "Which open deals are at risk?",
        "mart_pipeline_integrity",
        f"""
        select
            deals.opportunity_id,
            coalesce(opportunities.opportunity_name, deals.opportunity_id) as deal,
            {_rep("deals.owner_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            coalesce(opportunities.segment, 'unknown') as segment,
            deals.stage_name as stage,
            deals.amount,
            strftime(deals.close_date, '%Y-%m-%d') as close_date,
            deals.close_date_push_count as pushes,
            round(deals.days_in_current_stage, 1) as days_in_stage,
            concat_ws(
                ', ',
                case when deals.is_stalled then 'stalled' end,
                case when deals.is_many_pushes then 'pushed often' end,
                case when deals.is_oversized then 'oversized' end,
                case when deals.is_closing_soon then 'closing soon' end
            ) as flags,
            deals.risk_score
        from marts.mart_pipeline_integrity as deals
        left join core.fct_opportunities as opportunities
            on opportunities.opportunity_id = deals.opportunity_id
        {_users("deals.owner_id")}
        where deals.risk_score > 0
        order by deals.risk_score desc, deals.amount desc nulls last, deals.opportunity_id
        limit 1000
        """,
        "table",
        {
            "columns": [
                ["deal", "deal"],
                ["rep", "rep"],
                ["team", "team"],
                ["segment", "segment"],
                ["stage", "stage"],
                ["amount", "amount"],
                ["close date", "close_date"],
                ["pushes", "pushes"],
                ["days in stage", "days_in_stage", 1],
                ["risk flags", "flags"],
                ["risk score", "risk_score"],
            ]
        },
        ("segment", "team"),
        "Open deals with at least one risk flag, riskiest and largest first (at most 1000); "
        "click a column header to sort.",
    ),
    # --- results -------------------------------------------------------------------------------
    Chart(
        "win_rate",
        "results",
        "What share of closed deals do we win?",
        "mart_win_rate",
        f"""
        select
            strftime(rates.period_month, '%Y-%m') as month,
            rates.segment,
            coalesce(users.team, 'unknown') as team,
            sum(rates.won_count) as won_count,
            sum(rates.lost_count) as lost_count
        from marts.mart_win_rate as rates
        {_users("rates.owner_id")}
        group by all
        order by month, segment, team
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _ratio("win rate", ["won_count"], ["won_count", "lost_count"]),
                _bar("closed deals", "won_count", also=["lost_count"], y2=True, opacity=0.3),
            ],
        },
        ("segment", "team", "period"),
        "Win rate = won / (won + lost) of the filtered deals, by closing month; the bars are the "
        "closed deals (right axis).",
    ),
    Chart(
        "bookings_vs_quota",
        "results",
        "Which reps are at quota?",
        "mart_quota_attainment",
        f"""
        select
            {_rep("attainment.owner_id")} as rep,
            coalesce(attainment.team, users.team, 'unknown') as team,
            strftime(attainment.period_month, '%Y-%m') as month,
            attainment.bookings_amount,
            attainment.quota
        from marts.mart_quota_attainment as attainment
        {_users("attainment.owner_id")}
        order by rep, month
        """,
        "xy",
        {
            "x": "rep",
            "x_sort": "-bookings_amount",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [
                _bar("bookings", "bookings_amount"),
                _bar("quota", "quota"),
                _ratio("attainment", ["bookings_amount"], ["quota"], y2=True, markers_only=True),
            ],
        },
        ("team", "period"),
        "Bookings and quota summed over the months shown; attainment = bookings / quota. The "
        f"{REPS_SHOWN} reps with the most bookings; filter by team to see others.",
    ),
    Chart(
        "loss_reasons",
        "results",
        "Why do we lose deals?",
        "mart_loss_reasons",
        """
        select
            loss_reason,
            strftime(period_month, '%Y-%m') as month,
            lost_count,
            lost_amount
        from marts.mart_loss_reasons
        order by loss_reason, month
        """,
        "xy",
        {
            "x": "loss_reason",
            "x_sort": "-lost_count",
            "measures": [
                _bar("lost deals", "lost_count"),
                _line("lost amount", "lost_amount", y2=True, markers_only=True),
            ],
        },
        ("period",),
    ),
    Chart(
        "sales_cycle",
        "results",
        "How long does it take to win a deal?",
        "mart_sales_cycle",
        f"""
        select
            strftime(cycle.period_month, '%Y-%m') as month,
            coalesce(users.team, 'unknown') as team,
            sum(cycle.won_count) as won_count,
            sum(cycle.avg_days_to_close * cycle.won_count) as days_to_close_total
        from marts.mart_sales_cycle as cycle
        {_users("cycle.owner_id")}
        group by all
        order by month, team
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _ratio(
                    "average days to close", ["days_to_close_total"], ["won_count"], format=".0f"
                ),
                _bar("won deals", "won_count", y2=True, opacity=0.3),
            ],
        },
        ("team", "period"),
        "Average days from creation to close of the won deals, by closing month (weighted by "
        "deals, so it is recomputed for any filter).",
    ),
    # --- forecast ------------------------------------------------------------------------------
    Chart(
        "forecast",
        "forecast",
        "Will we make the number? The forecast by method against quota",
        "mart_forecast",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            sum(case when method = 'crm_probability' then expected_bookings end)
                as crm_probability,
            sum(case when method = 'stage_conversion' then expected_bookings end)
                as stage_conversion,
            sum(case when method = 'rep_adjusted' then expected_bookings end) as rep_adjusted,
            max(won_to_date) as won_to_date,
            max(quota) as quota
        from marts.mart_forecast
        group by 1
        order by 1
        """,
        "xy",
        {
            "x": "month",
            "barmode": "group",
            "measures": [
                _bar("CRM probability", "crm_probability"),
                _bar("stage conversion", "stage_conversion"),
                _bar("rep adjusted", "rep_adjusted"),
                _line("won to date", "won_to_date", markers_only=True),
                _line("quota", "quota", markers_only=True),
            ],
        },
        ("period",),
        "Expected bookings = won to date + the open pipeline weighted by each method.",
    ),
    Chart(
        "forecast_accuracy",
        "forecast",
        "How accurate was each forecast method, month by month?",
        "mart_forecast_accuracy",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            sum(case when method = 'crm_probability' then abs(error) end) as crm_probability,
            sum(case when method = 'stage_conversion' then abs(error) end) as stage_conversion,
            sum(case when method = 'rep_adjusted' then abs(error) end) as rep_adjusted,
            max(actual_won_amount) as actual_won_amount
        from marts.mart_forecast_accuracy
        group by 1
        order by 1
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _ratio("CRM probability", ["crm_probability"], ["actual_won_amount"]),
                _ratio("stage conversion", ["stage_conversion"], ["actual_won_amount"]),
                _ratio("rep adjusted", ["rep_adjusted"], ["actual_won_amount"]),
            ],
        },
        ("period",),
        "Absolute percentage error = |forecast at the month's start - won| / won; lower is better.",
    ),
    # --- activity and leads --------------------------------------------------------------------
    Chart(
        "activity_vs_goal",
        "activity",
        "Which reps reach their activity goals?",
        "mart_activity_vs_goal",
        f"""
        select
            {_rep("goals.user_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            strftime(goals.period_month, '%Y-%m') as month,
            goals.metric,
            goals.actual,
            goals.target
        from marts.mart_activity_vs_goal as goals
        {_users("goals.user_id")}
        where goals.metric in ('dials', 'connects', 'meetings', 'opportunities_sourced')
        order by rep, month, metric
        """,
        "xy",
        {
            "x": "rep",
            "series": "metric",
            "x_sort": "-actual",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [_ratio("of goal", ["actual"], ["target"], type="bar")],
            "reference": 1,
        },
        ("team", "period"),
        "Activity / goal summed over the months shown (1 = 100% of goal, the dashed line). The "
        f"{REPS_SHOWN} most active reps; filter by team to see others.",
    ),
    Chart(
        "activity_efficiency",
        "activity",
        "How many dials does each rep need per connect and per opportunity?",
        "mart_activity_efficiency",
        f"""
        select
            {_rep("efficiency.user_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            strftime(efficiency.period_month, '%Y-%m') as month,
            efficiency.dials,
            efficiency.connects,
            efficiency.opportunities_sourced
        from marts.mart_activity_efficiency as efficiency
        {_users("efficiency.user_id")}
        order by rep, month
        """,
        "xy",
        {
            "x": "rep",
            "x_sort": "-dials",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [
                _ratio("dials per connect", ["dials"], ["connects"], type="bar", format=".1f"),
                _ratio(
                    "dials per opportunity",
                    ["dials"],
                    ["opportunities_sourced"],
                    type="bar",
                    format=".1f",
                ),
            ],
        },
        ("team", "period"),
        "Fewer is better; recomputed from the dials, connects and opportunities shown. The "
        f"{REPS_SHOWN} reps with the most dials; filter by team to see others.",
    ),
    Chart(
        "lead_funnel",
        "activity",
        "Which lead sources turn into pipeline?",
        "mart_lead_funnel",
        """
        select
            lead_source,
            strftime(created_month, '%Y-%m') as month,
            leads,
            mqls,
            sqls,
            converted,
            won
        from marts.mart_lead_funnel
        order by lead_source, month
        """,
        "xy",
        {
            "x": "lead_source",
            "x_sort": "-leads",
            "barmode": "group",
            "measures": [
                _bar("leads", "leads"),
                _bar("MQLs", "mqls"),
                _bar("SQLs", "sqls"),
                _bar("opportunities", "converted"),
                _bar("won", "won"),
                _ratio("lead to opportunity", ["converted"], ["leads"], y2=True, markers_only=True),
            ],
        },
        ("period",),
        "Leads by the month they were created; the markers are opportunities / leads (right axis).",
    ),
    # --- presales ------------------------------------------------------------------------------
    Chart(
        "presales_utilization",
        "presales",
        "How busy is each sales engineer?",
        "mart_presales",
        f"""
        select
            {_rep("presales.se_user_id")} as engineer,
            strftime(presales.period_month, '%Y-%m') as month,
            presales.hours_logged,
            -- the month's standard hours (var standard_monthly_hours), the same on every row
            max(presales.hours_logged / nullif(presales.utilization, 0)) over () as capacity_hours
        from marts.mart_presales as presales
        {_users("presales.se_user_id")}
        order by engineer, month
        """,
        "xy",
        {
            "x": "engineer",
            "x_sort": "-hours_logged",
            "measures": [
                _ratio("utilization", ["hours_logged"], ["capacity_hours"], type="bar"),
            ],
        },
        ("period",),
        "Utilization = hours logged / standard hours over the months shown.",
    ),
    Chart(
        "presales_attach",
        "presales",
        "How often is presales on the deals we close?",
        "mart_presales_summary",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            closed_count,
            closed_with_presales_count
        from marts.mart_presales_summary
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _ratio("attach rate", ["closed_with_presales_count"], ["closed_count"]),
                _bar("closed deals", "closed_count", y2=True, opacity=0.3),
            ],
        },
        ("period",),
        "Attach rate = closed deals with a presales owner / closed deals.",
    ),
    # --- revenue -------------------------------------------------------------------------------
    Chart(
        "mrr_movements",
        "revenue",
        "What moved MRR over the period?",
        "mart_mrr_movements",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            starting_mrr,
            new_mrr,
            expansion_mrr,
            reactivation_mrr,
            contraction_mrr,
            churned_mrr,
            ending_mrr
        from marts.mart_mrr_movements
        order by period_month
        """,
        "waterfall",
        {},
        ("period",),
        "Starting MRR of the first month shown, the movements summed, ending MRR of the last.",
    ),
    Chart(
        "churn_nrr",
        "revenue",
        "Do we keep and grow the revenue of our customers?",
        "mart_churn",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            net_revenue_retention,
            logo_churn_rate
        from marts.mart_churn
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _line("net revenue retention", "net_revenue_retention", format=".0%"),
                _line("logo churn rate", "logo_churn_rate", y2=True, format=".1%"),
            ],
        },
        ("period",),
    ),
    Chart(
        "cohort_retention",
        "revenue",
        "How many customers of each starting month are still with us?",
        "mart_cohort_mrr",
        """
        select
            strftime(cohort_month, '%Y-%m') as month,
            months_since_start,
            cohort_customers,
            active_customers
        from marts.mart_cohort_mrr
        order by cohort_month, months_since_start
        """,
        "heatmap",
        {},
        ("period",),
        "Logo retention = active / cohort customers; the period filter picks the cohorts.",
    ),
    Chart(
        "saas_cac",
        "revenue",
        "What does a new customer cost, and how fast is it paid back?",
        "mart_saas_kpis",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            marketing_cac,
            cac_payback_months
        from marts.mart_saas_kpis
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _bar("CAC (marketing spend / new customers)", "marketing_cac"),
                _line("payback (months)", "cac_payback_months", y2=True, format=".1f"),
            ],
        },
        ("period",),
    ),
    Chart(
        "saas_efficiency",
        "revenue",
        "Is growth efficient? LTV:CAC and the quick ratio",
        "mart_saas_kpis",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            ltv_to_cac,
            quick_ratio
        from marts.mart_saas_kpis
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _line("LTV:CAC", "ltv_to_cac", format=".1f"),
                _line("quick ratio", "quick_ratio", format=".1f"),
            ],
            "reference": 3,
        },
        ("period",),
        "Quick ratio = (new + expansion + reactivation MRR) / (contraction + churned MRR); "
        "the dashed line marks 3.",
    ),
    # --- spec v4 marts, drawn where they are built -------------------------------------------
    Chart(
        "product_bookings",
        "v4",
        "Which products bring the bookings?",
        "mart_product_bookings",
        """
        select
            coalesce(product_name, product_id) as product,
            strftime(period_month, '%Y-%m') as month,
            won_deal_count,
            bookings_amount
        from marts.mart_product_bookings
        order by product, month
        """,
        "xy",
        {
            "x": "product",
            "x_sort": "-bookings_amount",
            "measures": [
                _bar("bookings (line items)", "bookings_amount"),
                _line("won deals", "won_deal_count", y2=True, markers_only=True),
            ],
        },
        ("period",),
        "Quantity x unit price of the won deals' line items, by closing month.",
    ),
    Chart(
        "contract_value",
        "v4",
        "Are our deals getting bigger?",
        "mart_contract_value",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            segment,
            sum(won_count) as won_count,
            sum(valued_won_count) as valued_won_count,
            sum(won_amount) as won_amount
        from marts.mart_contract_value
        group by all
        order by month, segment
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                _ratio(
                    "average contract value", ["won_amount"], ["valued_won_count"], format=",.3~s"
                ),
                _bar("won deals", "won_count", y2=True, opacity=0.3),
            ],
        },
        ("segment", "period"),
        "Average won amount by closing month, recomputed from the won deals shown.",
    ),
    Chart(
        "presales_outcomes",
        "v4",
        "Do deals with presales support win more often?",
        "mart_presales_outcomes",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            case when se_user_id = 'none' then 'without presales' else 'with presales' end
                as support,
            sum(won_count) as won_count,
            sum(lost_count + qualified_out_count) as not_won_count
        from marts.mart_presales_outcomes
        group by all
        order by month, support
        """,
        "xy",
        {
            "x": "month",
            "series": "support",
            "measures": [_ratio("win rate", ["won_count"], ["won_count", "not_won_count"])],
        },
        ("period",),
        "Win rate = won / (won + lost + qualified out), by closing month.",
    ),
)


# Every model the report reads (the charts' marts, the tiles' sources, the names' dimension):
# the exposure crm_metrics_report in models/exposures.yml declares the same list.
READS = frozenset(
    {chart.mart for chart in CHARTS}
    | {"dim_users", "fct_opportunities", "int_as_of_date", "mart_quota_attainment_summary"}
)


# --- headline tiles ---------------------------------------------------------------------------

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


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: float | None
    previous: float | None
    format: str  # "money", "percent" or "ratio"
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
    return _jsonable(row[0]) if row and row[0] is not None else None


def _exists(connection: Any, schema: str, name: str) -> bool:
    (count,) = connection.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return count > 0


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
    if _exists(connection, "core", "fct_opportunities"):
        for period, start, end in (
            ("current", current_start, current_end),
            ("previous", previous_start, previous_end),
        ):
            bookings, won, lost = connection.execute(CLOSED_SQL, [start, end]).fetchone()
            closed[period] = (float(bookings), int(won), int(lost))
    quotas = {"current": None, "previous": None}
    if _exists(connection, "marts", "mart_quota_attainment_summary"):
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
    if _exists(connection, "marts", "mart_pipeline_trend"):
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
    if _exists(connection, "marts", "mart_saas_kpis"):
        saas = {
            period: connection.execute(SAAS_SQL, [start]).fetchone()
            for period, start in (("current", current_start), ("previous", previous_start))
        }
        for index, key, label in ((0, "mrr", "MRR"), (1, "arr", "ARR")):
            values = {
                period: _jsonable(row[index]) if row and row[index] is not None else None
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
    if _exists(connection, "marts", "mart_churn"):
        month = current_start if complete else previous_start
        before = (dt.date(month.year, month.month, 1) - dt.timedelta(days=1)).replace(day=1)
        tiles.append(
            Tile(
                "nrr",
                "Net revenue retention",
                _one(connection, NRR_SQL, [month]),
                _one(connection, NRR_SQL, [before]),
                "percent",
                f"{month:%b %Y} vs {before:%b %Y} (the latest complete month)",
            )
        )
    return tiles, windows


# --- reading and writing ----------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def read_chart_rows(connection: Any, chart: Chart) -> Rows | None:
    """The chart's rows (JSON-ready), or None when its mart is not in the database."""
    if not _exists(connection, "marts", chart.mart):
        return None
    cursor = connection.execute(chart.sql)
    columns = [description[0] for description in cursor.description]
    return [
        {column: _jsonable(value) for column, value in zip(columns, row, strict=True)}
        for row in cursor.fetchall()
    ]


def _progress(total: int, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc="report", unit="chart", file=sys.stderr, disable=not enabled)


def _script_json(element_id: str, payload: Any) -> str:
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    # `</` inside a <script> would end it early: escape the slash (still valid JSON).
    text = text.replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def _json_block(chart_key: str, payload: dict[str, Any]) -> str:
    return _script_json(f"data-{chart_key}", payload)


def _filter_note(chart: Chart) -> str:
    missing = [name for name in FILTERS if name not in chart.filters]
    if not missing:
        return ""
    return (
        f"The {' and '.join(missing)} filter{'s do' if len(missing) > 1 else ' does'} not apply "
        f"here: marts.{chart.mart} has no such column."
    )


def _section_html(chart: Chart, rows: Rows | None) -> str:
    note = f'<p class="note">{html.escape(chart.note)}</p>' if chart.note else ""
    not_applied = _filter_note(chart)
    applies = (
        f'<p class="filters-note" id="filters-note-{chart.key}">{html.escape(not_applied)}</p>'
        if not_applied
        else ""
    )
    body = (
        f'<div class="table-wrap" id="chart-{chart.key}"></div>'
        if chart.kind == "table"
        else f'<div class="plot" id="chart-{chart.key}"></div>'
    )
    # Column names once, then one array of values per row: half the size of repeated keys.
    columns = list(rows[0]) if rows else []
    payload = {
        "chart": chart.key,
        "mart": chart.mart,
        "built": rows is not None,
        "columns": columns,
        "rows": [[row[column] for column in columns] for row in rows or []],
    }
    return (
        f'<section class="chart" id="section-{chart.key}">'
        f"<h3>{html.escape(chart.question)}</h3>"
        f'<p class="source">Source: marts.{chart.mart}</p>{note}{applies}{body}'
        f"{_json_block(chart.key, payload)}</section>"
    )


def _chart_specs() -> list[dict[str, Any]]:
    return [
        {
            "key": chart.key,
            "kind": chart.kind,
            "spec": chart.spec,
            "filters": list(chart.filters),
            "mart": chart.mart,
            "question": chart.question,
        }
        for chart in CHARTS
    ]


def build_report(database: Path, out: Path, *, progress: bool = True) -> Path:
    """Write the report for `database` to `out`; return the path written."""
    import duckdb
    import plotly
    from plotly.offline import get_plotlyjs

    database = database.expanduser().resolve()
    if not database.is_file():
        raise CrmMetricsError(
            f"the database {database} does not exist; run `crm-metrics build` first"
        )
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.Error as exc:
        raise database_error(database, exc) from None

    by_section: dict[str, list[str]] = {key: [] for key, _ in SECTIONS}
    with _progress(len(CHARTS) + 2, progress) as bar:
        try:
            as_of = as_of_text(connection)
            tiles, windows = read_tiles(connection)
            bar.update(1)
            for chart in CHARTS:
                bar.set_postfix_str(chart.key)
                by_section[chart.section].append(
                    _section_html(chart, read_chart_rows(connection, chart))
                )
                bar.update(1)
        except duckdb.Error as exc:
            raise database_error(database, exc) from None
        finally:
            connection.close()

        bar.set_postfix_str("writing")
        sections = "\n".join(
            f'<h2 class="area" id="area-{key}">{html.escape(name)}</h2>'
            f'<div class="charts">{"".join(by_section[key])}</div>'
            for key, name in SECTIONS
        )
        tiles_payload = {
            "windows": windows,
            "tiles": [
                {
                    "key": tile.key,
                    "label": tile.label,
                    "value": tile.value,
                    "previous": tile.previous,
                    "change": tile.change,
                    "format": tile.format,
                    "basis": tile.basis,
                }
                for tile in tiles
            ],
        }
        page = _PAGE.format(
            plotly_version=html.escape(plotly.__version__),
            plotly_js=get_plotlyjs(),
            as_of=html.escape(as_of or "unknown"),
            database=html.escape(database.name),
            tiles=_tiles_html(tiles),
            sections=sections,
            tiles_json=_script_json("report-tiles", tiles_payload),
            charts_json=_script_json("report-charts", _chart_specs()),
            script=_SCRIPT_PATH.read_text(encoding="utf-8"),
        )
        out = out.expanduser()
        if out.parent != Path():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
        bar.update(1)
    return out.resolve()


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
    return f"{arrow} {abs(change):.2f} vs previous month"


def _tiles_html(tiles: list[Tile]) -> str:
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


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CRM metrics report, as of {as_of}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1280px; padding: 0 1rem 2rem;
       color: #222; }}
h1 {{ margin: 0.8rem 0 0.2rem; }}
.meta, .source, .note, .filters-note {{ color: #555; font-size: 0.85rem; margin: 0.15rem 0; }}
.filters-note {{ color: #8a5a00; }}
.filters {{ position: sticky; top: 0; z-index: 10; background: #fff; border-bottom: 1px solid #ddd;
           padding: 0.5rem 0; display: flex; gap: 1.2rem; flex-wrap: wrap; align-items: center; }}
.filters label {{ font-size: 0.9rem; }}
.filters select {{ font-size: 0.9rem; margin-left: 0.3rem; }}
.tiles {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 0.7rem;
         margin: 0.8rem 0; }}
.tile {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.6rem 0.8rem; background: #fafafa; }}
.tile-label {{ font-size: 0.85rem; color: #555; }}
.tile-value {{ font-size: 1.6rem; font-weight: 600; margin: 0.2rem 0; }}
.tile-change {{ font-size: 0.85rem; }}
.tile-change.up {{ color: #1a7f37; }} .tile-change.down {{ color: #c62828; }}
.tile-basis {{ font-size: 0.75rem; color: #777; margin-top: 0.2rem; }}
h2.area {{ margin: 1.4rem 0 0.5rem; border-bottom: 2px solid #333; padding-bottom: 0.2rem; }}
.charts {{ display: grid; gap: 1rem;
          grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); }}
.chart {{ border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.8rem; min-width: 0; }}
.chart h3 {{ font-size: 1.05rem; margin: 0.2rem 0; }}
.plot {{ height: 380px; }}
#section-at_risk {{ grid-column: 1 / -1; }}
.table-wrap {{ max-height: 420px; overflow: auto; }}
table.deals {{ border-collapse: collapse; font-size: 0.8rem; width: 100%; }}
table.deals th {{ position: sticky; top: 0; background: #f0f0f0; cursor: pointer; text-align: left;
                 padding: 0.25rem 0.4rem; white-space: nowrap; }}
table.deals td {{ border-top: 1px solid #eee; padding: 0.2rem 0.4rem; }}
table.deals td.num {{ text-align: right; }}
.no-data {{ color: #888; font-size: 1.2rem; text-align: center; padding: 3rem 0; }}
</style>
</head>
<body>
<h1>CRM metrics report</h1>
<p class="meta">As of {as_of} &middot; database {database} &middot; plotly {plotly_version}.
Reps, teams and segments are shown by name. The data behind each chart is embedded as JSON
(script elements with id data-&lt;chart&gt;).</p>
<div class="filters" id="filters">
<label>Segment <select id="filter-segment"><option value="">all</option></select></label>
<label>Team <select id="filter-team"><option value="">all</option></select></label>
<label>From <select id="filter-from"></select></label>
<label>To <select id="filter-to"></select></label>
<span class="meta">Rates are recomputed from the filtered counts. The tiles are for the whole
company.</span>
</div>
<h2 class="area" id="area-headlines">Headlines for the as-of month</h2>
<div class="tiles" id="tiles">{tiles}</div>
<p class="note">Each change compares the month to date with the same days of the previous month
(hover a tile for the days compared).</p>
{sections}
{tiles_json}
{charts_json}
<script type="text/javascript">{plotly_js}</script>
<script type="text/javascript">{script}</script>
</body>
</html>
"""

# Draws every chart from its embedded rows and redraws on a filter change (report.js, beside
# this file, inlined into the page).
_SCRIPT_PATH = Path(__file__).with_name("report.js")
