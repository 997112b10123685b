{#
    One row per month from the first month with MRR or marketing spend to the as-of month
    (dense): the SaaS headline KPIs. Each column's formula is in
    _revenue__saas_kpis__models.yml; every division whose divisor is zero (or null) gives null.
    The v5 columns (net new MRR and ARR, growth, annual logo churn, sales cost and full CAC,
    seats and ARPU) come after the v4 ones.
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

fct_mrr as (
    select account_id, period_month, mrr, change_category
    from {{ ref('fct_mrr') }}
),

sales_costs as (
    select period_month, amount
    from {{ ref('int_sales_costs_accepted') }}
),

subscriptions as (
    select start_date, end_date, quantity
    from {{ ref('int_subscriptions_accepted') }}
    where quantity is not null
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

{# As marketing spend: each row to the cent, 0 in a month without rows, null without the table. #}
sales_cost_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'period_month') }} as date) as period_month,
        sum({{ crm_money(crm_amount_decimal('amount')) }}) as sales_cost
    from sales_costs
    group by 1
),

has_sales_cost_data as (
    select count(*) > 0 as has_sales_cost_data
    from sales_costs
),

{# The first month whose first day is on or after a date (the date's month when a 1st). #}
{%- set first_month_from = "cast(" ~ dbt.dateadd(
    'month', 1, dbt.date_trunc('month', dbt.dateadd('day', -1, '{date}'))
) ~ " as date)" %}

{#
    Seats: a subscription with a quantity counts from the first month whose first day is on or
    after start_date until the first month whose first day is on or after end_date (active on
    the month's first day: start_date <= day < end_date). Built from change events and a
    running sum, as int_mrr_by_account_month, never a subscription × month spread.
#}
seat_ranges as (
    select
        {{ first_month_from | replace('{date}', 'start_date') }} as active_from_month,
        case
            when end_date is not null then {{ first_month_from | replace('{date}', 'end_date') }}
        end as active_until_month,
        {{ crm_amount_decimal('quantity') }} as quantity
    from subscriptions
),

seat_events as (
    select
        active_from_month as period_month,
        quantity as seat_delta,
        1 as subscription_delta
    from seat_ranges
    where active_until_month is null or active_until_month > active_from_month
    union all
    select
        active_until_month as period_month,
        -quantity as seat_delta,
        -1 as subscription_delta
    from seat_ranges
    where active_until_month > active_from_month
),

seat_deltas_by_month as (
    select
        period_month,
        sum(seat_delta) as seat_delta,
        sum(subscription_delta) as subscription_delta
    from seat_events
    group by 1
),

seat_levels as (
    select
        period_month as valid_from_month,
        lead(period_month) over (order by period_month) as valid_until_month,
        sum(seat_delta) over (
            order by period_month rows between unbounded preceding and current row
        ) as seats,
        sum(subscription_delta) over (
            order by period_month rows between unbounded preceding and current row
        ) as subscriptions_with_quantity
    from seat_deltas_by_month
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

{#
    Annual logo churn: the accounts paying twelve months before the month (then_month + 12 =
    period_month), and those of them with a churn row in months -11..0 (after then_month, up to
    period_month), even if they paid again since.
#}
paying_a_year_earlier as (
    select
        account_id,
        period_month as then_month,
        cast({{ dbt.dateadd('month', 12, 'period_month') }} as date) as period_month
    from fct_mrr
    where mrr > 0
),

churn_rows as (
    select account_id, period_month as churn_month
    from fct_mrr
    where change_category = 'churn'
),

churned_within_year as (
    select distinct
        paying_a_year_earlier.account_id,
        paying_a_year_earlier.period_month
    from paying_a_year_earlier
    inner join churn_rows
        on
            paying_a_year_earlier.account_id = churn_rows.account_id
            and paying_a_year_earlier.then_month < churn_rows.churn_month
            and paying_a_year_earlier.period_month >= churn_rows.churn_month
),

annual_logo_churn as (
    select
        paying_a_year_earlier.period_month,
        count(*) as customers_a_year_earlier,
        count(churned_within_year.account_id) as churned_within_year
    from paying_a_year_earlier
    left join churned_within_year
        on
            paying_a_year_earlier.account_id = churned_within_year.account_id
            and paying_a_year_earlier.period_month = churned_within_year.period_month
    group by 1
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
        churn_ttm.ttm_avg_logo_churn_rate,
        case
            when has_sales_cost_data.has_sales_cost_data
                then coalesce(sales_cost_by_month.sales_cost, 0)
        end as sales_cost,
        case
            when seat_levels.subscriptions_with_quantity > 0 then seat_levels.seats
        end as seats,
        annual_logo_churn.customers_a_year_earlier,
        annual_logo_churn.churned_within_year
    from months
    cross join has_spend_data
    cross join has_sales_cost_data
    left join movements
        on months.period_month = movements.period_month
    left join spend_by_month
        on months.period_month = spend_by_month.period_month
    left join churn_ttm
        on months.period_month = churn_ttm.period_month
    left join sales_cost_by_month
        on months.period_month = sales_cost_by_month.period_month
    left join seat_levels
        on
            months.period_month >= seat_levels.valid_from_month
            and (
                months.period_month < seat_levels.valid_until_month
                or seat_levels.valid_until_month is null
            )
    left join annual_logo_churn
        on months.period_month = annual_logo_churn.period_month
),

{# The month before's MRR, and a year before's (the series is dense: 12 rows back). #}
with_earlier as (
    select
        *,
        coalesce(lag(mrr) over (order by period_month), 0) as starting_mrr,
        lag(mrr, 12) over (order by period_month) as mrr_a_year_earlier
    from combined
),

unit_economics as (
    select
        *,
        cast(mrr as {{ crm_double_type() }}) / nullif(customers, 0) as arpa,
        cast(new_mrr as {{ crm_double_type() }}) / nullif(new_customers, 0) as new_customer_arpa,
        cast(marketing_spend as {{ crm_double_type() }})
        / nullif(new_customers, 0) as marketing_cac,
        cast(marketing_spend + sales_cost as {{ crm_double_type() }})
        / nullif(new_customers, 0) as full_cac
    from with_earlier
),

lifetime as (
    select
        *,
        arpa * {{ var('gross_margin') }}
        / nullif(ttm_avg_logo_churn_rate, 0) as ltv,
        marketing_cac
        / nullif(new_customer_arpa * {{ var('gross_margin') }}, 0) as cac_payback_months,
        full_cac
        / nullif(new_customer_arpa * {{ var('gross_margin') }}, 0) as full_cac_payback_months
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
        / nullif(-(churned_mrr + contraction_mrr), 0) as quick_ratio,
        {{ crm_money('mrr - starting_mrr') }} as net_new_mrr,
        {{ crm_money('12 * (mrr - starting_mrr)') }} as net_new_arr,
        cast(mrr - starting_mrr as {{ crm_double_type() }})
        / nullif(starting_mrr, 0) as mrr_growth_rate,
        cast(mrr - mrr_a_year_earlier as {{ crm_double_type() }})
        / nullif(mrr_a_year_earlier, 0) as arr_growth_yoy,
        {{ crm_money('12 * expansion_mrr') }} as expansion_arr,
        cast(churned_within_year as {{ crm_double_type() }})
        / nullif(customers_a_year_earlier, 0) as annual_logo_churn_rate,
        {{ crm_money('sales_cost') }} as sales_cost,
        {{ crm_money_divide('marketing_spend + sales_cost', 'new_customers') }} as full_cac,
        cast(full_cac_payback_months as {{ crm_double_type() }}) as full_cac_payback_months,
        cast(ltv / nullif(full_cac, 0) as {{ crm_double_type() }}) as ltv_to_full_cac,
        cast(seats as decimal(18, 4)) as seats,
        {{ crm_money_divide(
            'cast(mrr as decimal(38, 4)) * 10000', 'cast(seats as decimal(38, 4)) * 10000'
        ) }} as arpu
    from lifetime
)

select * from final
