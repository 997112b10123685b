{{ config(
    post_hook=[
        "{{ crm_assert_rates(this, 'opportunity_line_items', 'line_item_id', 'currency_code', 'deal_created_at', 'line_amount_local', 'rate_to_reporting') }}",
    ]
) }}

{#
    One row per accepted line item, its amount (quantity × unit_price, in the deal's
    currency_code, empty = the reporting currency) converted at the latest rate on or before the
    date of the deal's created_at (raw contract, "Money"). A line with a null quantity or
    unit_price has a null amount. The local amount is exact (unit_price read to 4 decimal places,
    crm_amount_decimal, and the quantity to 4 places below 10^10, so that Spark keeps every
    place of the product); converted, it is rounded to 16 decimal places (Spark
    keeps no more of a product this wide, so every engine is made to do the same) and then once
    to the cent, half away from zero (crm_money). A currency without a rate on that date fails the build
    (post-hook), naming the currency, the date and an example line item.
#}
with

line_items as (
    select line_item_id, opportunity_id, product_id, quantity, unit_price
    from {{ ref('int_opportunity_line_items_accepted') }}
),

opportunities as (
    select opportunity_id, created_at, currency_code
    from {{ ref('int_opportunities_accepted') }}
),

exchange_rates as (
    select currency_code, valid_from, valid_to, rate_to_reporting
    from {{ ref('int_exchange_rates') }}
),

priced as (
    select
        line_items.line_item_id,
        line_items.opportunity_id,
        line_items.product_id,
        line_items.quantity,
        line_items.unit_price,
        opportunities.created_at as deal_created_at,
        coalesce(opportunities.currency_code, '{{ var("reporting_currency") }}') as currency_code,
        cast(
            cast(line_items.quantity as decimal(14, 4))
            * {{ crm_amount_decimal('line_items.unit_price') }}
            as decimal(22, 8)
        ) as line_amount_local
    from line_items
    inner join opportunities
        on line_items.opportunity_id = opportunities.opportunity_id
),

final as (
    select
        priced.line_item_id,
        priced.opportunity_id,
        priced.product_id,
        priced.quantity,
        priced.unit_price,
        priced.deal_created_at,
        priced.currency_code,
        priced.line_amount_local,
        exchange_rates.rate_to_reporting,
        {{ crm_money(
            'cast(priced.line_amount_local * '
            ~ crm_factor_decimal('exchange_rates.rate_to_reporting')
            ~ ' as decimal(38, 16))'
        ) }} as line_amount
    from priced
    left join exchange_rates
        on
            priced.currency_code = exchange_rates.currency_code
            and cast(priced.deal_created_at as date) >= exchange_rates.valid_from
            and (
                cast(priced.deal_created_at as date) < exchange_rates.valid_to
                or exchange_rates.valid_to is null
            )
)

select * from final
