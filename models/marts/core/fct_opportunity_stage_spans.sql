{#
    One row per visit of a deal to a stage. A visit runs from the first history row in a stage
    to the next row with another stage; amount and close-date edits do not split it. exited_at
    and days_in_stage are null while the deal is still in the stage.
#}
with

states as (
    select opportunity_id, visit_number, stage_name, stage_order, changed_at
    from {{ ref('int_opportunity_states') }}
),

outcomes as (
    select opportunity_id, outcome
    from {{ ref('int_opportunity_outcomes') }}
),

visits as (
    select
        opportunity_id,
        visit_number,
        min(stage_name) as stage_name,
        min(stage_order) as stage_order,
        min(changed_at) as entered_at
    from states
    group by 1, 2
),

sequenced as (
    select
        *,
        lead(entered_at) over (
            partition by opportunity_id order by visit_number
        ) as exited_at,
        lead(stage_name) over (
            partition by opportunity_id order by visit_number
        ) as next_stage_name
    from visits
),

final as (
    select
        sequenced.opportunity_id,
        sequenced.visit_number,
        sequenced.stage_name,
        sequenced.stage_order,
        sequenced.entered_at,
        sequenced.exited_at,
        {{ crm_days_between('sequenced.entered_at', 'sequenced.exited_at') }} as days_in_stage,
        sequenced.next_stage_name,
        outcomes.outcome
    from sequenced
    inner join outcomes
        on sequenced.opportunity_id = outcomes.opportunity_id
)

select * from final
