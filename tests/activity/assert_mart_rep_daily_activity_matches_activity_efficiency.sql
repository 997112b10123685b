{#
    mart_rep_daily_activity summed over a user's month equals mart_activity_efficiency on every
    column they share: calls = dials, connects, emails, responses, meetings_booked and
    meetings_held = meetings. A month present in only one of them must be all zeros in the
    other's terms. Returns the disagreeing user-months.
#}
with

daily as (
    select
        user_id,
        cast({{ dbt.date_trunc('month', 'activity_date') }} as date) as period_month,
        sum(calls) as calls,
        sum(connects) as connects,
        sum(emails) as emails,
        sum(responses) as responses,
        sum(meetings_booked) as meetings_booked,
        sum(meetings_held) as meetings_held
    from {{ ref('mart_rep_daily_activity') }}
    group by 1, 2
),

monthly as (
    select user_id, period_month, dials, connects, emails, responses, meetings_booked, meetings
    from {{ ref('mart_activity_efficiency') }}
),

compared as (
    select
        coalesce(daily.user_id, monthly.user_id) as user_id,
        coalesce(daily.period_month, monthly.period_month) as period_month,
        coalesce(daily.calls, 0) as daily_calls,
        coalesce(monthly.dials, 0) as monthly_dials,
        coalesce(daily.connects, 0) as daily_connects,
        coalesce(monthly.connects, 0) as monthly_connects,
        coalesce(daily.emails, 0) as daily_emails,
        coalesce(monthly.emails, 0) as monthly_emails,
        coalesce(daily.responses, 0) as daily_responses,
        coalesce(monthly.responses, 0) as monthly_responses,
        coalesce(daily.meetings_booked, 0) as daily_meetings_booked,
        coalesce(monthly.meetings_booked, 0) as monthly_meetings_booked,
        coalesce(daily.meetings_held, 0) as daily_meetings_held,
        coalesce(monthly.meetings, 0) as monthly_meetings
    from daily
    full outer join monthly
        on daily.user_id = monthly.user_id and daily.period_month = monthly.period_month
)

select *
from compared
where
    daily_calls <> monthly_dials
    or daily_connects <> monthly_connects
    or daily_emails <> monthly_emails
    or daily_responses <> monthly_responses
    or daily_meetings_booked <> monthly_meetings_booked
    or daily_meetings_held <> monthly_meetings
