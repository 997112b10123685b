{#- Accepted exchange_rates rows: the only place a model filters out rejected rows. -#}
select
    currency_code,
    rate_date,
    rate_to_reporting
from {{ ref('int_exchange_rates_validated') }}
where reject_reason is null
