{#
    One row per period_month (of closed_at) × segment × owner_id × opportunity_type with at
    least one closed deal. Each deal counts once, by its final outcome and final closed_at.
    Lost amounts are last_open_amount (the amount while the deal was still being worked); a
    deal created already lost has no open row and falls back to its amount.
#}
with

opportunities as (
    select
        opportunity_id,
        segment,
        owner_id,
        opportunity_type,
        outcome,
        closed_at,
        amount,
        last_open_amount
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

closed_deals as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        coalesce(segment, 'unknown') as segment,
        owner_id,
        coalesce(opportunity_type, 'unknown') as opportunity_type,
        outcome,
        case when outcome = 'won' then amount end as won_amount,
        case when outcome = 'lost' then coalesce(last_open_amount, amount) end as lost_amount
    from opportunities
),

aggregated as (
    select
        period_month,
        segment,
        owner_id,
        opportunity_type,
        count(case when outcome = 'won' then 1 end) as won_count,
        count(case when outcome = 'lost' then 1 end) as lost_count,
        coalesce(sum(won_amount), 0) as won_amount,
        coalesce(sum(lost_amount), 0) as lost_amount
    from closed_deals
    group by 1, 2, 3, 4
),

final as (
    select
        period_month,
        segment,
        owner_id,
        opportunity_type,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(won_count as {{ crm_double_type() }}) / nullif(won_count + lost_count, 0) as win_rate,
        {{ crm_money('won_amount') }} as won_amount,
        {{ crm_money('lost_amount') }} as lost_amount,
        cast(won_amount as {{ crm_double_type() }})
        / nullif(won_amount + lost_amount, 0) as win_rate_amount
    from aggregated
)

select * from final
