{{ config(materialized="table") }}

{#
    One row per deal closed (won or lost) as of the as-of date, with outcome_detail: `won`,
    `qualified_out` (lost, and the deepest open stage it ever entered is the lowest open stage
    of `stages`, or it never entered an open stage) or `lost`. The deepest stage comes from the
    deal's replayed history (int_opportunity_states, rows up to the as-of date). See
    _presales__models.yml.

    A table, not a view: four models and four data tests read it, and a view would replay the
    deepest open stage from int_opportunity_states once per reader (one row per closed deal).
#}
with

opportunities as (
    select opportunity_id, outcome
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

states as (
    select opportunity_id, stage_order, is_open
    from {{ ref('int_opportunity_states') }}
),

stages as (
    select stage_order, is_closed
    from {{ ref('int_stages_accepted') }}
),

first_open_stage as (
    select min(stage_order) as stage_order
    from stages
    where not is_closed
),

deepest_open_stage as (
    select
        opportunity_id,
        max(stage_order) as deepest_open_stage_order
    from states
    where is_open
    group by 1
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.outcome,
        case
            when opportunities.outcome = 'won' then 'won'
            when
                deepest_open_stage.deepest_open_stage_order is null
                or deepest_open_stage.deepest_open_stage_order <= first_open_stage.stage_order
                then 'qualified_out'
            else 'lost'
        end as outcome_detail,
        deepest_open_stage.deepest_open_stage_order
    from opportunities
    cross join first_open_stage
    left join deepest_open_stage
        on opportunities.opportunity_id = deepest_open_stage.opportunity_id
)

select * from final
