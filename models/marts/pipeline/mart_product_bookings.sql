{#
    One row per product × period_month of the deal's final closed_at with at least one line
    item on a won deal (sparse): bookings by product. Line items are converted at the rate of
    the deal's created_at date (int_opportunity_line_items_converted); a line with a null
    quantity or unit_price counts its deal and quantity but not in the amount. Line-item
    bookings need not equal mart_bookings (deal amounts and line items differ in real data).
    See _pipeline__customers__models.yml.
#}
with

opportunities as (
    select opportunity_id, closed_at
    from {{ ref('fct_opportunities') }}
    where outcome = 'won'
),

line_items as (
    select opportunity_id, product_id, quantity, line_amount
    from {{ ref('int_opportunity_line_items_converted') }}
),

products as (
    select product_id, product_name, product_family from {{ ref('dim_products') }}
),

won_lines as (
    select
        line_items.product_id,
        cast({{ dbt.date_trunc('month', 'opportunities.closed_at') }} as date) as period_month,
        line_items.opportunity_id,
        line_items.quantity,
        line_items.line_amount
    from line_items
    inner join opportunities
        on line_items.opportunity_id = opportunities.opportunity_id
),

product_months as (
    select
        product_id,
        period_month,
        count(distinct opportunity_id) as won_deal_count,
        sum(quantity) as quantity,
        {{ crm_money('coalesce(sum(line_amount), 0)') }} as bookings_amount
    from won_lines
    group by 1, 2
),

shared as (
    select
        product_months.*,
        sum(product_months.bookings_amount) over (
            partition by product_months.period_month
        ) as month_bookings_amount
    from product_months
),

final as (
    select
        shared.product_id,
        shared.period_month,
        products.product_name,
        coalesce(products.product_family, 'unknown') as product_family,
        cast(shared.won_deal_count as bigint) as won_deal_count,
        cast(shared.quantity as {{ crm_double_type() }}) as quantity,
        shared.bookings_amount,
        cast(shared.bookings_amount as {{ crm_double_type() }})
        / nullif(shared.month_bookings_amount, 0) as share_of_month
    from shared
    left join products
        on shared.product_id = products.product_id
)

select * from final
