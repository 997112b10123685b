{#
    One row per day of the day spine int_days (from the first day with data to the last day of
    the as-of year). Weeks are ISO weeks (Monday). Fiscal years start in month var
    fiscal_year_start_month and are named by the calendar year they end in (a year starting
    February 2025 is fiscal 2026).
#}
with

days as (
    select date_day, period_week, period_month
    from {{ ref('int_days') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

calendar as (
    select
        days.date_day,
        days.period_week,
        days.period_month,
        extract(year from days.date_day) as calendar_year,
        extract(month from days.date_day) as calendar_month,
        days.date_day = as_of.as_of_date as is_as_of_date
    from days
    cross join as_of
),

final as (
    {%- set start_month = var('fiscal_year_start_month') | int %}
    select
        date_day,
        period_week,
        period_month,
        cast(
            calendar_year
            {%- if start_month > 1 %}
                + case when calendar_month >= {{ start_month }} then 1 else 0 end
            {%- endif %}
            as integer
        ) as fiscal_year,
        cast(
            floor(mod(cast(calendar_month as integer) - {{ start_month }} + 12, 12) / 3) + 1
            as integer
        ) as fiscal_quarter,
        is_as_of_date
    from calendar
)

select * from final
