{#
    The forecast's stage_conversion rate (int_stage_win_rates, as-of snapshot) is
    mart_funnel_conversion's win_rate_from_stage over all segments and created months: the
    reached and won counts per stage agree. Returns the stages where they differ.
#}
with

as_of_snapshot as (
    select max(snapshot_at) as snapshot_at
    from {{ ref('int_pipeline_snapshot_instants') }}
    where snapshot_kind = 'as_of'
),

stage_win_rates as (
    select
        win_rates.stage_name,
        win_rates.reached_count,
        win_rates.won_count
    from {{ ref('int_stage_win_rates') }} as win_rates
    inner join as_of_snapshot
        on win_rates.snapshot_at = as_of_snapshot.snapshot_at
),

funnel as (
    select
        stage_name,
        sum(reached_count) as reached_count,
        sum(won_count) as won_count
    from {{ ref('mart_funnel_conversion') }}
    group by 1
),

compared as (
    select
        coalesce(stage_win_rates.stage_name, funnel.stage_name) as stage_name,
        coalesce(stage_win_rates.reached_count, 0) as forecast_reached_count,
        coalesce(funnel.reached_count, 0) as funnel_reached_count,
        coalesce(stage_win_rates.won_count, 0) as forecast_won_count,
        coalesce(funnel.won_count, 0) as funnel_won_count
    from stage_win_rates
    full outer join funnel
        on stage_win_rates.stage_name = funnel.stage_name
)

select *
from compared
where
    forecast_reached_count <> funnel_reached_count
    or forecast_won_count <> funnel_won_count
