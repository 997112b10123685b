{#
    The month spine of every monthly model: one row per calendar month, from the month of the
    first CRM event (int_as_of_date.first_data_date) or, if earlier, of the first marketing
    spend, to the last month of the as-of year (where dim_dates ends). Each model filters it to
    its own bounds. No row when the data is empty.
#}
with

as_of as (
    select first_data_date, as_of_date
    from {{ ref('int_as_of_date') }}
),

first_spend as (
    select min(period_month) as first_spend_date
    from {{ ref('int_marketing_spend_accepted') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('month', 'least(' ~
            'coalesce(as_of.first_data_date, first_spend.first_spend_date), ' ~
            'coalesce(first_spend.first_spend_date, as_of.first_data_date))') }} as date)
            as first_month,
        {{ dbt.dateadd('month', 11, dbt.date_trunc('year', 'as_of.as_of_date')) }} as last_month
    from as_of
    cross join first_spend
),

months as (
    {{ crm_month_series('bounds', 'first_month', 'last_month') }}
),

final as (
    select
        period_month,
        cast({{ dbt.dateadd('month', 1, 'period_month') }} as date) as next_month_start
    from months
)

select * from final
