{#
    One row per cohort month × months since the cohort month, from the cohort month to the
    as-of month (a complete retention triangle: months where nobody of the cohort pays are
    rows with 0). See _revenue__models.yml.
#}
with

fct_mrr as (
    select account_id, mrr, cohort_month, months_since_cohort
    from {{ ref('fct_mrr') }}
),

int_months as (
    select period_month from {{ ref('int_months') }}
),

as_of as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
),

cohorts as (
    select
        cohort_month,
        count(distinct account_id) as cohort_customers
    from fct_mrr
    group by 1
),

cohort_months as (
    select
        cohorts.cohort_month,
        cohorts.cohort_customers,
        {{ crm_months_between('cohorts.cohort_month', 'int_months.period_month') }}
            as months_since_start
    from cohorts
    cross join as_of
    inner join int_months
        on
            cohorts.cohort_month <= int_months.period_month
            and as_of.as_of_month >= int_months.period_month
),

paying_by_cohort_month as (
    select
        cohort_month,
        months_since_cohort as months_since_start,
        count(*) as active_customers,
        sum(mrr) as mrr
    from fct_mrr
    where mrr > 0
    group by 1, 2
),

filled as (
    select
        cohort_months.cohort_month,
        cohort_months.months_since_start,
        cohort_months.cohort_customers,
        coalesce(paying_by_cohort_month.active_customers, 0) as active_customers,
        coalesce(paying_by_cohort_month.mrr, 0) as mrr
    from cohort_months
    left join paying_by_cohort_month
        on
            cohort_months.cohort_month = paying_by_cohort_month.cohort_month
            and cohort_months.months_since_start = paying_by_cohort_month.months_since_start
),

with_month_zero as (
    select
        cohort_month,
        months_since_start,
        cohort_customers,
        active_customers,
        mrr,
        max(case when months_since_start = 0 then mrr end) over (
            partition by cohort_month
        ) as month_zero_mrr
    from filled
),

final as (
    select
        cohort_month,
        cast(months_since_start as integer) as months_since_start,
        cast(cohort_customers as bigint) as cohort_customers,
        cast(active_customers as bigint) as active_customers,
        {{ crm_money('mrr') }} as mrr,
        {{ crm_money('month_zero_mrr') }} as month_zero_mrr,
        cast(active_customers as {{ crm_double_type() }})
        / nullif(cohort_customers, 0) as logo_retention,
        cast(mrr as {{ crm_double_type() }}) / nullif(month_zero_mrr, 0) as revenue_retention
    from with_month_zero
)

select * from final
