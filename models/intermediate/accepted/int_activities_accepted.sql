{#- Accepted activities rows: the only place a model filters out rejected rows. -#}
select
    activity_id,
    user_id,
    activity_type,
    activity_at,
    outcome,
    duration_minutes,
    lead_id,
    contact_id,
    account_id,
    opportunity_id
from {{ ref('int_activities_validated') }}
where reject_reason is null
