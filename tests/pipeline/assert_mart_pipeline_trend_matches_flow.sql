{#
    mart_pipeline_trend summed over stages on the last reported day of each month (the month's
    last day, or the as-of date in the as-of month) equals mart_pipeline_flow's open_count_end
    and open_amount_end of the month; every month is in both marts. Returns the disagreements.
#}
with

trend as (
    select snapshot_date, open_count, open_amount
    from {{ ref('mart_pipeline_trend') }}
),

flow as (
    select period_start, open_count_end, open_amount_end
    from {{ ref('mart_pipeline_flow') }}
    where grain = 'month'
),

trend_by_day as (
    select
        snapshot_date,
        cast({{ dbt.date_trunc('month', 'snapshot_date') }} as date) as period_month,
        sum(open_count) as open_count,
        sum(open_amount) as open_amount
    from trend
    group by 1, 2
),

month_last_days as (
    select
        period_month,
        max(snapshot_date) as last_snapshot_date
    from trend_by_day
    group by 1
),

trend_at_month_end as (
    select
        trend_by_day.period_month,
        trend_by_day.open_count,
        trend_by_day.open_amount
    from trend_by_day
    inner join month_last_days
        on
            trend_by_day.period_month = month_last_days.period_month
            and trend_by_day.snapshot_date = month_last_days.last_snapshot_date
),

compared as (
    select
        coalesce(flow.period_start, trend_at_month_end.period_month) as period_month,
        flow.open_count_end,
        trend_at_month_end.open_count,
        flow.open_amount_end,
        trend_at_month_end.open_amount
    from flow
    full outer join trend_at_month_end
        on flow.period_start = trend_at_month_end.period_month
)

select *
from compared
where
    open_count_end is null
    or open_count is null
    or open_count_end <> open_count
    or abs(open_amount_end - open_amount) > 0.01
