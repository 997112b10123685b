{#
    One row per month from the first month with MRR or marketing spend to the as-of month
    (dense): the SaaS headline KPIs. Each column's formula is in _revenue__kpis__models.yml; every
    division whose divisor is zero (or null) gives null.
#}
with

movements as (
    select
        period_month,
        new_mrr,
        expansion_mrr,
        contraction_mrr,
        churned_mrr,
        reactivation_mrr,
        ending_mrr,
        new_customers,
        customers_end
    from {{ ref('mart_mrr_movements') }}
),

churn as (
    select period_month, logo_churn_rate
    from {{ ref('mart_churn') }}
),

marketing_spend as (
    select period_month, spend
    from {{ ref('int_marketing_spend_accepted') }}
),

as_of as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
),

spend_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'period_month') }} as date) as period_month,
        sum({{ crm_money(crm_amount_decimal('spend')) }}) as marketing_spend
    from marketing_spend
    group by 1
),

has_spend_data as (
    select count(*) > 0 as has_spend_data
    from marketing_spend
),

first_months as (
    select period_month from movements
    union all
    select period_month from spend_by_month
),

month_bounds as (
    select
        min(first_months.period_month) as first_month,
        min(as_of.as_of_month) as as_of_month
    from first_months
    cross join as_of
),

{# int_months starts early enough for spend months before the first CRM event. #}
months as (
    {{ crm_spine_months('month_bounds', 'month_bounds.first_month', 'month_bounds.as_of_month') }}
),

{# Mean of the monthly logo churn rates of this month and the 11 before (nulls skipped). #}
churn_ttm as (
    select
        period_month,
        avg(logo_churn_rate) over (
            order by period_month
            rows between 11 preceding and current row
        ) as ttm_avg_logo_churn_rate
    from churn
),

combined as (
    select
        months.period_month,
        coalesce(movements.ending_mrr, 0) as mrr,
        coalesce(movements.customers_end, 0) as customers,
        coalesce(movements.new_customers, 0) as new_customers,
        coalesce(movements.new_mrr, 0) as new_mrr,
        coalesce(movements.expansion_mrr, 0) as expansion_mrr,
        coalesce(movements.contraction_mrr, 0) as contraction_mrr,
        coalesce(movements.churned_mrr, 0) as churned_mrr,
        coalesce(movements.reactivation_mrr, 0) as reactivation_mrr,
        case
            when has_spend_data.has_spend_data
                then coalesce(spend_by_month.marketing_spend, 0)
        end as marketing_spend,
        churn_ttm.ttm_avg_logo_churn_rate
    from months
    cross join has_spend_data
    left join movements
        on months.period_month = movements.period_month
    left join spend_by_month
        on months.period_month = spend_by_month.period_month
    left join churn_ttm
        on months.period_month = churn_ttm.period_month
),

unit_economics as (
    select
        *,
        cast(mrr as {{ crm_double_type() }}) / nullif(customers, 0) as arpa,
        cast(new_mrr as {{ crm_double_type() }}) / nullif(new_customers, 0) as new_customer_arpa,
        cast(marketing_spend as {{ crm_double_type() }}) / nullif(new_customers, 0) as marketing_cac
    from combined
),

lifetime as (
    select
        *,
        arpa * {{ var('gross_margin') }}
        / nullif(ttm_avg_logo_churn_rate, 0) as ltv,
        marketing_cac
        / nullif(new_customer_arpa * {{ var('gross_margin') }}, 0) as cac_payback_months
    from unit_economics
),

final as (
    select
        period_month,
        {{ crm_money('mrr') }} as mrr,
        {{ crm_money('12 * mrr') }} as arr,
        cast(customers as bigint) as customers,
        {{ crm_money_divide('mrr', 'customers') }} as arpa,
        cast(new_customers as bigint) as new_customers,
        {{ crm_money_divide('new_mrr', 'new_customers') }} as new_customer_arpa,
        {{ crm_money('marketing_spend') }} as marketing_spend,
        {{ crm_money_divide('marketing_spend', 'new_customers') }} as marketing_cac,
        cast(cac_payback_months as {{ crm_double_type() }}) as cac_payback_months,
        cast(ttm_avg_logo_churn_rate as {{ crm_double_type() }}) as ttm_avg_logo_churn_rate,
        {{ crm_money_product(
            'mrr',
            'cast(' ~ var('gross_margin') ~ ' as ' ~ crm_double_type() ~ ')'
            ~ ' / nullif(customers * ttm_avg_logo_churn_rate, 0)'
        ) }} as ltv,
        cast(ltv / nullif(marketing_cac, 0) as {{ crm_double_type() }}) as ltv_to_cac,
        cast(new_mrr + expansion_mrr + reactivation_mrr as {{ crm_double_type() }})
        / nullif(-(churned_mrr + contraction_mrr), 0) as quick_ratio
    from lifetime
)

select * from final
