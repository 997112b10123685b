{{ config(
    materialized='table',
    post_hook="{{ crm_assert_rates(this, 'subscriptions', 'subscription_id', 'currency_code', 'start_date', 'mrr_amount_local', 'rate_to_reporting') }}"
) }}

{#
    One row per accepted subscription that starts on or before the as-of date, its
    mrr_amount converted to the reporting currency with the latest rate on or before its
    start_date (raw contract, "Money"): one rate for the subscription's whole life, so
    exchange-rate swings never show up as expansion or contraction. A currency without a rate
    on or before start_date fails the build (post-hook crm_assert_rates). Subscriptions that
    start after the as-of date are the future and are left out.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

subscriptions as (
    select subscription_id, account_id, product_id, start_date, end_date, mrr_amount, currency_code
    from {{ ref('int_subscriptions_accepted') }}
),

exchange_rates as (
    select currency_code, valid_from, valid_to, rate_to_reporting
    from {{ ref('int_exchange_rates') }}
),

started as (
    select
        subscriptions.subscription_id,
        subscriptions.account_id,
        subscriptions.product_id,
        subscriptions.start_date,
        subscriptions.end_date,
        subscriptions.mrr_amount as mrr_amount_local,
        coalesce(subscriptions.currency_code, '{{ var("reporting_currency") }}') as currency_code
    from subscriptions
    cross join as_of
    where subscriptions.start_date <= as_of.as_of_date
),

converted as (
    select
        started.subscription_id,
        started.account_id,
        started.product_id,
        started.start_date,
        started.end_date,
        started.currency_code,
        started.mrr_amount_local,
        exchange_rates.rate_to_reporting,
        {{ crm_money_product('started.mrr_amount_local', 'exchange_rates.rate_to_reporting') }}
            as mrr_amount
    from started
    left join exchange_rates
        on
            started.currency_code = exchange_rates.currency_code
            and started.start_date >= exchange_rates.valid_from
            and (
                started.start_date < exchange_rates.valid_to
                or exchange_rates.valid_to is null
            )
)

select * from converted
