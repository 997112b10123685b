{#
    One row per month × forecast method, from the as-of month to the last month with open
    pipeline or a quota (dense between). See _pipeline__forecast__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

deal_probabilities as (
    select forecast_month, method, amount, weighted_amount
    from {{ ref('int_forecast_deal_probabilities') }}
    where snapshot_kind = 'as_of'
),

won as (
    select period_month, won_amount
    from {{ ref('int_won_amount_by_month') }}
),

methods as (
    select method from {{ ref('int_forecast_methods') }}
),

targets as (
    select
        user_id,
        period_month,
        {#- a target is money: read as decimal and rounded to the cent, once per row #}
        {{ crm_money(crm_amount_decimal('target_value')) }} as quota_amount
    from {{ ref('int_targets_accepted') }}
    where metric = 'bookings_amount'
),

as_of_month as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as period_month
    from as_of
),

monthly_quota as (
    select
        cast({{ dbt.date_trunc('month', 'period_month') }} as date) as period_month,
        sum(case when user_id is null then quota_amount end) as company_quota,
        sum(case when user_id is not null then quota_amount end) as rep_quota_sum
    from targets
    group by 1
),

candidate_months as (
    select forecast_month as period_month from deal_probabilities
    union all
    select period_month from monthly_quota
    union all
    select period_month from as_of_month
),

bounds as (
    select
        min(as_of_month.period_month) as first_month,
        max(candidate_months.period_month) as last_month
    from as_of_month
    inner join candidate_months
        on as_of_month.period_month <= candidate_months.period_month
),

months as (
    {{ crm_spine_months('bounds', 'bounds.first_month', 'bounds.last_month') }}
),

pipeline as (
    select
        forecast_month as period_month,
        method,
        count(*) as open_count,
        sum(amount) as open_pipeline_amount,
        sum(weighted_amount) as weighted_pipeline_amount
    from deal_probabilities
    group by 1, 2
),

joined as (
    select
        months.period_month,
        methods.method,
        coalesce(pipeline.open_count, 0) as open_count,
        coalesce(pipeline.open_pipeline_amount, 0) as open_pipeline_amount,
        coalesce(pipeline.weighted_pipeline_amount, 0) as weighted_pipeline_amount,
        coalesce(won.won_amount, 0) as won_to_date,
        coalesce(monthly_quota.company_quota, monthly_quota.rep_quota_sum) as quota
    from months
    cross join methods
    left join pipeline
        on
            months.period_month = pipeline.period_month
            and methods.method = pipeline.method
    left join won
        on months.period_month = won.period_month
    left join monthly_quota
        on months.period_month = monthly_quota.period_month
),

final as (
    select
        period_month,
        method,
        cast(open_count as bigint) as open_count,
        {{ crm_money('open_pipeline_amount') }} as open_pipeline_amount,
        {{ crm_money('weighted_pipeline_amount') }} as weighted_pipeline_amount,
        {{ crm_money('won_to_date') }} as won_to_date,
        {{ crm_money('won_to_date + weighted_pipeline_amount') }} as expected_bookings,
        {{ crm_money('quota') }} as quota,
        case
            when quota - won_to_date > 0
                then
                    cast(open_pipeline_amount as {{ crm_double_type() }})
                    / cast(quota - won_to_date as {{ crm_double_type() }})
        end as coverage
    from joined
)

select * from final
