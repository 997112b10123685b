{#
    MetricFlow's time spine: one row per day of dim_dates (first day with data to the end of the
    as-of year). MetricFlow joins metrics to it for cumulative metrics and to fill gaps.
#}
with

dim_dates as (
    select date_day
    from {{ ref('dim_dates') }}
),

final as (
    select cast(date_day as date) as date_day
    from dim_dates
)

select * from final
