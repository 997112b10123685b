{#
    One row per deal open at the end of the as-of date, with its risk flags and (v5) its
    momentum: the latest activity on it, activities of the last 30 days, is_quiet (not part of
    risk_score). See _pipeline__integrity__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

opportunities as (
    select
        opportunity_id,
        owner_id,
        outcome,
        current_stage,
        amount,
        close_date,
        close_date_push_count
    from {{ ref('fct_opportunities') }}
),

activities as (
    select opportunity_id, activity_at, activity_date
    from {{ ref('fct_activities') }}
    where opportunity_id is not null
),

{# Absent or empty activities: the momentum columns are null (raw contract). #}
has_activity_data as (
    select count(*) > 0 as has_activity_data
    from {{ ref('fct_activities') }}
),

stage_spans as (
    select opportunity_id, stage_name, entered_at, exited_at, days_in_stage, outcome
    from {{ ref('fct_opportunity_stage_spans') }}
),

won_days_per_deal_stage as (
    select opportunity_id, stage_name, sum(days_in_stage) as days_in_stage
    from stage_spans
    where outcome = 'won' and exited_at is not null
    group by 1, 2
),

avg_won_days_per_stage as (
    select stage_name, avg(days_in_stage) as avg_won_days_in_stage
    from won_days_per_deal_stage
    group by 1
),

avg_won_amount as (
    {#- a ratio's divisor: a double from the exact sum on every engine (Spark's avg of a
        decimal rounds to 6 places, DuckDB's is a double) #}
    select
        cast(sum(amount) as {{ crm_double_type() }})
        / nullif(count(amount), 0) as avg_won_amount
    from opportunities
    where outcome = 'won'
),

current_visits as (
    select opportunity_id, entered_at
    from stage_spans
    where exited_at is null
),

open_deals as (
    select
        opportunities.opportunity_id,
        opportunities.owner_id,
        opportunities.current_stage as stage_name,
        opportunities.amount,
        opportunities.close_date,
        opportunities.close_date_push_count,
        {{ dbt.datediff('as_of.as_of_date', 'opportunities.close_date', 'day') }}
            as days_to_close_date,
        {{ crm_days_between(
            'current_visits.entered_at',
            'cast(' ~ dbt.dateadd('day', 1, 'as_of.as_of_date') ~ ' as timestamp)'
        ) }} as days_in_current_stage,
        avg_won_days_per_stage.avg_won_days_in_stage,
        avg_won_amount.avg_won_amount
    from opportunities
    cross join as_of
    cross join avg_won_amount
    left join current_visits
        on opportunities.opportunity_id = current_visits.opportunity_id
    left join avg_won_days_per_stage
        on opportunities.current_stage = avg_won_days_per_stage.stage_name
    where opportunities.outcome = 'open'
),

{# Activities dated up to the as-of date (later ones have not happened yet). #}
activity_by_deal as (
    select
        activities.opportunity_id,
        max(activities.activity_at) as last_activity_at,
        count(
            case
                when
                    activities.activity_date
                    >= cast({{ dbt.dateadd('day', -29, 'as_of.as_of_date') }} as date)
                    then 1
            end
        ) as activities_last_30_days
    from activities
    cross join as_of
    where activities.activity_date <= as_of.as_of_date
    group by 1
),

momentum as (
    select
        open_deals.opportunity_id,
        activity_by_deal.last_activity_at,
        case
            when activity_by_deal.last_activity_at is not null
                then {{ dbt.datediff(
                    'cast(activity_by_deal.last_activity_at as date)', 'as_of.as_of_date', 'day'
                ) }}
        end as days_since_last_activity,
        case
            when has_activity_data.has_activity_data
                then coalesce(activity_by_deal.activities_last_30_days, 0)
        end as activities_last_30_days,
        has_activity_data.has_activity_data
    from open_deals
    cross join as_of
    cross join has_activity_data
    left join activity_by_deal
        on open_deals.opportunity_id = activity_by_deal.opportunity_id
),

ratios as (
    select
        *,
        days_in_current_stage / nullif(avg_won_days_in_stage, 0) as stage_age_ratio,
        cast(amount as {{ crm_double_type() }}) / nullif(avg_won_amount, 0) as size_ratio
    from open_deals
),

flagged as (
    select
        *,
        coalesce(close_date_push_count >= {{ var('many_pushes_threshold') }}, false)
            as is_many_pushes,
        coalesce(stage_age_ratio >= {{ var('stalled_ratio_threshold') }}, false) as is_stalled,
        coalesce(size_ratio >= {{ var('oversized_ratio_threshold') }}, false) as is_oversized,
        coalesce(
            days_to_close_date >= 0 and days_to_close_date <= {{ var('closing_soon_days') }},
            false
        ) as is_closing_soon
    from ratios
),

flagged_with_momentum as (
    select
        flagged.*,
        momentum.last_activity_at,
        momentum.days_since_last_activity,
        momentum.activities_last_30_days,
        momentum.has_activity_data
    from flagged
    inner join momentum
        on flagged.opportunity_id = momentum.opportunity_id
),

final as (
    select
        opportunity_id,
        owner_id,
        stage_name,
        amount,
        close_date,
        cast(days_to_close_date as integer) as days_to_close_date,
        cast(close_date_push_count as bigint) as close_date_push_count,
        cast(days_in_current_stage as {{ crm_double_type() }}) as days_in_current_stage,
        cast(avg_won_days_in_stage as {{ crm_double_type() }}) as avg_won_days_in_stage,
        cast(stage_age_ratio as {{ crm_double_type() }}) as stage_age_ratio,
        cast(size_ratio as {{ crm_double_type() }}) as size_ratio,
        is_many_pushes,
        is_stalled,
        is_oversized,
        is_closing_soon,
        cast(
            case when is_many_pushes then 1 else 0 end
            + case when is_stalled then 1 else 0 end
            + case when is_oversized then 1 else 0 end
            as integer
        ) as risk_score,
        last_activity_at,
        cast(days_since_last_activity as integer) as days_since_last_activity,
        cast(activities_last_30_days as bigint) as activities_last_30_days,
        case
            when has_activity_data
                then coalesce(days_since_last_activity >= {{ var('quiet_days') }}, true)
        end as is_quiet
    from flagged_with_momentum
)

select * from final
