{#
    One row per owner_id (the account's current owner) × period_month in which the owner's
    accounts had MRR at the start (sparse): mart_mrr_movements' and mart_churn's churn columns
    restricted to the owner's accounts. See _revenue__churn_by_rep__models.yml.
#}
with

fct_mrr as (
    select account_id, period_month, previous_mrr, mrr_change, change_category
    from {{ ref('fct_mrr') }}
),

accounts as (
    select account_id, owner_id
    from {{ ref('dim_accounts') }}
),

{#
    An account row of month M with previous_mrr > 0 is an account paying in M - 1 (fct_mrr has
    a row for every paying month and the month after the last one), so previous_mrr summed over
    the owner's rows of M is the owner's MRR at the start of M, as mart_mrr_movements'
    starting_mrr is the previous month's ending MRR.
#}
account_months as (
    select
        coalesce(accounts.owner_id, 'unknown') as owner_id,
        fct_mrr.period_month,
        fct_mrr.previous_mrr,
        fct_mrr.mrr_change,
        fct_mrr.change_category
    from fct_mrr
    left join accounts
        on fct_mrr.account_id = accounts.account_id
),

by_owner_month as (
    select
        owner_id,
        period_month,
        count(case when previous_mrr > 0 then 1 end) as customers_start,
        count(case when change_category = 'churn' then 1 end) as churned_customers,
        sum(case when previous_mrr > 0 then previous_mrr else 0 end) as starting_mrr,
        sum(case when change_category = 'churn' then mrr_change else 0 end) as churned_mrr,
        sum(
            case when change_category = 'contraction' then mrr_change else 0 end
        ) as contraction_mrr
    from account_months
    group by 1, 2
),

final as (
    select
        owner_id,
        period_month,
        cast(customers_start as bigint) as customers_start,
        cast(churned_customers as bigint) as churned_customers,
        cast(churned_customers as {{ crm_double_type() }})
        / nullif(customers_start, 0) as logo_churn_rate,
        {{ crm_money('starting_mrr') }} as starting_mrr,
        {{ crm_money('churned_mrr') }} as churned_mrr,
        {{ crm_money('contraction_mrr') }} as contraction_mrr,
        cast(-(churned_mrr + contraction_mrr) as {{ crm_double_type() }})
        / nullif(starting_mrr, 0) as gross_revenue_churn_rate
    from by_owner_month
    where customers_start > 0
)

select * from final
