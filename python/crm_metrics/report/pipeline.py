"""Pipeline and results: the deals in the funnel, what they closed as, and the forecast.

Marts of models/marts/pipeline. Each chart reads one mart; add one by declaring a `Chart` in
`CHARTS` with a section key of `SECTIONS` (see the package docstring).
"""

from __future__ import annotations

from crm_metrics.report.core import (
    REPS_SHOWN,
    Chart,
    band_order,
    bar,
    line,
    ratio,
    rep,
    users_join,
)

SECTIONS = (
    ("pipeline", "Pipeline"),
    ("results", "Results: win rate, bookings, losses, cycle, products and contract value"),
    ("forecast", "Forecast"),
)

CHARTS: tuple[Chart, ...] = (
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
                bar("created", "created_amount"),
                bar("reopened", "reopened_amount"),
                bar("won", "won_amount"),
                bar("lost", "lost_amount"),
                bar("amount edits", "amount_change"),
                line("open pipeline (month end)", "open_amount_end", last=True),
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
            "measures": [line("open amount", "open_amount", stack=True)],
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
            "measures": [bar("avg days", "avg_days")],
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
                bar("amount pushed out", "amount_pushed_out"),
                line("deals pushed out", "pushed_out_deal_count", y2=True),
            ],
        },
        ("period",),
    ),
    Chart(
        "pipeline_created",
        "pipeline",
        "Where does new pipeline come from?",
        "mart_pipeline_created",
        f"""
        select
            strftime(created.period_month, '%Y-%m') as month,
            coalesce(created.lead_source, 'unknown') as lead_source,
            created.segment,
            coalesce(users.team, 'unknown') as team,
            sum(created.created_amount) as created_amount
        from marts.mart_pipeline_created as created
        {users_join("created.owner_id")}
        group by all
        order by month, lead_source, segment, team
        """,
        "xy",
        {
            "x": "month",
            "series": "lead_source",
            "barmode": "relative",
            "measures": [bar("created amount", "created_amount")],
        },
        ("segment", "team", "period"),
        "Amount of the deals created each month, stacked by lead source.",
    ),
    Chart(
        "pipeline_by_rep",
        "pipeline",
        "Whose open pipeline is it, and in which stage?",
        "mart_pipeline_by_rep",
        f"""
        select
            {rep("pipeline.owner_id")} as rep,
            coalesce(pipeline.team, users.team, 'unknown') as team,
            pipeline.stage_name,
            pipeline.stage_order,
            pipeline.open_amount
        from marts.mart_pipeline_by_rep as pipeline
        {users_join("pipeline.owner_id")}
        order by rep, pipeline.stage_order, pipeline.stage_name
        """,
        "xy",
        {
            "x": "rep",
            "series": "stage_name",
            "series_order": "stage_order",
            "x_sort": "-open_amount",
            "x_limit": REPS_SHOWN,
            "barmode": "relative",
            "measures": [bar("open amount", "open_amount")],
        },
        ("team",),
        f"Open amount at the end of the as-of date, stacked by stage. The {REPS_SHOWN} reps with "
        "the most open pipeline; filter by team to see others.",
    ),
    Chart(
        "pipeline_velocity",
        "pipeline",
        "How fast does the pipeline turn into bookings?",
        "mart_pipeline_velocity",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            velocity_per_day,
            open_count
        from marts.mart_pipeline_velocity
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                line("velocity (bookings per day)", "velocity_per_day"),
                bar("open deals at month start", "open_count", y2=True, opacity=0.3),
            ],
        },
        ("period",),
        "Velocity = open deals x win rate x average won amount / average days to close, the last "
        "three from the deals closed in the trailing 12 months.",
    ),
    Chart(
        "strike_zone",
        "pipeline",
        "Where in the open pipeline is the value we are likely to win?",
        "mart_strike_zone",
        f"""
        select
            amount_band,
            {band_order("amount_band")} as band_order,
            sum(amount) as amount,
            sum(expected_value) as expected_value
        from marts.mart_strike_zone
        group by all
        order by band_order
        """,
        "xy",
        {
            "x": "amount_band",
            "x_order": "band_order",
            "measures": [
                bar("open amount", "amount"),
                bar("expected value", "expected_value"),
                ratio(
                    "win probability (amount-weighted)",
                    ["expected_value"],
                    ["amount"],
                    y2=True,
                    markers_only=True,
                ),
            ],
        },
        (),
        "Expected value = win probability (closed deals of the same amount and age band) x "
        "amount, summed over the open deals of each amount band.",
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
            {rep("deals.owner_id")} as rep,
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
        {users_join("deals.owner_id")}
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
            ],
            "unit": "deals",
        },
        ("segment", "team"),
        "Open deals with at least one risk flag, riskiest and largest first (at most 1000); "
        "click a column header to sort.",
    ),
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
        {users_join("rates.owner_id")}
        group by all
        order by month, segment, team
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                ratio("win rate", ["won_count"], ["won_count", "lost_count"]),
                bar("closed deals", "won_count", also=["lost_count"], y2=True, opacity=0.3),
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
            {rep("attainment.owner_id")} as rep,
            coalesce(attainment.team, users.team, 'unknown') as team,
            strftime(attainment.period_month, '%Y-%m') as month,
            attainment.bookings_amount,
            attainment.quota
        from marts.mart_quota_attainment as attainment
        {users_join("attainment.owner_id")}
        order by rep, month
        """,
        "xy",
        {
            "x": "rep",
            "x_sort": "-bookings_amount",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [
                bar("bookings", "bookings_amount"),
                bar("quota", "quota"),
                ratio("attainment", ["bookings_amount"], ["quota"], y2=True, markers_only=True),
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
                bar("lost deals", "lost_count"),
                line("lost amount", "lost_amount", y2=True, markers_only=True),
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
        {users_join("cycle.owner_id")}
        group by all
        order by month, team
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                ratio(
                    "average days to close", ["days_to_close_total"], ["won_count"], format=".0f"
                ),
                bar("won deals", "won_count", y2=True, opacity=0.3),
            ],
        },
        ("team", "period"),
        "Average days from creation to close of the won deals, by closing month (weighted by "
        "deals, so it is recomputed for any filter).",
    ),
    Chart(
        "product_bookings",
        "results",
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
                bar("bookings (line items)", "bookings_amount"),
                line("won deals", "won_deal_count", y2=True, markers_only=True),
            ],
        },
        ("period",),
        "Quantity x unit price of the won deals' line items, by closing month.",
    ),
    Chart(
        "contract_value",
        "results",
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
                ratio(
                    "average contract value", ["won_amount"], ["valued_won_count"], format=",.3~s"
                ),
                bar("won deals", "won_count", y2=True, opacity=0.3),
            ],
        },
        ("segment", "period"),
        "Average won amount by closing month, recomputed from the won deals shown.",
    ),
    Chart(
        "bookings",
        "results",
        "What are the bookings made of: new business, expansion, renewals?",
        "mart_bookings",
        f"""
        select
            strftime(bookings.period_month, '%Y-%m') as month,
            bookings.opportunity_type,
            coalesce(bookings.team, users.team, 'unknown') as team,
            sum(bookings.bookings_amount) as bookings_amount
        from marts.mart_bookings as bookings
        {users_join("bookings.owner_id")}
        group by all
        order by month, opportunity_type, team
        """,
        "xy",
        {
            "x": "month",
            "series": "opportunity_type",
            "barmode": "relative",
            "measures": [bar("bookings", "bookings_amount")],
        },
        ("team", "period"),
        "Won amount by closing month, stacked by opportunity type.",
    ),
    Chart(
        "quota_summary",
        "results",
        "How many reps reach quota, and does the company?",
        "mart_quota_attainment_summary",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            reps_with_quota,
            reps_at_quota,
            company_bookings_amount,
            company_quota
        from marts.mart_quota_attainment_summary
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                ratio("share of reps at quota", ["reps_at_quota"], ["reps_with_quota"]),
                ratio("company attainment", ["company_bookings_amount"], ["company_quota"]),
            ],
            "reference": 1,
        },
        ("period",),
        "Company attainment = company bookings / company quota (the company target where set, "
        "else the sum of the reps' quotas); the dashed line is 100%.",
    ),
    Chart(
        "win_rate_by_cohort",
        "results",
        "Do the deals created each month win as often?",
        "mart_win_rate_by_cohort",
        """
        select
            strftime(created_month, '%Y-%m') as month,
            segment,
            won_count,
            lost_count,
            open_count
        from marts.mart_win_rate_by_cohort
        order by created_month, segment
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                ratio("win rate", ["won_count"], ["won_count", "lost_count"]),
                bar("still open", "open_count", y2=True, opacity=0.3),
            ],
        },
        ("segment", "period"),
        "Win rate = won / (won + lost) of the deals created in the month; the bars are the deals "
        "of the cohort still open (right axis), so recent cohorts' rates may still move.",
    ),
    Chart(
        "win_rate_by_deal_size",
        "results",
        "Do we win big deals as often as small ones?",
        "mart_win_rate_by_deal_size",
        f"""
        select
            amount_band,
            {band_order("amount_band")} as band_order,
            won_count,
            lost_count
        from marts.mart_win_rate_by_deal_size
        order by band_order
        """,
        "xy",
        {
            "x": "amount_band",
            "x_order": "band_order",
            "measures": [
                ratio("win rate", ["won_count"], ["won_count", "lost_count"], type="bar"),
                line("closed deals", "won_count", also=["lost_count"], y2=True, markers_only=True),
            ],
        },
        (),
        "All closed deals, by amount band; win rate = won / (won + lost).",
    ),
    Chart(
        "win_rate_by_profile",
        "results",
        "Which customer profiles do we win? Industry and company size",
        "mart_win_rate_by_profile",
        f"""
        select
            industry,
            employee_band,
            {band_order("employee_band")} as band_order,
            segment,
            won_count,
            won_count + lost_count + qualified_out_count as closed_count
        from marts.mart_win_rate_by_profile
        order by industry, band_order, segment
        """,
        "xy",
        {
            "x": "industry",
            "series": "employee_band",
            "series_order": "band_order",
            "x_sort": "-closed_count",
            "barmode": "group",
            "measures": [ratio("win rate", ["won_count"], ["closed_count"], type="bar")],
        },
        ("segment",),
        "All closed deals, by the account's industry and employee band (bars); win rate = won / "
        "(won + lost + qualified out). Industries with the most closed deals first.",
    ),
    Chart(
        "sales_by_region",
        "results",
        "Where do we sell? Bookings and win rate by region",
        "mart_sales_by_region",
        """
        select
            region,
            strftime(period_month, '%Y-%m') as month,
            bookings_amount,
            created_amount,
            won_count,
            lost_count
        from marts.mart_sales_by_region
        order by region, month
        """,
        "xy",
        {
            "x": "region",
            "x_sort": "-bookings_amount",
            "barmode": "group",
            "measures": [
                bar("bookings", "bookings_amount"),
                bar("pipeline created", "created_amount"),
                ratio(
                    "win rate",
                    ["won_count"],
                    ["won_count", "lost_count"],
                    y2=True,
                    markers_only=True,
                ),
            ],
        },
        ("period",),
        "By the account's current country and its region, in the months shown (deals created, "
        "won and lost that month); win rate = won / (won + lost), right axis; other = a country "
        "the region map lacks.",
    ),
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
                bar("CRM probability", "crm_probability"),
                bar("stage conversion", "stage_conversion"),
                bar("rep adjusted", "rep_adjusted"),
                line("won to date", "won_to_date", markers_only=True),
                line("quota", "quota", markers_only=True),
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
                ratio("CRM probability", ["crm_probability"], ["actual_won_amount"]),
                ratio("stage conversion", ["stage_conversion"], ["actual_won_amount"]),
                ratio("rep adjusted", ["rep_adjusted"], ["actual_won_amount"]),
            ],
        },
        ("period",),
        "Absolute percentage error = |forecast at the month's start - won| / won; lower is better.",
    ),
)
