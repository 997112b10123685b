{#
    One row per deal closed (won or lost, as of the as-of date) with a presales owner: the SE
    hours it took, by deliverable, against its outcome ("outcomes by effort"). Hours are the
    activities on the deal by users with role SE (any SE, not only the presales owner) up to and
    including the deal's final closed_at. See _activity__presales_effort__models.yml.
#}
with

opportunities as (
    select
        opportunity_id, presales_owner_id, owner_id, segment, amount, last_open_amount,
        closed_at, days_to_close
    from {{ ref('fct_opportunities') }}
    where presales_owner_id is not null
),

outcome_details as (
    select opportunity_id, outcome, outcome_detail
    from {{ ref('int_opportunity_outcome_details') }}
),

activities as (
    select opportunity_id, activity_type, activity_at, hours
    from {{ ref('int_activities_enriched') }}
    where user_role = 'SE' and opportunity_id is not null
),

closed_deals as (
    select
        opportunities.*,
        outcome_details.outcome,
        outcome_details.outcome_detail
    from opportunities
    inner join outcome_details
        on opportunities.opportunity_id = outcome_details.opportunity_id
),

deal_hours as (
    select
        closed_deals.opportunity_id,
        sum(case when activities.activity_type = 'demo' then activities.hours end) as demo_hours,
        sum(case when activities.activity_type = 'poc' then activities.hours end) as poc_hours,
        sum(case when activities.activity_type = 'rfp' then activities.hours end) as rfp_hours,
        sum(
            case when activities.activity_type = 'meeting' then activities.hours end
        ) as meeting_hours,
        sum(
            case
                when activities.activity_type in ('call', 'email', 'other') then activities.hours
            end
        ) as other_hours,
        count(*) as se_activity_count
    from closed_deals
    inner join activities
        on
            closed_deals.opportunity_id = activities.opportunity_id
            and closed_deals.closed_at >= activities.activity_at
    group by 1
),

hours_filled as (
    select
        closed_deals.*,
        coalesce(deal_hours.demo_hours, 0) as demo_hours,
        coalesce(deal_hours.poc_hours, 0) as poc_hours,
        coalesce(deal_hours.rfp_hours, 0) as rfp_hours,
        coalesce(deal_hours.meeting_hours, 0) as meeting_hours,
        coalesce(deal_hours.other_hours, 0) as other_hours,
        coalesce(deal_hours.se_activity_count, 0) as se_activity_count
    from closed_deals
    left join deal_hours
        on closed_deals.opportunity_id = deal_hours.opportunity_id
),

final as (
    select
        opportunity_id,
        presales_owner_id as se_user_id,
        owner_id,
        segment,
        outcome,
        outcome_detail,
        case
            when outcome = 'won' then amount
            else coalesce(last_open_amount, amount)
        end as amount,
        cast(
            demo_hours + poc_hours + rfp_hours + meeting_hours + other_hours
            as {{ crm_double_type() }}
        ) as se_hours,
        cast(demo_hours as {{ crm_double_type() }}) as demo_hours,
        cast(poc_hours as {{ crm_double_type() }}) as poc_hours,
        cast(rfp_hours as {{ crm_double_type() }}) as rfp_hours,
        cast(meeting_hours as {{ crm_double_type() }}) as meeting_hours,
        cast(other_hours as {{ crm_double_type() }}) as other_hours,
        cast(days_to_close as {{ crm_double_type() }}) as days_to_close,
        cast(se_activity_count as bigint) as se_activity_count,
        closed_at
    from hours_filled
)

select * from final
