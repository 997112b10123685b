{#
    One row per accepted user: the months they count as active, the one rule for "active" of the
    presales marts (mart_presales_summary, mart_presales_managers). The raw data has no leaving
    date: a user is active from the month of hired_on (always, when empty) through the as-of
    date when is_active is true or empty, and through the month of their last activity (up to
    the as-of date) when is_active is false (never, without activity).
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

users as (
    select user_id, role, manager_id, hired_on, is_active from {{ ref('dim_users') }}
),

activities as (
    select user_id, activity_at from {{ ref('fct_activities') }}
),

last_activity as (
    select
        activities.user_id,
        cast({{ dbt.date_trunc('month', 'max(activities.activity_at)') }} as date)
            as last_activity_month
    from activities
    cross join as_of
    where activities.activity_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
    group by 1
),

final as (
    select
        users.user_id,
        users.role,
        users.manager_id,
        cast({{ dbt.date_trunc('month', 'users.hired_on') }} as date) as first_active_month,
        case
            when users.is_active is null or users.is_active then as_of.as_of_date
            else last_activity.last_activity_month
        end as last_active_date
    from users
    cross join as_of
    left join last_activity
        on users.user_id = last_activity.user_id
)

select * from final
