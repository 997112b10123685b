{{ config(materialized="table") }}

{#
    One row per deal (accepted, with at least one history row up to the as-of date): its
    current state from its last history row, and what its path adds up to. closed_at of a closed
    deal is the changed_at of its last transition into a closed stage (from an open stage, from
    another closed stage such as won corrected to lost, or at creation); null while open.
#}
with

states as (
    select * from {{ ref('int_opportunity_states') }}
),

path_summary as (
    select
        opportunity_id,
        max(history_sequence) as last_sequence,
        min(changed_at) as first_changed_at,
        max(case when is_close then changed_at end) as last_closed_at,
        sum(case when is_push then 1 else 0 end) as close_date_push_count,
        sum(case when is_amount_change then 1 else 0 end) as amount_change_count,
        max(visit_number) as stage_visit_count,
        sum(case when is_reopen then 1 else 0 end) as reopen_count,
        max(case when is_open then history_sequence end) as last_open_sequence,
        max(stage_order) as max_stage_order_reached
    from states
    group by 1
),

last_state as (
    select states.*
    from states
    inner join path_summary
        on
            states.opportunity_id = path_summary.opportunity_id
            and states.history_sequence = path_summary.last_sequence
),

last_open_state as (
    select states.opportunity_id, states.amount as last_open_amount
    from states
    inner join path_summary
        on
            states.opportunity_id = path_summary.opportunity_id
            and states.history_sequence = path_summary.last_open_sequence
),

final as (
    select
        last_state.opportunity_id,
        last_state.state as outcome,
        last_state.stage_name as current_stage,
        last_state.stage_order as current_stage_order,
        last_state.amount,
        last_state.amount_local,
        last_state.currency_code,
        last_state.close_date,
        last_state.changed_at as last_changed_at,
        path_summary.first_changed_at,
        case when last_state.state <> 'open' then path_summary.last_closed_at end as closed_at,
        last_open_state.last_open_amount,
        cast(path_summary.close_date_push_count as bigint) as close_date_push_count,
        cast(path_summary.amount_change_count as bigint) as amount_change_count,
        cast(path_summary.stage_visit_count as bigint) as stage_visit_count,
        cast(path_summary.reopen_count as bigint) as reopen_count
    from last_state
    inner join path_summary
        on last_state.opportunity_id = path_summary.opportunity_id
    left join last_open_state
        on last_state.opportunity_id = last_open_state.opportunity_id
)

select * from final
