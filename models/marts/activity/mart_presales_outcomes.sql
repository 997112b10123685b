{#
    One row per presales owner × period_month of the final closed_at with at least one deal
    closed (sparse): "opportunity outcome", with se_user_id `none` for the deals closed without
    a presales owner so that supported and unsupported win rates compare. Each deal counts once,
    by its final outcome; qualified-out deals (int_opportunity_outcome_details) are counted
    apart from lost ones and stay in the win rate's denominator. See
    _activity__presales_outcomes__models.yml.
#}
with

opportunities as (
    select opportunity_id, presales_owner_id, closed_at, amount
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

outcome_details as (
    select opportunity_id, outcome_detail
    from {{ ref('int_opportunity_outcome_details') }}
),

aggregated as (
    select
        coalesce(opportunities.presales_owner_id, 'none') as se_user_id,
        cast({{ dbt.date_trunc('month', 'opportunities.closed_at') }} as date) as period_month,
        count(case when outcome_details.outcome_detail = 'won' then 1 end) as won_count,
        count(case when outcome_details.outcome_detail = 'lost' then 1 end) as lost_count,
        count(
            case when outcome_details.outcome_detail = 'qualified_out' then 1 end
        ) as qualified_out_count,
        sum(
            case when outcome_details.outcome_detail = 'won' then opportunities.amount end
        ) as won_amount
    from opportunities
    inner join outcome_details
        on opportunities.opportunity_id = outcome_details.opportunity_id
    group by 1, 2
),

final as (
    select
        se_user_id,
        period_month,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(qualified_out_count as bigint) as qualified_out_count,
        cast(won_count as {{ crm_double_type() }})
        / nullif(won_count + lost_count + qualified_out_count, 0) as win_rate,
        {{ crm_money('coalesce(won_amount, 0)') }} as won_amount,
        se_user_id <> 'none' as has_presales_owner
    from aggregated
)

select * from final
