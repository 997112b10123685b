"""Recurring revenue (SaaS): MRR movements, retention, cohorts and unit economics.

Marts of models/marts/revenue. Each chart reads one mart; add one by declaring a `Chart` in
`CHARTS` with a section key of `SECTIONS` (see the package docstring).
"""

from __future__ import annotations

from crm_metrics.report.core import Chart, bar, line

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
)
