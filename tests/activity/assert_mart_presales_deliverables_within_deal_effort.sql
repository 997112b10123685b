{#
    The hours mart_presales_deliverables places in stages are part of the deals' hours in
    mart_presales_deal_effort: per outcome and deliverable, deliverables' hours <= the deal
    effort hours of that type (the difference is SE work before the deal's first history row,
    at or after closing, or while it was closed), and its deal_count per cell never exceeds the
    closed deals with a presales owner. Returns the violations.
#}
with

deliverables as (
    select outcome, activity_type, sum(hours) as hours, max(deal_count) as max_deal_count
    from {{ ref('mart_presales_deliverables') }}
    group by 1, 2
),

effort as (
    select
        outcome,
        count(*) as deal_count,
        sum(demo_hours) as demo_hours,
        sum(poc_hours) as poc_hours,
        sum(rfp_hours) as rfp_hours,
        sum(meeting_hours) as meeting_hours
    from {{ ref('mart_presales_deal_effort') }}
    group by 1
),

compared as (
    select
        deliverables.outcome,
        deliverables.activity_type,
        deliverables.hours,
        deliverables.max_deal_count,
        effort.deal_count,
        case deliverables.activity_type
            when 'demo' then effort.demo_hours
            when 'poc' then effort.poc_hours
            when 'rfp' then effort.rfp_hours
            when 'meeting' then effort.meeting_hours
        end as effort_hours
    from deliverables
    left join effort
        on deliverables.outcome = effort.outcome
)

select *
from compared
where
    effort_hours is null
    or hours > effort_hours + 0.000001
    or max_deal_count > deal_count
