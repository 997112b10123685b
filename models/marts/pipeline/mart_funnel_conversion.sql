{#
    One row per open stage × segment × created_month with at least one deal at or beyond the
    stage (sparse). Depth of a deal = highest stage_order among the open stages it ever
    entered (history, so skipped stages count as reached and regressions do not lower it); a
    won deal's depth = the highest open stage_order of the pipeline; a deal that never entered
    an open stage (created closed and never reopened) is left out. Counts are of closed deals,
    open_count of open deals, each deal once per stage.
#}
with

stages as (
    select stage_name, stage_order
    from {{ ref('dim_stages') }}
    where state = 'open'
),

opportunities as (
    select opportunity_id, segment, created_at, outcome
    from {{ ref('fct_opportunities') }}
),

states as (
    select opportunity_id, stage_order
    from {{ ref('int_opportunity_states') }}
    where is_open
),

top_open_stage as (
    select max(stage_order) as top_stage_order
    from stages
),

deepest_open_stage as (
    select
        opportunity_id,
        max(stage_order) as deepest_stage_order
    from states
    group by 1
),

deal_depths as (
    select
        opportunities.opportunity_id,
        coalesce(opportunities.segment, 'unknown') as segment,
        cast({{ dbt.date_trunc('month', 'opportunities.created_at') }} as date) as created_month,
        opportunities.outcome,
        case
            when opportunities.outcome = 'won' then top_open_stage.top_stage_order
            else deepest_open_stage.deepest_stage_order
        end as depth_stage_order
    from opportunities
    inner join deepest_open_stage
        on opportunities.opportunity_id = deepest_open_stage.opportunity_id
    cross join top_open_stage
),

deal_stages_reached as (
    select
        stages.stage_name,
        stages.stage_order,
        deal_depths.segment,
        deal_depths.created_month,
        deal_depths.outcome,
        deal_depths.depth_stage_order
    from deal_depths
    inner join stages
        on deal_depths.depth_stage_order >= stages.stage_order
),

stage_counts as (
    select
        stage_name,
        stage_order,
        segment,
        created_month,
        count(case when outcome in ('won', 'lost') then 1 end) as reached_count,
        count(case
            when outcome = 'won' then 1
            when outcome = 'lost' and depth_stage_order > stage_order then 1
        end) as advanced_count,
        count(case when outcome = 'won' then 1 end) as won_count,
        count(case when outcome = 'open' then 1 end) as open_count
    from deal_stages_reached
    group by 1, 2, 3, 4
),

final as (
    select
        stage_name,
        cast(stage_order as bigint) as stage_order,
        segment,
        created_month,
        cast(reached_count as bigint) as reached_count,
        cast(advanced_count as bigint) as advanced_count,
        cast(won_count as bigint) as won_count,
        cast(open_count as bigint) as open_count,
        cast(advanced_count as {{ crm_double_type() }})
        / nullif(reached_count, 0) as stage_conversion_rate,
        cast(won_count as {{ crm_double_type() }}) / nullif(reached_count, 0) as win_rate_from_stage
    from stage_counts
)

select * from final
