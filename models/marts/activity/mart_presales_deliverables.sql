{#
    One row per open stage × outcome × deliverable (demo, poc, rfp, meeting) with SE hours
    (sparse): "outcome by deliverables", where the SEs' work on closed deals went by the stage
    the deal was in when it happened. Activities by users with role SE on deals closed as of the
    as-of date that have a presales owner. Each activity is placed in the deal's state at its
    instant T by an interval join on int_opportunity_states: the state row with
    changed_at <= T < valid_to (valid_to null: still holds). Activities before the deal's first
    history row, or while it was closed, have no stage and are left out. outcome is the final
    one; its `lost` includes qualified-out deals. See _activity__presales_effort__models.yml.
#}
with

opportunities as (
    select opportunity_id
    from {{ ref('fct_opportunities') }}
    where presales_owner_id is not null and outcome in ('won', 'lost')
),

outcome_details as (
    select opportunity_id, outcome
    from {{ ref('int_opportunity_outcome_details') }}
),

states as (
    select opportunity_id, changed_at, valid_to, stage_name, stage_order, is_open
    from {{ ref('int_opportunity_states') }}
),

activities as (
    select activity_id, opportunity_id, activity_type, activity_at, hours
    from {{ ref('int_activities_enriched') }}
    where
        user_role = 'SE'
        and activity_type in ('demo', 'poc', 'rfp', 'meeting')
        and opportunity_id is not null
),

deal_activities as (
    select
        activities.*,
        outcome_details.outcome
    from activities
    inner join opportunities
        on activities.opportunity_id = opportunities.opportunity_id
    inner join outcome_details
        on activities.opportunity_id = outcome_details.opportunity_id
),

placed as (
    {#- the interval join: at most one state row holds at an instant -#}
    select
        states.stage_name,
        states.stage_order,
        deal_activities.outcome,
        deal_activities.activity_type,
        deal_activities.opportunity_id,
        deal_activities.hours
    from deal_activities
    inner join states
        on
            deal_activities.opportunity_id = states.opportunity_id
            and deal_activities.activity_at >= states.changed_at
            and (deal_activities.activity_at < states.valid_to or states.valid_to is null)
    where states.is_open
),

aggregated as (
    select
        stage_name,
        stage_order,
        outcome,
        activity_type,
        count(distinct opportunity_id) as deal_count,
        count(*) as activity_count,
        sum(hours) as hours
    from placed
    group by 1, 2, 3, 4
),

final as (
    select
        stage_name,
        cast(stage_order as bigint) as stage_order,
        outcome,
        activity_type,
        cast(deal_count as bigint) as deal_count,
        cast(hours as {{ crm_double_type() }}) as hours,
        cast(hours as {{ crm_double_type() }}) / nullif(deal_count, 0) as avg_hours_per_deal,
        cast(activity_count as bigint) as activity_count
    from aggregated
)

select * from final
