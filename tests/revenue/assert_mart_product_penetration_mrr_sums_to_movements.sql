{#
    mart_product_penetration.mrr summed over a month's products equals mart_mrr_movements'
    ending_mrr (fct_mrr sums the same active subscriptions), 0 in months without product rows,
    and every month's paying_accounts equals mart_mrr_movements.customers_end (a month
    before the first paying one may hold only subscriptions at MRR 0). Returns the
    disagreements.
#}
with

by_month as (
    select
        period_month,
        sum(mrr) as mrr,
        min(paying_accounts) as paying_accounts,
        max(paying_accounts) as max_paying_accounts
    from {{ ref('mart_product_penetration') }}
    group by 1
),

movements as (
    select period_month, ending_mrr, customers_end
    from {{ ref('mart_mrr_movements') }}
)

select
    coalesce(movements.period_month, by_month.period_month) as period_month,
    movements.ending_mrr,
    by_month.mrr,
    movements.customers_end,
    by_month.paying_accounts
from movements
full outer join by_month
    on movements.period_month = by_month.period_month
where
    (movements.period_month is null and (by_month.mrr <> 0 or by_month.paying_accounts <> 0))
    or movements.ending_mrr <> coalesce(by_month.mrr, 0)
    or by_month.paying_accounts <> movements.customers_end
    or by_month.paying_accounts <> by_month.max_paying_accounts
