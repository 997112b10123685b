{#
    One row per accepted activity up to the end of the as-of date, with what the v4 activity
    and presales marts classify it by, each rule in one place: the account it touches (its own
    account_id, else its deal's), its user's role, minutes and hours (a null duration counts
    0), whether it is a connected call and whether it is a conversation. See _presales__models.yml.
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

in_window as (
    select activities.*
    from activities
    cross join as_of
    where activities.activity_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
),

final as (
    select
        in_window.activity_id,
        in_window.user_id,
        users.role as user_role,
        in_window.activity_type,
        in_window.outcome,
        in_window.activity_at,
        in_window.opportunity_id,
        coalesce(in_window.account_id, opportunities.account_id) as account_id,
        cast(coalesce(in_window.duration_minutes, 0) as {{ crm_double_type() }}) as minutes,
        cast(coalesce(in_window.duration_minutes, 0) as {{ crm_double_type() }})
        / 60 as hours,
        coalesce(
            in_window.activity_type = 'call'
            and in_window.outcome in ('connected', 'meeting_booked'),
            false
        ) as is_connected_call,
        coalesce(
            in_window.activity_type in ('meeting', 'demo')
            or (
                in_window.activity_type = 'call'
                and in_window.outcome in ('connected', 'meeting_booked')
            ),
            false
        ) as is_conversation
    from in_window
    left join users
        on in_window.user_id = users.user_id
    left join opportunities
        on in_window.opportunity_id = opportunities.opportunity_id
)

select * from final
