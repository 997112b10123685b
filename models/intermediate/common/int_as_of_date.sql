{#
    "Today" for every mart, in one row. var `as_of_date` when set, else the date of the latest
    accepted history changed_at, activity activity_at, lead created_at or subscription
    start_date. first_data_date (the earliest of the same) starts the date dimension.
#}
with

history as (
    select changed_at as event_at
    from {{ ref('int_opportunity_history_accepted') }}
),

opportunities as (
    select created_at as event_at
    from {{ ref('int_opportunities_accepted') }}
),

activities as (
    select activity_at as event_at
    from {{ ref('int_activities_accepted') }}
),

leads as (
    select created_at as event_at
    from {{ ref('int_leads_accepted') }}
),

subscriptions as (
    select cast(start_date as timestamp) as event_at
    from {{ ref('int_subscriptions_accepted') }}
),

events as (
    select event_at from history
    union all
    select event_at from opportunities
    union all
    select event_at from activities
    union all
    select event_at from leads
    union all
    select event_at from subscriptions
),

bounds as (
    select
        cast(min(event_at) as date) as first_data_date,
        cast(max(event_at) as date) as latest_data_date
    from events
),

final as (
    select
        {% if var('as_of_date', none) -%}
            cast('{{ var("as_of_date") }}' as date)
        {%- else -%}
            latest_data_date
        {%- endif %} as as_of_date,
        first_data_date,
        -- the month monthly marts start in (months from the first month with data)
        cast({{ dbt.date_trunc('month', 'first_data_date') }} as date) as first_data_month,
        latest_data_date
    from bounds
)

select * from final
