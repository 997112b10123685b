{#
    One row per accepted activity up to the end of the as-of date, with what the activity
    and presales marts classify it by, each rule in one place: the account it touches (its own
    account_id, else its deal's), its user's role, minutes and hours (a null duration counts
    0), whether it is a connected call and whether it is a conversation. See _presales__models.yml.

    The as-of filter comes last, after the joins. DuckDB estimates a comparison with the
    one-row as_of as keeping almost no row; run first, it made the joins below build their
    hash tables on every activity instead of on the users and deals, and at 30M activities
    the marts reading this view ran out of memory (mart_presales_time at 6 GB).
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

activities as (
    select
        activity_id, user_id, activity_type, outcome, activity_at, duration_minutes,
        opportunity_id, account_id
    from {{ ref('fct_activities') }}
),

users as (
    select user_id, role from {{ ref('dim_users') }}
),

opportunities as (
    select opportunity_id, account_id from {{ ref('fct_opportunities') }}
),

classified as (
    select
        activities.activity_id,
        activities.user_id,
        users.role as user_role,
        activities.activity_type,
        activities.outcome,
        activities.activity_at,
        activities.opportunity_id,
        coalesce(activities.account_id, opportunities.account_id) as account_id,
        cast(coalesce(activities.duration_minutes, 0) as {{ crm_double_type() }}) as minutes,
        cast(coalesce(activities.duration_minutes, 0) as {{ crm_double_type() }})
        / 60 as hours,
        coalesce(
            activities.activity_type = 'call'
            and activities.outcome in ('connected', 'meeting_booked'),
            false
        ) as is_connected_call,
        coalesce(
            activities.activity_type in ('meeting', 'demo')
            or (
                activities.activity_type = 'call'
                and activities.outcome in ('connected', 'meeting_booked')
            ),
            false
        ) as is_conversation
    from activities
    left join users
        on activities.user_id = users.user_id
    left join opportunities
        on activities.opportunity_id = opportunities.opportunity_id
),

final as (
    select classified.*
    from classified
    cross join as_of
    where classified.activity_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
)

select * from final
