{{ config(materialized="table") }}

{#
    One row per user × period_month with any activity, sourced deal or won deal (sparse): the
    monthly actuals of the activity marts, in one place so that mart_activity_efficiency and
    mart_activity_vs_goal agree.

    - Activities are dated by activity_at; calls are dials; connects are calls with outcome
      connected or meeting_booked; meetings are meeting or demo activities; emails are email
      activities, responses emails with outcome replied, meetings_booked activities of any
      type with outcome meeting_booked.
    - A sourced deal is an accepted deal converted from a lead the user owns, dated by the lead's
      converted_at (the deal's created_at when converted_at is empty); a deal reached from several
      of the user's leads counts once, in its first month. sourced_deals_won counts those deals
      that are won as of the as-of date, in their sourcing month (a cohort).
    - owned_deals_won / owned_bookings_amount: deals the user owns, won, by closed_at month.
    - Events after the as-of date are the future and are left out.

    A table, not a view: two marts and three data tests read it, and a view would aggregate
    every activity once per reader (259k rows from 10M activities at bench scale 10).
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

activities as (
    select user_id, activity_type, outcome, activity_at
    from {{ ref('fct_activities') }}
),

leads as (
    select owner_id, converted_at, converted_opportunity_id
    from {{ ref('int_leads_accepted') }}
),

opportunities as (
    select opportunity_id, owner_id, created_at, closed_at, outcome, amount
    from {{ ref('fct_opportunities') }}
),

activity_months as (
    select
        activities.user_id,
        cast({{ dbt.date_trunc('month', 'activities.activity_at') }} as date) as period_month,
        count(*) as activity_count,
        count(case when activities.activity_type = 'call' then 1 end) as dials,
        count(
            case
                when
                    activities.activity_type = 'call'
                    and activities.outcome in ('connected', 'meeting_booked')
                    then 1
            end
        ) as connects,
        count(
            case when activities.activity_type in ('meeting', 'demo') then 1 end
        ) as meetings,
        count(case when activities.activity_type = 'email' then 1 end) as emails,
        count(
            case
                when activities.activity_type = 'email' and activities.outcome = 'replied' then 1
            end
        ) as responses,
        count(case when activities.outcome = 'meeting_booked' then 1 end) as meetings_booked
    from activities
    cross join as_of
    where activities.activity_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
    group by 1, 2
),

sourced_deals as (
    select
        leads.owner_id as user_id,
        opportunities.opportunity_id,
        opportunities.outcome,
        min(coalesce(leads.converted_at, opportunities.created_at)) as sourced_at
    from leads
    inner join opportunities
        on leads.converted_opportunity_id = opportunities.opportunity_id
    where leads.owner_id is not null
    group by 1, 2, 3
),

sourced_months as (
    select
        sourced_deals.user_id,
        cast({{ dbt.date_trunc('month', 'sourced_deals.sourced_at') }} as date) as period_month,
        count(*) as opportunities_sourced,
        count(case when sourced_deals.outcome = 'won' then 1 end) as sourced_deals_won
    from sourced_deals
    cross join as_of
    where sourced_deals.sourced_at < {{ dbt.dateadd('day', 1, 'as_of.as_of_date') }}
    group by 1, 2
),

won_months as (
    select
        owner_id as user_id,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        count(*) as owned_deals_won,
        sum(amount) as owned_bookings_amount
    from opportunities
    where outcome = 'won'
    group by 1, 2
),

user_months as (
    select user_id, period_month from activity_months
    union
    select user_id, period_month from sourced_months
    union
    select user_id, period_month from won_months
),

final as (
    select
        user_months.user_id,
        user_months.period_month,
        cast(coalesce(activity_months.activity_count, 0) as bigint) as activity_count,
        cast(coalesce(activity_months.dials, 0) as bigint) as dials,
        cast(coalesce(activity_months.connects, 0) as bigint) as connects,
        cast(coalesce(activity_months.meetings, 0) as bigint) as meetings,
        cast(coalesce(sourced_months.opportunities_sourced, 0) as bigint)
            as opportunities_sourced,
        cast(coalesce(sourced_months.sourced_deals_won, 0) as bigint) as sourced_deals_won,
        cast(coalesce(won_months.owned_deals_won, 0) as bigint) as owned_deals_won,
        {{ crm_money('coalesce(won_months.owned_bookings_amount, 0)') }} as owned_bookings_amount,
        cast(coalesce(activity_months.emails, 0) as bigint) as emails,
        cast(coalesce(activity_months.responses, 0) as bigint) as responses,
        cast(coalesce(activity_months.meetings_booked, 0) as bigint) as meetings_booked
    from user_months
    left join activity_months
        on
            user_months.user_id = activity_months.user_id
            and user_months.period_month = activity_months.period_month
    left join sourced_months
        on
            user_months.user_id = sourced_months.user_id
            and user_months.period_month = sourced_months.period_month
    left join won_months
        on
            user_months.user_id = won_months.user_id
            and user_months.period_month = won_months.period_month
)

select * from final
