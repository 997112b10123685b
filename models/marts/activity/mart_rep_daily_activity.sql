{#
    One row per user × activity_date with at least one non-zero count (sparse): a rep's day.
    Activity counts follow int_user_month_activity's rules, so a user's days sum to the
    shared columns of mart_activity_efficiency. leads_passed: the user's leads converted that
    day (converted_at) into an accepted deal another user owns (the SDR-to-AE handoff);
    opportunities_created: deals the user owns, by created_at date. Nothing after the as-of
    date. See _activity__daily__models.yml.
#}
with

as_of as (
    select {{ dbt.dateadd('day', 1, 'as_of_date') }} as next_day
    from {{ ref('int_as_of_date') }}
),

activities as (
    select user_id, activity_type, outcome, activity_at, activity_date
    from {{ ref('fct_activities') }}
),

leads as (
    select owner_id, converted_at, converted_opportunity_id
    from {{ ref('int_leads_accepted') }}
),

opportunities as (
    select opportunity_id, owner_id, created_at
    from {{ ref('fct_opportunities') }}
),

activity_days as (
    select
        activities.user_id,
        activities.activity_date,
        count(case when activities.activity_type = 'call' then 1 end) as calls,
        count(
            case
                when
                    activities.activity_type = 'call'
                    and activities.outcome in ('connected', 'meeting_booked')
                    then 1
            end
        ) as connects,
        count(case when activities.activity_type = 'email' then 1 end) as emails,
        count(
            case
                when activities.activity_type = 'email' and activities.outcome = 'replied' then 1
            end
        ) as responses,
        count(case when activities.outcome = 'meeting_booked' then 1 end) as meetings_booked,
        count(
            case when activities.activity_type in ('meeting', 'demo') then 1 end
        ) as meetings_held
    from activities
    cross join as_of
    where activities.activity_at < as_of.next_day
    group by 1, 2
),

passed_days as (
    select
        leads.owner_id as user_id,
        cast(leads.converted_at as date) as activity_date,
        count(*) as leads_passed
    from leads
    inner join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    cross join as_of
    where
        leads.owner_id is not null
        and opportunities.owner_id is not null
        and opportunities.owner_id <> leads.owner_id
        and leads.converted_at < as_of.next_day
    group by 1, 2
),

created_days as (
    select
        opportunities.owner_id as user_id,
        cast(opportunities.created_at as date) as activity_date,
        count(*) as opportunities_created
    from opportunities
    cross join as_of
    where opportunities.owner_id is not null and opportunities.created_at < as_of.next_day
    group by 1, 2
),

user_days as (
    select user_id, activity_date from activity_days
    union
    select user_id, activity_date from passed_days
    union
    select user_id, activity_date from created_days
),

final as (
    select
        user_days.user_id,
        user_days.activity_date,
        cast(coalesce(activity_days.calls, 0) as bigint) as calls,
        cast(coalesce(activity_days.connects, 0) as bigint) as connects,
        cast(coalesce(activity_days.emails, 0) as bigint) as emails,
        cast(coalesce(activity_days.responses, 0) as bigint) as responses,
        cast(coalesce(activity_days.meetings_booked, 0) as bigint) as meetings_booked,
        cast(coalesce(activity_days.meetings_held, 0) as bigint) as meetings_held,
        cast(coalesce(passed_days.leads_passed, 0) as bigint) as leads_passed,
        cast(coalesce(created_days.opportunities_created, 0) as bigint) as opportunities_created
    from user_days
    left join activity_days
        on
            user_days.user_id = activity_days.user_id
            and user_days.activity_date = activity_days.activity_date
    left join passed_days
        on
            user_days.user_id = passed_days.user_id
            and user_days.activity_date = passed_days.activity_date
    left join created_days
        on
            user_days.user_id = created_days.user_id
            and user_days.activity_date = created_days.activity_date
    where
        coalesce(activity_days.calls, 0) + coalesce(activity_days.emails, 0)
        + coalesce(activity_days.meetings_booked, 0) + coalesce(activity_days.meetings_held, 0)
        + coalesce(passed_days.leads_passed, 0)
        + coalesce(created_days.opportunities_created, 0) > 0
)

select * from final
