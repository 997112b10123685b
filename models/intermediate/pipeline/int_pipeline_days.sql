{#
    One row per day from the first day with deal history to the as-of date: the days the
    pipeline marts report (mart_pipeline_flow by month and week, mart_pipeline_trend by day).
    See _pipeline__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

states as (
    select changed_at from {{ ref('int_opportunity_states') }}
),

dates as (
    select date_day, period_week, period_month
    from {{ ref('int_days') }}
),

first_history as (
    select cast(min(changed_at) as date) as first_history_date
    from states
),

reported_days as (
    select dates.*
    from dates
    cross join first_history
    cross join as_of
    where
        dates.date_day >= first_history.first_history_date
        and dates.date_day <= as_of.as_of_date
)

select * from reported_days
