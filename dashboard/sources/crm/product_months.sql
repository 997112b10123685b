-- Product use per month: monthly and mean daily active users (pages divide the sums)
select
    period_month,
    mau,
    dau,
    new_signups
from marts.mart_product_usage
