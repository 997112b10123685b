{#
    mart_product_bookings' shares of a month sum to 1 when the month has line-item bookings
    (all null otherwise). Returns the disagreeing months.
#}
with

product_bookings as (
    select period_month, bookings_amount, share_of_month
    from {{ ref('mart_product_bookings') }}
),

months as (
    select
        period_month,
        sum(bookings_amount) as bookings_amount,
        sum(share_of_month) as share_total,
        count(share_of_month) as share_count
    from product_bookings
    group by 1
)

select *
from months
where
    (bookings_amount > 0 and abs(share_total - 1) > 0.000001)
    or (bookings_amount = 0 and share_count > 0)
