{#
    One row per day × open stage (dense: every open stage of dim_stages on every day from the
    first day with history to the as-of date): the open pipeline in the stage at the end of the
    day, a running sum of the day's changes of int_open_pipeline_changes (a deal entering the
    stage adds, leaving it or an amount edit replaces). Never explodes deals over days.
#}
with

open_pipeline_changes as (
    select changed_at, stage_name, open_count_delta, open_amount_delta
    from {{ ref('int_open_pipeline_changes') }}
),

stages as (
    select stage_name, stage_order
    from {{ ref('dim_stages') }}
    where state = 'open'
),

snapshot_days as (
    select date_day as snapshot_date
    from {{ ref('int_pipeline_days') }}
),

daily_changes as (
    select
        cast(changed_at as date) as snapshot_date,
        stage_name,
        sum(open_count_delta) as open_count_delta,
        sum(open_amount_delta) as open_amount_delta
    from open_pipeline_changes
    group by 1, 2
),

day_stage_changes as (
    select
        snapshot_days.snapshot_date,
        stages.stage_name,
        stages.stage_order,
        coalesce(daily_changes.open_count_delta, 0) as open_count_delta,
        coalesce(daily_changes.open_amount_delta, 0) as open_amount_delta
    from snapshot_days
    cross join stages
    left join daily_changes
        on
            snapshot_days.snapshot_date = daily_changes.snapshot_date
            and stages.stage_name = daily_changes.stage_name
),

running_totals as (
    select
        snapshot_date,
        stage_name,
        stage_order,
        sum(open_count_delta) over (
            partition by stage_name order by snapshot_date
            rows between unbounded preceding and current row
        ) as open_count,
        sum(open_amount_delta) over (
            partition by stage_name order by snapshot_date
            rows between unbounded preceding and current row
        ) as open_amount
    from day_stage_changes
),

final as (
    select
        snapshot_date,
        stage_name,
        cast(stage_order as bigint) as stage_order,
        cast(open_count as bigint) as open_count,
        {{ crm_money('open_amount') }} as open_amount
    from running_totals
)

select * from final
