"""Product and support: how customers use the product, how new users activate and stay, the
support load, and account health.

Marts of models/marts/activity built from the product and support tables (product_users,
usage_events, support_tickets). Each chart reads one mart; add one by declaring a `Chart` in
`CHARTS` with a section key of `SECTIONS` (see the package docstring).
"""

from __future__ import annotations

from crm_metrics.report.core import Chart, bar, line, ratio

SECTIONS = (("product", "Product usage, activation, support and account health"),)

CHARTS: tuple[Chart, ...] = (
    Chart(
        "product_usage",
        "product",
        "How many users are active, and how often do they come back?",
        "mart_product_usage",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            mau,
            dau
        from marts.mart_product_usage
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                bar("monthly active users", "mau", opacity=0.5),
                line("daily active users (mean)", "dau"),
                ratio("DAU/MAU (stickiness)", ["dau"], ["mau"], y2=True),
            ],
        },
        ("period",),
        "Monthly active users = distinct users with a usage event in the month; daily active "
        "users = the mean over the month's days (to the as-of date) of the users active that "
        "day; stickiness = DAU / MAU (right axis).",
    ),
    Chart(
        "activation",
        "product",
        "Do new users activate within 48 hours, and do they stay?",
        "mart_activation",
        """
        select
            strftime(signup_week, '%Y-%m-%d') as week,
            strftime(signup_week, '%Y-%m') as month,
            new_users,
            activated_48h,
            churn_eligible,
            churned_30d
        from marts.mart_activation
        order by signup_week
        """,
        "xy",
        {
            "x": "week",
            "measures": [
                bar("new users", "new_users", opacity=0.5),
                ratio("activation velocity", ["activated_48h"], ["new_users"], y2=True),
                ratio("new user churn", ["churned_30d"], ["churn_eligible"], y2=True),
            ],
        },
        ("period",),
        "By the week (its Monday) the users signed up: activation velocity = users activated "
        "within 48 hours / new users; new user churn = activated users without a usage event 30 "
        "to 60 days after activating / those whose 60 days have passed (right axis). The period "
        "filter keeps the weeks whose Monday is in the months chosen.",
    ),
    Chart(
        "support_load",
        "product",
        "How many support tickets come in, and how many stay open?",
        "mart_support_load",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            tickets_opened,
            tickets_closed,
            open_at_month_end,
            active_accounts
        from marts.mart_support_load
        order by period_month
        """,
        "xy",
        {
            "x": "month",
            "barmode": "group",
            "measures": [
                bar("opened", "tickets_opened"),
                bar("closed", "tickets_closed"),
                line("open at month end", "open_at_month_end"),
                ratio(
                    "tickets per active account",
                    ["tickets_opened"],
                    ["active_accounts"],
                    y2=True,
                    markers_only=True,
                    format=".2f",
                ),
            ],
        },
        ("period",),
        "Tickets by the month they were opened and closed; tickets per active account = tickets "
        "opened / accounts with a product user active that month (right axis).",
    ),
    Chart(
        "account_health",
        "product",
        "How healthy are our accounts?",
        "mart_account_health",
        """
        select
            strftime(period_month, '%Y-%m') as month,
            sum(health_score) as health_score_sum,
            count(health_score) as scored_accounts,
            count(*) filter (where health_score < 50) as low_health_accounts
        from marts.mart_account_health
        group by 1
        order by 1
        """,
        "xy",
        {
            "x": "month",
            "measures": [
                ratio(
                    "mean health score",
                    ["health_score_sum"],
                    ["scored_accounts"],
                    format=".0f",
                ),
                bar("accounts scored", "scored_accounts", y2=True, opacity=0.3),
                bar("accounts below 50", "low_health_accounts", y2=True, opacity=0.6),
            ],
        },
        ("period",),
        "Health score (0-100) = 100 x the mean of the usage, engagement, support and revenue "
        "components an account has; the line is the mean over the accounts scored in the month, "
        "the bars (right axis) count the accounts scored and those scoring below 50.",
    ),
)
