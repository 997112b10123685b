{#
    One row per period_month of the final closed_at × segment × opportunity_type with at least
    one won deal (sparse): average contract value. acv_trailing_12m averages the won deals of
    the same segment and type closed in the 12 months ending with this one (months −11..0), from
    per-month sums and counts (an average of deals, not of monthly averages; a self-join of at
    most 12 cell-months per row). Amounts are the final won amounts, not annualised; a null
    amount counts in won_count but in no average. The median is the middle amount, or the
    average of the two middle ones, found by ranking (exact: a percentile function would
    interpolate in double on PostgreSQL and Spark, and DuckDB's drops the half cent); averages
    divide exact sums (crm_money_divide). See _pipeline__customers__models.yml.
#}
with

opportunities as (
    select segment, opportunity_type, closed_at, amount
    from {{ ref('fct_opportunities') }}
    where outcome = 'won'
),

won_deals as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        segment,
        opportunity_type,
        amount
    from opportunities
),

cell_months as (
    select
        period_month,
        segment,
        opportunity_type,
        count(*) as won_count,
        count(amount) as valued_count,
        sum(amount) as won_amount,
        {{ crm_money_divide('sum(amount)', 'count(amount)') }} as avg_contract_value
    from won_deals
    group by 1, 2, 3
),

ranked_amounts as (
    select
        period_month,
        segment,
        opportunity_type,
        amount,
        row_number() over (
            partition by period_month, segment, opportunity_type order by amount
        ) as amount_rank,
        count(*) over (partition by period_month, segment, opportunity_type) as valued_count
    from won_deals
    where amount is not null
),

medians as (
    {#- The middle rank (odd count) or the two middle ranks (even count): 2 × rank within
        [count, count + 2]. #}
    select
        period_month,
        segment,
        opportunity_type,
        {{ crm_money_divide('sum(amount)', 'count(*)') }} as median_contract_value
    from ranked_amounts
    where 2 * amount_rank between valued_count and valued_count + 2
    group by 1, 2, 3
),

trailing_window as (
    select
        cell_months.period_month,
        cell_months.segment,
        cell_months.opportunity_type,
        sum(window_months.won_count) as trailing_won_count,
        sum(window_months.valued_count) as trailing_valued_count,
        sum(window_months.won_amount) as trailing_won_amount
    from cell_months
    inner join cell_months as window_months
        on
            cell_months.segment = window_months.segment
            and cell_months.opportunity_type = window_months.opportunity_type
            and cell_months.period_month >= window_months.period_month
            and {{ dbt.dateadd('month', -12, 'cell_months.period_month') }}
            < window_months.period_month
    group by 1, 2, 3
),

final as (
    select
        cell_months.period_month,
        cell_months.segment,
        cell_months.opportunity_type,
        cast(cell_months.won_count as bigint) as won_count,
        cell_months.avg_contract_value,
        medians.median_contract_value,
        {{ crm_money_divide(
            'trailing_window.trailing_won_amount', 'trailing_window.trailing_valued_count'
        ) }} as acv_trailing_12m,
        {{ crm_money('coalesce(cell_months.won_amount, 0)') }} as won_amount,
        cast(trailing_window.trailing_won_count as bigint) as won_count_trailing_12m,
        cast(cell_months.valued_count as bigint) as valued_won_count
    from cell_months
    inner join trailing_window
        on
            cell_months.period_month = trailing_window.period_month
            and cell_months.segment = trailing_window.segment
            and cell_months.opportunity_type = trailing_window.opportunity_type
    left join medians
        on
            cell_months.period_month = medians.period_month
            and cell_months.segment = medians.segment
            and cell_months.opportunity_type = medians.opportunity_type
)

select * from final
