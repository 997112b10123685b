{#
    One row per past month × forecast method: what the forecast said at the start of the month
    (history replayed to that instant) against the won amount of the month.
    See _pipeline__forecast__models.yml.
#}
with

instants as (
    select snapshot_at, period_month
    from {{ ref('int_pipeline_snapshot_instants') }}
    where snapshot_kind = 'month_start'
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

deal_probabilities as (
    select snapshot_at, forecast_month, method, amount, weighted_amount
    from {{ ref('int_forecast_deal_probabilities') }}
    where snapshot_kind = 'month_start'
),

won as (
    select period_month, won_amount
    from {{ ref('int_won_amount_by_month') }}
),

methods as (
    select method from {{ ref('int_forecast_methods') }}
),

past_months as (
    select instants.snapshot_at, instants.period_month
    from instants
    cross join as_of
    where instants.period_month < cast({{ dbt.date_trunc('month', 'as_of.as_of_date') }} as date)
),

forecast_at_month_start as (
    select
        snapshot_at,
        method,
        count(*) as open_count,
        sum(amount) as open_pipeline_amount,
        sum(weighted_amount) as weighted_pipeline_amount
    from deal_probabilities
    where forecast_month = cast(snapshot_at as date)
    group by 1, 2
),

joined as (
    select
        past_months.period_month,
        methods.method,
        coalesce(forecast_at_month_start.open_count, 0) as open_count,
        coalesce(forecast_at_month_start.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(forecast_at_month_start.weighted_pipeline_amount, 0) as expected_bookings,
        coalesce(won.won_amount, 0) as actual_won_amount
    from past_months
    cross join methods
    left join forecast_at_month_start
        on
            past_months.snapshot_at = forecast_at_month_start.snapshot_at
            and methods.method = forecast_at_month_start.method
    left join won
        on past_months.period_month = won.period_month
),

final as (
    select
        period_month,
        method,
        cast(open_count as bigint) as open_count,
        {{ crm_money('open_pipeline_amount') }} as open_pipeline_amount,
        {{ crm_money('expected_bookings') }} as expected_bookings,
        {{ crm_money('actual_won_amount') }} as actual_won_amount,
        {{ crm_money('expected_bookings - actual_won_amount') }} as error,
        cast(abs(expected_bookings - actual_won_amount) as {{ crm_double_type() }})
        / nullif(cast(actual_won_amount as {{ crm_double_type() }}), 0)
            as absolute_percentage_error
    from joined
)

select * from final
