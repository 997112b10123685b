{#
    One row per instant at which the pipeline is replayed: the start of every month from the
    first month with deal history (the month of int_pipeline_days' first day) to the as-of
    month (kind `month_start`, forecasting that month), and the end of the as-of day (kind
    `as_of`, forecasting from "today"). period_month is the month whose bookings the snapshot
    forecasts.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

-- the days from the first day with deal history to the as-of date: only int_pipeline_days
-- scans int_opportunity_states for that first day. These days exist exactly when deal
-- history does: every state row falls before the end of the as-of day, and int_days holds
-- every day from the first day with data.
pipeline_days as (
    select period_month from {{ ref('int_pipeline_days') }}
),

bounds as (
    select
        min(pipeline_days.period_month) as first_month,
        max(as_of.as_of_date) as as_of_date
    from pipeline_days
    cross join as_of
    having count(*) > 0
),

months as (
    {{ crm_spine_months('bounds', 'bounds.first_month', 'bounds.as_of_date') }}
),

month_starts as (
    select
        cast(period_month as timestamp) as snapshot_at,
        'month_start' as snapshot_kind,
        period_month
    from months
),

as_of_end as (
    select
        cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as timestamp) as snapshot_at,
        'as_of' as snapshot_kind,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as period_month
    from bounds
),

final as (
    select * from month_starts
    union all
    select * from as_of_end
)

select * from final
