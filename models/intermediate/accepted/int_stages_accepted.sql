{#- Accepted stages rows: the only place a model filters out rejected rows. -#}
select
    stage_name,
    stage_order,
    default_probability,
    is_closed,
    is_won
from {{ ref('int_stages_validated') }}
where reject_reason is null
