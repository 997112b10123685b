{#
    One row per month from the month of the first usage event to the as-of month (dense): product
    usage, "logins", "session duration", "DAU and MAU". dau is the month's distinct (user, day)
    pairs divided by the month's days up to the as-of date, so days without events count 0
    without a user × day row. See _activity__product__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

events as (
    select product_user_id, account_id, event_date, period_month, event_type, duration_minutes
    from {{ ref('int_usage_events_as_of') }}
),

product_users as (
    select signed_up_at from {{ ref('int_product_users_as_of') }}
),

month_bounds as (
    select
        min(events.period_month) as first_month,
        min(as_of.as_of_date) as as_of_date
    from events
    cross join as_of
),

months as (
    {{ crm_spine_months('month_bounds', 'month_bounds.first_month', 'month_bounds.as_of_date') }}
),

user_days as (
    select distinct product_user_id, event_date, period_month
    from events
),

user_days_by_month as (
    select period_month, count(*) as user_days
    from user_days
    group by 1
),

usage_by_month as (
    select
        period_month,
        count(distinct product_user_id) as active_users,
        count(distinct account_id) as active_accounts,
        count(case when event_type = 'login' then 1 end) as logins,
        count(case when event_type = 'session' then 1 end) as sessions,
        avg(case when event_type = 'session' then duration_minutes end) as avg_session_minutes
    from events
    group by 1
),

signups_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'signed_up_at') }} as date) as period_month,
        count(*) as new_signups
    from product_users
    group by 1
),

{# the month's days up to the as-of date: the whole month before the as-of month #}
month_days as (
    select
        months.period_month,
        {{ dbt.datediff(
            'months.period_month',
            'least(months.next_month_start, cast(' ~ dbt.dateadd('day', 1, 'as_of.as_of_date') ~ ' as date))',
            'day'
        ) }} as days_counted
    from months
    cross join as_of
),

combined as (
    select
        month_days.period_month,
        coalesce(usage_by_month.active_users, 0) as active_users,
        coalesce(usage_by_month.active_accounts, 0) as active_accounts,
        cast(coalesce(user_days_by_month.user_days, 0) as {{ crm_double_type() }})
        / month_days.days_counted as dau,
        coalesce(usage_by_month.logins, 0) as logins,
        coalesce(usage_by_month.sessions, 0) as sessions,
        usage_by_month.avg_session_minutes,
        coalesce(signups_by_month.new_signups, 0) as new_signups
    from month_days
    left join usage_by_month
        on month_days.period_month = usage_by_month.period_month
    left join user_days_by_month
        on month_days.period_month = user_days_by_month.period_month
    left join signups_by_month
        on month_days.period_month = signups_by_month.period_month
),

final as (
    select
        period_month,
        cast(active_users as bigint) as active_users,
        cast(active_accounts as bigint) as active_accounts,
        cast(dau as {{ crm_double_type() }}) as dau,
        cast(active_users as bigint) as mau,
        cast(dau / nullif(active_users, 0) as {{ crm_double_type() }}) as stickiness,
        cast(logins as bigint) as logins,
        cast(sessions as bigint) as sessions,
        cast(avg_session_minutes as {{ crm_double_type() }}) as avg_session_minutes,
        cast(new_signups as bigint) as new_signups
    from combined
)

select * from final
