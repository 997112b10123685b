"""Recurring revenue (SaaS): MRR movements, retention, cohorts and unit economics.

Marts of models/marts/revenue. Each chart reads one mart; add one by declaring a `Chart` in
`CHARTS` with a section key of `SECTIONS` (see the package docstring).
"""

from __future__ import annotations

from crm_metrics.report.core import REPS_SHOWN, Chart, bar, line, ratio, rep, users_join

SECTIONS = (("revenue", "Recurring revenue (SaaS)"),)

CHARTS: tuple[Chart, ...] = (
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
                line("net revenue retention", "net_revenue_retention", format=".0%"),
                line("logo churn rate", "logo_churn_rate", y2=True, format=".1%"),
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
                bar("CAC (marketing spend / new customers)", "marketing_cac"),
                line("payback (months)", "cac_payback_months", y2=True, format=".1f"),
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
                line("LTV:CAC", "ltv_to_cac", format=".1f"),
                line("quick ratio", "quick_ratio", format=".1f"),
            ],
            "reference": 3,
        },
        ("period",),
        "Quick ratio = (new + expansion + reactivation MRR) / (contraction + churned MRR); "
        "the dashed line marks 3.",
    ),
    Chart(
        "churn_by_rep",
        "revenue",
        "Whose accounts churn?",
        "mart_churn_by_rep",
        f"""
        select
            {rep("churn.owner_id")} as rep,
            coalesce(users.team, 'unknown') as team,
            strftime(churn.period_month, '%Y-%m') as month,
            churn.customers_start,
            churn.churned_customers,
            churn.starting_mrr,
            -(churn.churned_mrr + churn.contraction_mrr) as lost_mrr
        from marts.mart_churn_by_rep as churn
        {users_join("churn.owner_id")}
        order by rep, month
        """,
        "xy",
        {
            "x": "rep",
            "x_sort": "-starting_mrr",
            "x_limit": REPS_SHOWN,
            "barmode": "group",
            "measures": [
                ratio(
                    "logo churn",
                    ["churned_customers"],
                    ["customers_start"],
                    type="bar",
                    format=".1%",
                ),
                ratio("gross revenue churn", ["lost_mrr"], ["starting_mrr"], type="bar"),
            ],
        },
        ("team", "period"),
        "By the account's current owner, over the months shown: logo churn = churned accounts / "
        "accounts paying at the month's start, gross revenue churn = MRR churned and contracted / "
        f"starting MRR (both summed over the months). The {REPS_SHOWN} owners with the most "
        "starting MRR; filter by team to see others.",
    ),
    Chart(
        "product_penetration",
        "revenue",
        "What share of paying accounts holds each product?",
        "mart_product_penetration",
        """
        select
            -- the product's name; with the id where products share a name (never summed as one)
            case
                when penetration.product_name is null then penetration.product_id
                when shared.product_name is null then penetration.product_name
                else penetration.product_name || ' (' || penetration.product_id || ')'
            end as product,
            strftime(penetration.period_month, '%Y-%m') as month,
            penetration.accounts_with_product,
            penetration.paying_accounts
        from marts.mart_product_penetration as penetration
        left join (
            select product_name
            from marts.mart_product_penetration
            group by product_name
            having count(distinct product_id) > 1
        ) as shared on shared.product_name = penetration.product_name
        order by product, month
        """,
        "xy",
        {
            "x": "month",
            "series": "product",
            "measures": [
                ratio("penetration", ["accounts_with_product"], ["paying_accounts"]),
            ],
        },
        ("period",),
        "Penetration = accounts holding the product on the month's first day / accounts paying "
        "that month (an account holding only a free subscription counts as holding it).",
    ),
)
