{#- Accepted accounts rows: the only place a model filters out rejected rows. -#}
select
    account_id,
    account_name,
    industry,
    employee_count,
    country,
    segment,
    owner_id,
    created_at
from {{ ref('int_accounts_validated') }}
where reject_reason is null
