{#
    One row per period_month of the final closed_at × segment × opportunity_type with at least
    one won deal (sparse): average contract value. acv_trailing_12m averages the won deals of
    the same segment and type closed in the 12 months ending with this one (months −11..0), from
    per-month sums and counts (an average of deals, not of monthly averages; a self-join of at
    most 12 cell-months per row). Amounts are the final won amounts, not annualised; a null
    amount counts in won_count but in no average. See _pipeline__customers__models.yml.
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
        avg(amount) as avg_contract_value,
        {{ crm_percentile_cont('amount', 0.5) }} as median_contract_value
    from won_deals
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
        {{ crm_money('cell_months.avg_contract_value') }} as avg_contract_value,
        {{ crm_money('cell_months.median_contract_value') }} as median_contract_value,
        {{ crm_money(
            'cast(trailing_window.trailing_won_amount as ' ~ crm_double_type() ~ ')'
            ~ ' / nullif(trailing_window.trailing_valued_count, 0)'
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
)

select * from final
