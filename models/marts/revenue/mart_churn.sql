{#
    One row per month of mart_mrr_movements (dense, first MRR month to the as-of month): logo
    and revenue churn of the month, and trailing-twelve-month revenue retention of the
    customers that paid twelve months earlier. See _revenue__kpis__models.yml.
#}
with

movements as (
    select
        period_month,
        starting_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        customers_start,
        churned_customers
    from {{ ref('mart_mrr_movements') }}
),

fct_mrr as (
    select account_id, period_month, mrr
    from {{ ref('fct_mrr') }}
),

paying_then as (
    select
        account_id,
        period_month as then_month,
        cast({{ dbt.dateadd('month', 12, 'period_month') }} as date) as period_month,
        mrr as mrr_then
    from fct_mrr
    where mrr > 0
),

{# A customer without a row twelve months later (churned, not back) has MRR 0 now. #}
ttm_by_customer as (
    select
        paying_then.period_month,
        paying_then.account_id,
        paying_then.mrr_then,
        coalesce(fct_mrr.mrr, 0) as mrr_now
    from paying_then
    left join fct_mrr
        on
            paying_then.account_id = fct_mrr.account_id
            and paying_then.period_month = fct_mrr.period_month
),

ttm_by_month as (
    select
        period_month,
        sum(mrr_then) as mrr_then,
        sum(mrr_now) as mrr_now,
        sum(case when mrr_now < mrr_then then mrr_now else mrr_then end) as mrr_now_capped
    from ttm_by_customer
    group by 1
),

final as (
    select
        movements.period_month,
        movements.customers_start,
        movements.churned_customers,
        movements.starting_mrr,
        cast(movements.churned_customers as {{ crm_double_type() }})
        / nullif(movements.customers_start, 0) as logo_churn_rate,
        cast(-(movements.churned_mrr + movements.contraction_mrr) as {{ crm_double_type() }})
        / nullif(movements.starting_mrr, 0) as gross_revenue_churn_rate,
        cast(
            movements.starting_mrr + movements.expansion_mrr
            + movements.contraction_mrr + movements.churned_mrr
            as {{ crm_double_type() }}
        ) / nullif(movements.starting_mrr, 0) as net_revenue_retention,
        cast(
            movements.starting_mrr + movements.contraction_mrr + movements.churned_mrr
            as {{ crm_double_type() }}
        ) / nullif(movements.starting_mrr, 0) as gross_revenue_retention,
        {{ crm_money('coalesce(ttm_by_month.mrr_then, 0)') }} as ttm_starting_mrr,
        cast(ttm_by_month.mrr_now as {{ crm_double_type() }})
        / nullif(ttm_by_month.mrr_then, 0) as ttm_net_revenue_retention,
        cast(ttm_by_month.mrr_now_capped as {{ crm_double_type() }})
        / nullif(ttm_by_month.mrr_then, 0) as ttm_gross_revenue_retention
    from movements
    left join ttm_by_month
        on movements.period_month = ttm_by_month.period_month
)

select * from final
