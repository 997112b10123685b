{#
    One row per period_month (of the final closed_at) × loss_reason with at least one lost
    deal. An empty loss reason is `unknown`. Lost amounts are last_open_amount (the amount
    when created already lost). Shares are within the month.
#}
with

opportunities as (
    select opportunity_id, closed_at, loss_reason, amount, last_open_amount
    from {{ ref('fct_opportunities') }}
    where outcome = 'lost'
),

lost_deals as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        coalesce(loss_reason, 'unknown') as loss_reason,
        coalesce(last_open_amount, amount) as lost_amount
    from opportunities
),

by_reason as (
    select
        period_month,
        loss_reason,
        count(*) as lost_count,
        coalesce(sum(lost_amount), 0) as lost_amount
    from lost_deals
    group by 1, 2
),

with_month_totals as (
    select
        *,
        sum(lost_count) over (partition by period_month) as month_lost_count,
        sum(lost_amount) over (partition by period_month) as month_lost_amount
    from by_reason
),

final as (
    select
        period_month,
        loss_reason,
        cast(lost_count as bigint) as lost_count,
        {{ crm_money('lost_amount') }} as lost_amount,
        cast(lost_count as {{ crm_double_type() }}) / nullif(month_lost_count, 0) as share_of_lost,
        cast(lost_amount as {{ crm_double_type() }})
        / nullif(month_lost_amount, 0) as share_of_lost_amount
    from with_month_totals
)

select * from final
