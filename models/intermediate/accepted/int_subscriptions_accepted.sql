{#- Accepted subscriptions rows: the only place a model filters out rejected rows. -#}
select
    subscription_id,
    account_id,
    product_id,
    start_date,
    end_date,
    mrr_amount,
    currency_code
from {{ ref('int_subscriptions_validated') }}
where reject_reason is null
