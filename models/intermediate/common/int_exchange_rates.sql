{#
    One row per currency × rate period: the rate of rate_date holds from rate_date until the next
    rate_date of the currency (half-open), so an amount converts with the latest rate on or
    before its date. The reporting currency (var reporting_currency) always converts at 1.
#}
with

rates as (
    select currency_code, rate_date, rate_to_reporting
    from {{ ref('int_exchange_rates_accepted') }}
    where currency_code <> '{{ var("reporting_currency") }}'
),

ranged as (
    select
        currency_code,
        rate_date as valid_from,
        lead(rate_date) over (partition by currency_code order by rate_date) as valid_to,
        rate_to_reporting
    from rates
),

reporting_currency as (
    select
        '{{ var("reporting_currency") }}' as currency_code,
        cast('1900-01-01' as date) as valid_from,
        cast(null as date) as valid_to,
        cast(1 as {{ crm_double_type() }}) as rate_to_reporting
),

final as (
    select * from ranged
    union all
    select * from reporting_currency
)

select * from final
