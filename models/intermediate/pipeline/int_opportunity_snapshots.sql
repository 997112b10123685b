{{ config(materialized="table") }}

{#
    One row per snapshot instant × deal that existed at that instant: the deal's state as it
    was known then, history replayed to the instant (the rows with changed_at < snapshot_at;
    the state is the row with changed_at < snapshot_at and valid_to >= snapshot_at or null).
    A history row dated at or after the instant cannot change the row (no look-ahead).
    depth_stage_order: the highest stage_order among the open stages the deal entered before
    the instant (null when it never entered one); closed_at: its last transition into a closed
    stage before the instant (null while open). Running aggregates over each deal's rows carry
    the path so far on every state row, so only the instant × state-interval join is needed
    (rows ≈ deals × months, never deals × history rows × months).
#}
with

instants as (
    select snapshot_at, snapshot_kind, period_month
    from {{ ref('int_pipeline_snapshot_instants') }}
),

states as (
    select
        opportunity_id,
        changed_at,
        history_sequence,
        valid_to,
        stage_name,
        stage_order,
        state,
        amount,
        close_date,
        is_close
    from {{ ref('int_opportunity_states') }}
),

-- every state row with the deal's path up to it (final picks the columns it keeps)
path_so_far as (
    select
        *,
        min(changed_at) over (partition by opportunity_id) as created_at,
        max(case when state = 'open' then stage_order end) over (
            partition by opportunity_id order by history_sequence
            rows between unbounded preceding and current row
        ) as depth_stage_order,
        max(case when is_close then changed_at end) over (
            partition by opportunity_id order by history_sequence
            rows between unbounded preceding and current row
        ) as last_closed_at
    from states
),

-- a deal's current row (valid_to null) is valid through the last instant: with that end
-- spelled out the join is two plain inequalities, which runs as a range join (IEJoin)
-- instead of a nested loop over instants × state rows
last_instant as (
    select max(snapshot_at) as last_snapshot_at from instants
),

state_intervals as (
    select
        path_so_far.*,
        coalesce(path_so_far.valid_to, last_instant.last_snapshot_at) as valid_until
    from path_so_far
    cross join last_instant
),

state_at_instant as (
    select
        instants.snapshot_at,
        instants.snapshot_kind,
        instants.period_month,
        state_intervals.*
    from instants
    inner join state_intervals
        on
            instants.snapshot_at > state_intervals.changed_at
            and instants.snapshot_at <= state_intervals.valid_until
),

final as (
    select
        state_at_instant.snapshot_at,
        state_at_instant.snapshot_kind,
        state_at_instant.period_month,
        state_at_instant.opportunity_id,
        state_at_instant.created_at,
        state_at_instant.state,
        state_at_instant.stage_name,
        state_at_instant.stage_order,
        state_at_instant.amount,
        state_at_instant.close_date,
        state_at_instant.depth_stage_order,
        case
            when state_at_instant.state <> 'open' then state_at_instant.last_closed_at
        end as closed_at
    from state_at_instant
)

select * from final
