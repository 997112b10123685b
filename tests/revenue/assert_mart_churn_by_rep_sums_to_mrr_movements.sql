{#
    mart_churn_by_rep summed over owners equals mart_mrr_movements in every month (customers at
    the start, churned customers, starting, churned and contraction MRR; 0 where the month has
    no owner row), and has no month mart_mrr_movements lacks. Returns the disagreements.
#}
with

by_rep as (
    select
        period_month,
        sum(customers_start) as customers_start,
        sum(churned_customers) as churned_customers,
        sum(starting_mrr) as starting_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(contraction_mrr) as contraction_mrr
    from {{ ref('mart_churn_by_rep') }}
    group by 1
),

movements as (
    select
        period_month,
        customers_start,
        churned_customers,
        starting_mrr,
        churned_mrr,
        contraction_mrr
    from {{ ref('mart_mrr_movements') }}
),

compared as (
    select
        coalesce(movements.period_month, by_rep.period_month) as period_month,
        movements.period_month is null as is_missing_in_movements,
        movements.customers_start - coalesce(by_rep.customers_start, 0) as customers_start_gap,
        movements.churned_customers - coalesce(by_rep.churned_customers, 0)
            as churned_customers_gap,
        movements.starting_mrr - coalesce(by_rep.starting_mrr, 0) as starting_mrr_gap,
        movements.churned_mrr - coalesce(by_rep.churned_mrr, 0) as churned_mrr_gap,
        movements.contraction_mrr - coalesce(by_rep.contraction_mrr, 0) as contraction_mrr_gap
    from movements
    full outer join by_rep
        on movements.period_month = by_rep.period_month
)

select *
from compared
where
    is_missing_in_movements
    or customers_start_gap <> 0
    or churned_customers_gap <> 0
    or starting_mrr_gap <> 0
    or churned_mrr_gap <> 0
    or contraction_mrr_gap <> 0
