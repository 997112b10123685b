{#
    One row per month from the first month with MRR data to the as-of month (dense): the MRR
    bridge (starting + new + expansion + contraction + churn + reactivation = ending) and the
    customer bridge, from fct_mrr. See _revenue__models.yml.
#}
with

fct_mrr as (
    select period_month, mrr, mrr_change, change_category
    from {{ ref('fct_mrr') }}
),

as_of as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
),

month_bounds as (
    select
        min(fct_mrr.period_month) as first_month,
        min(as_of.as_of_month) as as_of_month
    from fct_mrr
    cross join as_of
),

months as (
    {{ crm_spine_months('month_bounds', 'month_bounds.first_month', 'month_bounds.as_of_month') }}
),

movements_by_month as (
    select
        period_month,
        sum(case when change_category = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when change_category = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(
            case when change_category = 'contraction' then mrr_change else 0 end
        ) as contraction_mrr,
        sum(case when change_category = 'churn' then mrr_change else 0 end) as churned_mrr,
        sum(
            case when change_category = 'reactivation' then mrr_change else 0 end
        ) as reactivation_mrr,
        sum(mrr) as ending_mrr,
        count(case when change_category = 'new' then 1 end) as new_customers,
        count(case when change_category = 'reactivation' then 1 end) as reactivated_customers,
        count(case when change_category = 'churn' then 1 end) as churned_customers,
        count(case when mrr > 0 then 1 end) as customers_end
    from fct_mrr
    group by 1
),

dense as (
    select
        months.period_month,
        coalesce(movements_by_month.new_mrr, 0) as new_mrr,
        coalesce(movements_by_month.expansion_mrr, 0) as expansion_mrr,
        coalesce(movements_by_month.contraction_mrr, 0) as contraction_mrr,
        coalesce(movements_by_month.churned_mrr, 0) as churned_mrr,
        coalesce(movements_by_month.reactivation_mrr, 0) as reactivation_mrr,
        coalesce(movements_by_month.ending_mrr, 0) as ending_mrr,
        coalesce(movements_by_month.new_customers, 0) as new_customers,
        coalesce(movements_by_month.reactivated_customers, 0) as reactivated_customers,
        coalesce(movements_by_month.churned_customers, 0) as churned_customers,
        coalesce(movements_by_month.customers_end, 0) as customers_end
    from months
    left join movements_by_month
        on months.period_month = movements_by_month.period_month
),

final as (
    select
        period_month,
        {{ crm_money('coalesce(lag(ending_mrr) over (order by period_month), 0)') }}
            as starting_mrr,
        {{ crm_money('new_mrr') }} as new_mrr,
        {{ crm_money('expansion_mrr') }} as expansion_mrr,
        {{ crm_money('contraction_mrr') }} as contraction_mrr,
        {{ crm_money('churned_mrr') }} as churned_mrr,
        {{ crm_money('reactivation_mrr') }} as reactivation_mrr,
        {{ crm_money('ending_mrr') }} as ending_mrr,
        cast(coalesce(lag(customers_end) over (order by period_month), 0) as bigint)
            as customers_start,
        cast(new_customers as bigint) as new_customers,
        cast(reactivated_customers as bigint) as reactivated_customers,
        cast(churned_customers as bigint) as churned_customers,
        cast(customers_end as bigint) as customers_end
    from dense
)

select * from final
