{#
    One row per manager × period_month with at least one active SE reporting to the manager:
    "direct reports", the size and load of each presales manager's team. Reports are users with
    role SE whose manager_id is the manager, active in the month by the rule of
    int_user_tenure; their hours are mart_presales.hours_logged (0 for a month without a row).
    Months run from the first month with data to the as-of month. See
    _activity__presales_outcomes__models.yml.
#}
with

as_of as (
    select as_of_date, first_data_month
    from {{ ref('int_as_of_date') }}
),

user_tenure as (
    select user_id, manager_id, first_active_month, last_active_date
    from {{ ref('int_user_tenure') }}
    where role = 'SE' and manager_id is not null
),

presales as (
    select se_user_id, period_month, hours_logged from {{ ref('mart_presales') }}
),

months as (
    {{ crm_spine_months('as_of', 'as_of.first_data_month', 'as_of.as_of_date') }}
),

active_reports as (
    select
        user_tenure.manager_id,
        user_tenure.user_id,
        months.period_month
    from months
    inner join user_tenure
        on
            (
                months.period_month >= user_tenure.first_active_month
                or user_tenure.first_active_month is null
            )
            and months.period_month <= user_tenure.last_active_date
),

aggregated as (
    select
        active_reports.manager_id,
        active_reports.period_month,
        count(*) as direct_report_count,
        coalesce(sum(presales.hours_logged), 0) as total_hours
    from active_reports
    left join presales
        on
            active_reports.user_id = presales.se_user_id
            and active_reports.period_month = presales.period_month
    group by 1, 2
),

final as (
    select
        manager_id,
        period_month,
        cast(direct_report_count as bigint) as direct_report_count,
        cast(total_hours as {{ crm_double_type() }})
        / nullif(direct_report_count * {{ var('standard_monthly_hours') }}, 0) as avg_utilization,
        cast(total_hours as {{ crm_double_type() }}) as total_hours
    from aggregated
)

select * from final
