{#
    The day spine: one row per day from the first day with data to the last day of the as-of
    year, with its ISO week (Monday) and calendar month. dim_dates publishes it with the fiscal
    calendar; the day-grain intermediate models (int_opportunity_states, int_pipeline_days) read
    it here, below the facts. No row without data.
#}
with

bounds as (
    select
        first_data_date,
        {{ dbt.dateadd('day', -1, dbt.dateadd('year', 1, dbt.date_trunc('year', 'as_of_date'))) }}
            as last_date
    from {{ ref('int_as_of_date') }}
    where first_data_date is not null
),

days as (
    {{ crm_date_series('bounds', 'first_data_date', 'last_date') }}
),

final as (
    select
        date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as period_week,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as period_month
    from days
)

select * from final
