{#
    One row per change of the open pipeline: each history row that leaves a deal in an open
    stage (a state of int_opportunity_states, valid [changed_at, valid_to)) adds the deal to its
    stage at changed_at (+1, +amount) and removes it at valid_to (-1, -amount; no removal while
    the row is still the deal's state). An amount edit or a stage move is therefore a removal
    and an addition at the same instant. Summing open_count_delta / open_amount_delta over the
    changes with changed_at < T gives the open pipeline at instant T (state after all history
    rows with changed_at < T), so running sums of these rows rebuild the pipeline at any
    instant without exploding deals over days. A null amount counts as 0.
#}
with

states as (
    select opportunity_id, stage_name, stage_order, changed_at, valid_to, amount
    from {{ ref('int_opportunity_states') }}
    where is_open
),

entries as (
    select
        opportunity_id,
        stage_name,
        stage_order,
        changed_at,
        1 as open_count_delta,
        cast(coalesce(amount, 0) as {{ crm_money_type() }}) as open_amount_delta
    from states
),

exits as (
    select
        opportunity_id,
        stage_name,
        stage_order,
        valid_to as changed_at,
        -1 as open_count_delta,
        cast(-coalesce(amount, 0) as {{ crm_money_type() }}) as open_amount_delta
    from states
    where valid_to is not null
),

final as (
    select * from entries
    union all
    select * from exits
)

select * from final
