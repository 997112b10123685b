{#- One row per accepted activity. -#}
with

activities as (
    select
        activity_id,
        user_id,
        activity_type,
        outcome,
        activity_at,
        duration_minutes,
        opportunity_id,
        lead_id,
        account_id,
        contact_id
    from {{ ref('int_activities_validated') }}
    where reject_reason is null
),

final as (
    select
        activity_id,
        user_id,
        activity_type,
        outcome,
        activity_at,
        cast(activity_at as date) as activity_date,
        duration_minutes,
        opportunity_id,
        lead_id,
        account_id,
        contact_id
    from activities
)

select * from final
