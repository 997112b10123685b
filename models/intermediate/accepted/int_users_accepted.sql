{#- Accepted users rows: the only place a model filters out rejected rows. -#}
select
    user_id,
    full_name,
    email,
    role,
    manager_id,
    team,
    segment,
    hired_on,
    is_active
from {{ ref('int_users_validated') }}
where reject_reason is null
