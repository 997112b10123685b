{#
    One row per period_month, dense from the first month with data to the as-of month: how
    much of the closed business had presales support, how many AEs each SE serves, and how
    busy the SEs were. "Active" is the rule of int_user_tenure. See
    _activity__presales__models.yml for the rules chosen.
#}
with

as_of as (
    select as_of_date, first_data_month
    from {{ ref('int_as_of_date') }}
),

user_tenure as (
    select user_id, role, first_active_month, last_active_date
    from {{ ref('int_user_tenure') }}
    where role in ('AE', 'SE')
),

opportunities as (
    select presales_owner_id, outcome, closed_at
    from {{ ref('fct_opportunities') }}
    where outcome in ('won', 'lost')
),

presales as (
    select period_month, utilization from {{ ref('mart_presales') }}
),

months as (
    {{ crm_spine_months('as_of', 'as_of.first_data_month', 'as_of.as_of_date') }}
),

headcount as (
    select
        months.period_month,
        count(case when user_tenure.role = 'AE' then 1 end) as active_ae_count,
        count(case when user_tenure.role = 'SE' then 1 end) as active_se_count
    from months
    inner join user_tenure
        on
            (
                months.period_month >= user_tenure.first_active_month
                or user_tenure.first_active_month is null
            )
            and months.period_month <= user_tenure.last_active_date
    group by 1
),

closed as (
    select
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as period_month,
        count(*) as closed_count,
        count(presales_owner_id) as closed_with_presales_count
    from opportunities
    group by 1
),

utilization as (
    select
        period_month,
        count(*) as se_row_count,
        avg(utilization) as avg_utilization
    from presales
    group by 1
),

final as (
    select
        months.period_month,
        cast(closed.closed_with_presales_count as {{ crm_double_type() }})
        / nullif(closed.closed_count, 0) as attach_rate,
        cast(headcount.active_ae_count as {{ crm_double_type() }})
        / nullif(headcount.active_se_count, 0) as support_ratio,
        cast(utilization.avg_utilization as {{ crm_double_type() }}) as avg_utilization,
        cast(coalesce(closed.closed_count, 0) as bigint) as closed_count,
        cast(coalesce(closed.closed_with_presales_count, 0) as bigint)
            as closed_with_presales_count,
        cast(coalesce(headcount.active_ae_count, 0) as bigint) as active_ae_count,
        cast(coalesce(headcount.active_se_count, 0) as bigint) as active_se_count,
        cast(coalesce(utilization.se_row_count, 0) as bigint) as se_row_count
    from months
    left join closed
        on months.period_month = closed.period_month
    left join headcount
        on months.period_month = headcount.period_month
    left join utilization
        on months.period_month = utilization.period_month
)

select * from final
