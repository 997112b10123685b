{#
    One row per product_id × period_month with at least one account holding an active
    subscription of the product on the month's first day (sparse): product penetration among
    paying accounts. See _revenue__product_penetration__models.yml.
#}
with

as_of as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
    where as_of_date is not null
),

subscriptions as (
    select account_id, product_id, start_date, end_date, mrr_amount
    from {{ ref('int_subscriptions_converted') }}
),

products as (
    select product_id, product_name, product_family
    from {{ ref('dim_products') }}
),

paying_account_months as (
    select account_id, period_month
    from {{ ref('fct_mrr') }}
    where mrr > 0
),

{# The first month whose first day is on or after a date (the date's month when a 1st). #}
{%- set first_month_from = "cast(" ~ dbt.dateadd(
    'month', 1, dbt.date_trunc('month', dbt.dateadd('day', -1, '{date}'))
) ~ " as date)" %}

{#
    Active on a month's first day: start_date <= day < end_date (fct_mrr's rule), i.e. from the
    first month starting on or after start_date to the month before the first one starting on
    or after end_date. A subscription without product_id is product `unknown`.
#}
active_ranges as (
    select
        account_id,
        coalesce(product_id, 'unknown') as product_id,
        {{ first_month_from | replace('{date}', 'start_date') }} as active_from_month,
        case
            when end_date is not null then {{ first_month_from | replace('{date}', 'end_date') }}
        end as active_until_month,
        mrr_amount
    from subscriptions
),

non_empty_ranges as (
    select *
    from active_ranges
    where active_until_month is null or active_until_month > active_from_month
),

{#
    Per account and product, events (+1 subscription and its MRR when it becomes active, -1
    when it stops) and running sums give the periods the account holds the product; only
    those periods are spread over their months (as int_mrr_by_account_month).
#}
holding_events as (
    select
        account_id,
        product_id,
        active_from_month as period_month,
        1 as subscription_delta,
        mrr_amount as mrr_delta
    from non_empty_ranges
    union all
    select
        account_id,
        product_id,
        active_until_month as period_month,
        -1 as subscription_delta,
        -mrr_amount as mrr_delta
    from non_empty_ranges
    where active_until_month is not null
),

holding_deltas as (
    select
        account_id,
        product_id,
        period_month,
        sum(subscription_delta) as subscription_delta,
        sum(mrr_delta) as mrr_delta
    from holding_events
    group by 1, 2, 3
),

holding_levels as (
    select
        account_id,
        product_id,
        period_month as valid_from_month,
        lead(period_month) over (
            partition by account_id, product_id order by period_month
        ) as valid_until_month,
        sum(subscription_delta) over (
            partition by account_id, product_id
            order by period_month
            rows between unbounded preceding and current row
        ) as active_subscriptions,
        sum(mrr_delta) over (
            partition by account_id, product_id
            order by period_month
            rows between unbounded preceding and current row
        ) as mrr
    from holding_deltas
),

holding_months as (
    select
        holding_levels.account_id,
        holding_levels.product_id,
        int_months.period_month,
        holding_levels.mrr
    from holding_levels
    cross join as_of
    inner join {{ ref('int_months') }} as int_months
        on
            holding_levels.valid_from_month <= int_months.period_month
            and (
                holding_levels.valid_until_month > int_months.period_month
                or holding_levels.valid_until_month is null
            )
            and as_of.as_of_month >= int_months.period_month
    where holding_levels.active_subscriptions > 0
),

paying_accounts_by_month as (
    select period_month, count(*) as paying_accounts
    from paying_account_months
    group by 1
),

by_product_month as (
    select
        holding_months.product_id,
        holding_months.period_month,
        count(*) as accounts_with_product,
        count(paying_account_months.account_id) as paying_accounts_with_product,
        sum(holding_months.mrr) as mrr
    from holding_months
    left join paying_account_months
        on
            holding_months.account_id = paying_account_months.account_id
            and holding_months.period_month = paying_account_months.period_month
    group by 1, 2
),

{# (paying account, product) pairs of the month: a product's paying holders, summed. #}
pairs_by_month as (
    select period_month, sum(paying_accounts_with_product) as paying_account_products
    from by_product_month
    group by 1
),

final as (
    select
        by_product_month.product_id,
        by_product_month.period_month,
        products.product_name,
        products.product_family,
        cast(by_product_month.accounts_with_product as bigint) as accounts_with_product,
        cast(coalesce(paying_accounts_by_month.paying_accounts, 0) as bigint)
            as paying_accounts,
        cast(by_product_month.accounts_with_product as {{ crm_double_type() }})
        / nullif(paying_accounts_by_month.paying_accounts, 0) as penetration,
        {{ crm_money('by_product_month.mrr') }} as mrr,
        cast(pairs_by_month.paying_account_products as {{ crm_double_type() }})
        / nullif(paying_accounts_by_month.paying_accounts, 0) as avg_products_per_paying_account
    from by_product_month
    inner join pairs_by_month
        on by_product_month.period_month = pairs_by_month.period_month
    left join paying_accounts_by_month
        on by_product_month.period_month = paying_accounts_by_month.period_month
    left join products
        on by_product_month.product_id = products.product_id
)

select * from final
