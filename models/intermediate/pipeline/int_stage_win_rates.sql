{{ config(materialized="table") }}

{#
    One row per snapshot instant × open stage: win_rate_from_stage = won / reached over the
    deals closed at that instant, with the funnel depth rule of mart_funnel_conversion (depth =
    the highest open stage_order the deal entered; a won deal's depth = the highest open
    stage_order in stages; a deal that never entered an open stage, even a deal created won,
    is left out; reached =
    depth >= stage). The `as_of` snapshot is the rate over all closed deals today (the same
    definition as mart_funnel_conversion's win_rate_from_stage summed over segments and created
    months); the `month_start` snapshots use only deals closed before the month started.

    A table, not a view: a model and three data tests read it, and a view would scan the deal
    snapshots once per reader for a few hundred rows.
#}
with

instants as (
    select snapshot_at from {{ ref('int_pipeline_snapshot_instants') }}
),

snapshots as (
    select snapshot_at, state, depth_stage_order
    from {{ ref('int_opportunity_snapshots') }}
    where state in ('won', 'lost') and depth_stage_order is not null
),

stages as (
    select stage_name, stage_order
    from {{ ref('int_stages_accepted') }}
    where not is_closed
),

deepest_open_stage as (
    select max(stage_order) as stage_order from stages
),

closed_deal_depths as (
    select
        snapshots.snapshot_at,
        snapshots.state,
        case
            when snapshots.state = 'won' then deepest_open_stage.stage_order
            else snapshots.depth_stage_order
        end as depth_stage_order
    from snapshots
    cross join deepest_open_stage
),

reached as (
    select
        closed_deal_depths.snapshot_at,
        stages.stage_name,
        count(*) as reached_count,
        count(case when closed_deal_depths.state = 'won' then 1 end) as won_count
    from closed_deal_depths
    inner join stages
        on closed_deal_depths.depth_stage_order >= stages.stage_order
    group by 1, 2
),

final as (
    select
        instants.snapshot_at,
        stages.stage_name,
        stages.stage_order,
        cast(coalesce(reached.reached_count, 0) as bigint) as reached_count,
        cast(coalesce(reached.won_count, 0) as bigint) as won_count,
        cast(reached.won_count as {{ crm_double_type() }}) / nullif(reached.reached_count, 0)
            as win_rate_from_stage
    from instants
    cross join stages
    left join reached
        on
            instants.snapshot_at = reached.snapshot_at
            and stages.stage_name = reached.stage_name
)

select * from final
