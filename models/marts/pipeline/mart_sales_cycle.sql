{#
    One row per owner_id × period_month (of closed_at) with at least one won deal: how long won
    deals took, from created_at to the final closed_at, in fractional days.
#}
with

opportunities as (
    select opportunity_id, owner_id, closed_at, days_to_close
    from {{ ref('fct_opportunities') }}
    where outcome = 'won'
),

aggregated as (
    select
        owner_id,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        count(*) as won_count,
        avg(days_to_close) as avg_days_to_close,
        {{ crm_percentile_cont('days_to_close', 0.5) }} as median_days_to_close
    from opportunities
    group by 1, 2
),

final as (
    select
        owner_id,
        period_month,
        cast(won_count as bigint) as won_count,
        cast(avg_days_to_close as {{ crm_double_type() }}) as avg_days_to_close,
        cast(median_days_to_close as {{ crm_double_type() }}) as median_days_to_close
    from aggregated
)

select * from final
