{#- Accepted opportunity_history rows: the only place a model filters out rejected rows. -#}
select
    opportunity_id,
    changed_at,
    stage_name,
    amount,
    close_date,
    changed_by
from {{ ref('int_opportunity_history_validated') }}
where reject_reason is null
