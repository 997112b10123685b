{#- Accepted marketing_spend rows: the only place a model filters out rejected rows. -#}
select
    period_month,
    channel,
    spend
from {{ ref('int_marketing_spend_validated') }}
where reject_reason is null
