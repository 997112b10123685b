{#- Accepted targets rows: the only place a model filters out rejected rows. -#}
select
    user_id,
    period_month,
    metric,
    target_value
from {{ ref('int_targets_validated') }}
where reject_reason is null
