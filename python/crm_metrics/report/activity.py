"""Activity, leads and presales: what reps and sales engineers do, and what comes of it.

Marts of models/marts/activity. Each chart reads one mart; add one by declaring a `Chart` in
`CHARTS` with a section key of `SECTIONS` (see the package docstring).
"""

from __future__ import annotations

from crm_metrics.report.core import REPS_SHOWN, Chart, bar, line, ratio, rep, users_join

SECTIONS = (
    ("activity", "Activity and leads"),
    ("presales", "Presales"),
)

CHARTS: tuple[Chart, ...] = (
    Chart(
        "activity_vs_goal",
        "activity",
        "Which reps reach their activity goals?",
        "mart_activity_vs_goal",
        f"""
        select
            {rep("goals.user_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            strftime(goals.period_month, '%Y-%m') as month,
            goals.metric,
            goals.actual,
            goals.target
        from marts.mart_activity_vs_goal as goals
        {users_join("goals.user_id")}
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
            "measures": [ratio("of goal", ["actual"], ["target"], type="bar")],
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
            {rep("efficiency.user_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            strftime(efficiency.period_month, '%Y-%m') as month,
            efficiency.dials,
            efficiency.connects,
            efficiency.opportunities_sourced
        from marts.mart_activity_efficiency as efficiency
        {users_join("efficiency.user_id")}
        order by rep, month
        """,
        "xy",
        {
            "x": "rep",
            "x_sort": "-dials",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [
                ratio("dials per connect", ["dials"], ["connects"], type="bar", format=".1f"),
                ratio(
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
                bar("leads", "leads"),
                bar("MQLs", "mqls"),
                bar("SQLs", "sqls"),
                bar("opportunities", "converted"),
                bar("won", "won"),
                ratio("lead to opportunity", ["converted"], ["leads"], y2=True, markers_only=True),
            ],
        },
        ("period",),
        "Leads by the month they were created; the markers are opportunities / leads (right axis).",
    ),
    Chart(
        "rep_daily_activity",
        "activity",
        "How much does each rep call and email, and how many emails get an answer?",
        "mart_rep_daily_activity",
        f"""
        select
            {rep("daily.user_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            strftime(daily.activity_date, '%Y-%m') as month,
            sum(daily.calls) as calls,
            sum(daily.emails) as emails,
            sum(daily.responses) as responses,
            sum(daily.leads_passed) as leads_passed
        from marts.mart_rep_daily_activity as daily
        {users_join("daily.user_id")}
        group by all
        order by rep, month
        """,
        "xy",
        {
            "x": "rep",
            "x_sort": "-emails",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [
                bar("calls", "calls"),
                bar("emails", "emails"),
                bar("leads passed", "leads_passed"),
                ratio("email response rate", ["responses"], ["emails"], y2=True, markers_only=True),
            ],
        },
        ("team", "period"),
        "Daily activity summed over the months shown; response rate = emails replied to / emails "
        "(right axis); leads passed = the rep's leads converted into another rep's deal. The "
        f"{REPS_SHOWN} reps with the most emails; filter by team to see others.",
    ),
    Chart(
        "conversions_by_title",
        "activity",
        "Which buyer personas convert and win?",
        "mart_conversions_by_title",
        """
        select
            persona,
            case persona
                when 'executive' then 1
                when 'vp' then 2
                when 'director' then 3
                when 'manager' then 4
                when 'individual_contributor' then 5
                when 'unknown' then 7
                else 6
            end as persona_order,
            leads,
            converted_leads,
            won_count,
            lost_count
        from marts.mart_conversions_by_title
        order by persona_order, persona
        """,
        "xy",
        {
            "x": "persona",
            "x_order": "persona_order",
            "barmode": "group",
            "measures": [
                ratio("lead conversion rate", ["converted_leads"], ["leads"], type="bar"),
                ratio("win rate", ["won_count"], ["won_count", "lost_count"], type="bar"),
            ],
        },
        (),
        "All time to the as-of date: leads by their own title, closed deals by their primary "
        "contact's title; win rate = won / (won + lost).",
    ),
    Chart(
        "lead_source_roi",
        "activity",
        "What does a lead cost per source, and what does the spend bring back?",
        "mart_lead_source_roi",
        """
        select
            lead_source,
            strftime(period_month, '%Y-%m') as month,
            spend,
            leads,
            bookings_amount
        from marts.mart_lead_source_roi
        order by lead_source, month
        """,
        "xy",
        {
            "x": "lead_source",
            "x_sort": "-spend",
            "barmode": "group",
            "measures": [
                bar("spend", "spend"),
                bar("bookings", "bookings_amount"),
                ratio(
                    "cost per lead",
                    ["spend"],
                    ["leads"],
                    y2=True,
                    markers_only=True,
                    format=",.0f",
                ),
            ],
        },
        ("period",),
        "Marketing spend of the channel matching the source, and bookings of the source's deals "
        "won, in the months shown; cost per lead = spend / leads created (right axis); "
        "unattributed = spend of a channel no lead or deal came from.",
    ),
    Chart(
        "activity_volume",
        "activity",
        "How many activities do reps log each week?",
        "mart_activity_volume",
        f"""
        select
            strftime(volume.period_week, '%Y-%m-%d') as week,
            strftime(volume.period_week, '%Y-%m') as month,
            volume.activity_type,
            coalesce(users.team, 'unknown') as team,
            sum(volume.activity_count) as activity_count
        from marts.mart_activity_volume as volume
        {users_join("volume.user_id")}
        group by all
        order by week, activity_type, team
        """,
        "xy",
        {
            "x": "week",
            "series": "activity_type",
            "barmode": "relative",
            "measures": [bar("activities", "activity_count")],
        },
        ("team", "period"),
        "Activities by the week's Monday, stacked by type; the period filter keeps the weeks "
        "whose Monday is in the months chosen.",
    ),
    Chart(
        "account_engagement",
        "activity",
        "How many conversations do we have with our accounts each month?",
        "mart_account_engagement",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            sum(conversations) as conversations,
            count(*) filter (where conversations > 0) as accounts_in_conversation
        from marts.mart_account_engagement
        group by 1
        order by 1
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                bar("conversations", "conversations"),
                ratio(
                    "conversations per account talked to",
                    ["conversations"],
                    ["accounts_in_conversation"],
                    y2=True,
                    format=".1f",
                ),
            ],
        },
        ("period",),
        "Conversations = connected calls (or a meeting booked), meetings and demos.",
    ),
    Chart(
        "presales_utilization",
        "presales",
        "How busy is each sales engineer?",
        "mart_presales",
        f"""
        select
            {rep("presales.se_user_id")} as engineer,
            strftime(presales.period_month, '%Y-%m') as month,
            presales.hours_logged,
            -- the month's standard hours (var standard_monthly_hours), the same on every row
            max(presales.hours_logged / nullif(presales.utilization, 0)) over () as capacity_hours
        from marts.mart_presales as presales
        {users_join("presales.se_user_id")}
        order by engineer, month
        """,
        "xy",
        {
            "x": "engineer",
            "x_sort": "-hours_logged",
            "measures": [
                ratio("utilization", ["hours_logged"], ["capacity_hours"], type="bar"),
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
                ratio("attach rate", ["closed_with_presales_count"], ["closed_count"]),
                bar("closed deals", "closed_count", y2=True, opacity=0.3),
            ],
        },
        ("period",),
        "Attach rate = closed deals with a presales owner / closed deals.",
    ),
    Chart(
        "presales_outcomes",
        "presales",
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
            "measures": [ratio("win rate", ["won_count"], ["won_count", "not_won_count"])],
        },
        ("period",),
        "Win rate = won / (won + lost + qualified out), by closing month.",
    ),
    Chart(
        "presales_time",
        "presales",
        "How much of presales time goes to deals?",
        "mart_presales_time",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            sum(revenue_hours) as revenue_hours,
            sum(hours - revenue_hours) as other_hours,
            sum(hours) as hours
        from marts.mart_presales_time
        group by 1
        order by 1
        """,
        "xy",
        {
            "x": "month",
            "barmode": "relative",
            "measures": [
                bar("hours on deals", "revenue_hours"),
                bar("other hours", "other_hours"),
                ratio("share on deals", ["revenue_hours"], ["hours"], y2=True),
            ],
        },
        ("period",),
        "Sales engineers' hours; on deals = activities linked to an opportunity.",
    ),
    Chart(
        "presales_managers",
        "presales",
        "How loaded is each presales manager's team?",
        "mart_presales_managers",
        f"""
        select
            {rep("managers.manager_id")} as manager,
            strftime(managers.period_month, '%Y-%m') as month,
            managers.total_hours,
            -- the reports' standard hours: direct reports x var standard_monthly_hours, the
            -- latter read back from the mart (avg_utilization = hours / that)
            managers.direct_report_count * max(
                managers.total_hours
                / nullif(managers.avg_utilization * managers.direct_report_count, 0)
            ) over () as capacity_hours
        from marts.mart_presales_managers as managers
        {users_join("managers.manager_id")}
        order by manager, month
        """,
        "xy",
        {
            "x": "manager",
            "x_sort": "-total_hours",
            "measures": [
                ratio("team utilization", ["total_hours"], ["capacity_hours"], type="bar"),
            ],
        },
        ("period",),
        "Hours logged by the manager's sales engineers / their standard hours, over the months "
        "shown.",
    ),
    Chart(
        "presales_deal_effort",
        "presales",
        "Do won deals get more presales hours than lost ones?",
        "mart_presales_deal_effort",
        f"""
        select
            strftime(effort.closed_at, '%Y-%m') as month,
            effort.outcome_detail,
            case effort.outcome_detail when 'won' then 1 when 'lost' then 2 else 3 end
                as outcome_order,
            effort.segment,
            coalesce(users.team, 'unknown') as team,
            sum(effort.se_hours) as se_hours,
            count(*) as deal_count
        from marts.mart_presales_deal_effort as effort
        {users_join("effort.owner_id")}
        group by all
        order by month, outcome_detail, segment, team
        """,
        "xy",
        {
            "x": "outcome_detail",
            "x_order": "outcome_order",
            "measures": [
                ratio("SE hours per deal", ["se_hours"], ["deal_count"], type="bar", format=".1f"),
                line("closed deals", "deal_count", y2=True, markers_only=True),
            ],
        },
        ("segment", "team", "period"),
        "Closed deals with a presales owner, in the months shown (by closing month): sales "
        "engineers' hours on the deals / deals; qualified out = lost without passing the first "
        "open stage.",
    ),
    Chart(
        "presales_deliverables",
        "presales",
        "In which stages does presales work go to deals we win and lose?",
        "mart_presales_deliverables",
        """
        select stage_name, stage_order, outcome, activity_type, hours
        from marts.mart_presales_deliverables
        order by stage_order, stage_name, outcome, activity_type
        """,
        "xy",
        {
            "x": "stage_name",
            "x_order": "stage_order",
            "series": "outcome",
            "colors": {"won": "#2ca02c", "lost": "#d62728"},
            "barmode": "group",
            "measures": [bar("hours", "hours")],
        },
        (),
        "Sales engineers' demo, POC, RFP and meeting hours on closed deals, by the stage the deal "
        "was in at the time (lost includes qualified out).",
    ),
)
