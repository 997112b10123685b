{#
    One row per open stage × outcome (won, lost) with at least one closed deal that finished a
    visit to the stage (sparse). A deal's days in a stage are the sum of its ended visits to it
    (a visit still running is left out); each closed deal counts once per stage.
#}
with

stages as (
    select stage_name, stage_order
    from {{ ref('dim_stages') }}
    where state = 'open'
),

stage_spans as (
    select opportunity_id, stage_name, days_in_stage, outcome
    from {{ ref('fct_opportunity_stage_spans') }}
    where
        outcome in ('won', 'lost')
        and exited_at is not null
),

deal_stage_days as (
    select
        stage_spans.opportunity_id,
        stages.stage_name,
        stages.stage_order,
        stage_spans.outcome,
        sum(stage_spans.days_in_stage) as days_in_stage
    from stage_spans
    inner join stages
        on stage_spans.stage_name = stages.stage_name
    group by 1, 2, 3, 4
),

stage_outcome_stats as (
    select
        stage_name,
        stage_order,
        outcome,
        count(*) as deal_count,
        avg(days_in_stage) as avg_days,
        {{ crm_percentile_cont('days_in_stage', 0.5) }} as median_days,
        {{ crm_percentile_cont('days_in_stage', 0.75) }} as p75_days
    from deal_stage_days
    group by 1, 2, 3
),

stage_averages as (
    select
        stage_name,
        max(case when outcome = 'won' then avg_days end) as avg_won_days,
        max(case when outcome = 'lost' then avg_days end) as avg_lost_days
    from stage_outcome_stats
    group by 1
),

final as (
    select
        stage_outcome_stats.stage_name,
        cast(stage_outcome_stats.stage_order as bigint) as stage_order,
        stage_outcome_stats.outcome,
        cast(stage_outcome_stats.deal_count as bigint) as deal_count,
        cast(stage_outcome_stats.avg_days as {{ crm_double_type() }}) as avg_days,
        cast(stage_outcome_stats.median_days as {{ crm_double_type() }}) as median_days,
        cast(stage_outcome_stats.p75_days as {{ crm_double_type() }}) as p75_days,
        cast(stage_averages.avg_lost_days as {{ crm_double_type() }})
        / nullif(stage_averages.avg_won_days, 0) as lost_to_won_ratio
    from stage_outcome_stats
    inner join stage_averages
        on stage_outcome_stats.stage_name = stage_averages.stage_name
)

select * from final
