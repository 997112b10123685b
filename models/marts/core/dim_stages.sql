{#- One row per stage of the pipeline definition, with its state (open, won or lost). -#}
with

stages as (
    select stage_name, stage_order, default_probability, is_closed, is_won
    from {{ ref('int_stages_accepted') }}
),

-- the columns of stages, then the state they give
final as (
    select
        *,
        case when is_won then 'won' when is_closed then 'lost' else 'open' end as state
    from stages
)

select * from final
