{#
    One row per amount band with at least one closed deal. A deal's band is that of the amount
    it was worked at: the final amount of a won deal, last_open_amount of a lost deal (its
    amount when created already lost). Bands are var amount_band_edges, [lo, hi); a null
    amount is `unknown`.
#}
with

opportunities as (
    select opportunity_id, outcome, amount, last_open_amount
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

closed_deals as (
    select
        opportunity_id,
        outcome,
        case
            when outcome = 'won' then amount
            else coalesce(last_open_amount, amount)
        end as deal_amount
    from opportunities
),

banded as (
    select
        {{ crm_amount_band('deal_amount') }} as amount_band,
        outcome,
        deal_amount
    from closed_deals
),

aggregated as (
    select
        amount_band,
        count(case when outcome = 'won' then 1 end) as won_count,
        count(case when outcome = 'lost' then 1 end) as lost_count,
        {{ crm_money_divide(
            'sum(case when outcome = \'won\' then deal_amount end)',
            'count(case when outcome = \'won\' then deal_amount end)'
        ) }} as avg_won_amount
    from banded
    group by 1
),

final as (
    select
        amount_band,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(won_count as {{ crm_double_type() }}) / nullif(won_count + lost_count, 0) as win_rate,
        avg_won_amount
    from aggregated
)

select * from final
