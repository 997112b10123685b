{#
    One row per owner_id × stage with at least one deal open at the end of the as-of date
    (fct_opportunities is that state): the pipeline each rep is carrying, by current stage.
#}
with

opportunities as (
    select opportunity_id, owner_id, team, current_stage, current_stage_order, amount
    from {{ ref('fct_opportunities') }}
    where outcome = 'open'
),

aggregated as (
    select
        owner_id,
        coalesce(team, 'unknown') as team,
        current_stage as stage_name,
        current_stage_order as stage_order,
        count(*) as open_count,
        coalesce(sum(amount), 0) as open_amount
    from opportunities
    group by 1, 2, 3, 4
),

final as (
    select
        owner_id,
        team,
        stage_name,
        cast(stage_order as bigint) as stage_order,
        cast(open_count as bigint) as open_count,
        {{ crm_money('open_amount') }} as open_amount
    from aggregated
)

select * from final
