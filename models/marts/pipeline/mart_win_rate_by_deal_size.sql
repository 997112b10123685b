{#
    One row per amount band with at least one closed deal. A deal's band is that of the amount
    it was worked at: the final amount of a won deal, last_open_amount of a lost deal (its
    amount when created already lost). Bands are var amount_band_edges, [lo, hi); a null
    amount is `unknown`. The v5 columns *_12m count the deals closed in the twelve months
    ending on the as-of date: closed_at's date after as_of_date − 12 months and on or before
    as_of_date (a band with closed deals only before that has 0 and a null rate).
#}
with

as_of as (
    select
        as_of_date,
        cast({{ dbt.dateadd('month', -12, 'as_of_date') }} as date) as year_before_as_of_date
    from {{ ref('int_as_of_date') }}
),

opportunities as (
    select opportunity_id, outcome, amount, last_open_amount, closed_at
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

closed_deals as (
    select
        opportunities.opportunity_id,
        opportunities.outcome,
        case
            when opportunities.outcome = 'won' then opportunities.amount
            else coalesce(opportunities.last_open_amount, opportunities.amount)
        end as deal_amount,
        coalesce(
            cast(opportunities.closed_at as date) > as_of.year_before_as_of_date
            and cast(opportunities.closed_at as date) <= as_of.as_of_date,
            false
        ) as is_closed_last_12m
    from opportunities
    cross join as_of
),

banded as (
    select
        {{ crm_amount_band('deal_amount') }} as amount_band,
        outcome,
        deal_amount,
        is_closed_last_12m
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
        ) }} as avg_won_amount,
        count(case when outcome = 'won' and is_closed_last_12m then 1 end) as won_count_12m,
        count(case when outcome = 'lost' and is_closed_last_12m then 1 end) as lost_count_12m
    from banded
    group by 1
),

final as (
    select
        amount_band,
        cast(won_count as bigint) as won_count,
        cast(lost_count as bigint) as lost_count,
        cast(won_count as {{ crm_double_type() }}) / nullif(won_count + lost_count, 0) as win_rate,
        avg_won_amount,
        cast(won_count_12m as bigint) as won_count_12m,
        cast(lost_count_12m as bigint) as lost_count_12m,
        cast(won_count_12m as {{ crm_double_type() }})
        / nullif(won_count_12m + lost_count_12m, 0) as win_rate_12m
    from aggregated
)

select * from final
