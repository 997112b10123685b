{#
    One row per SE × period_month × activity_type with at least one activity of the SE (sparse):
    "opportunity time", how much of the SEs' logged time is spent on deals. The SEs are those
    of mart_presales (int_presales_users: role SE or named presales owner of a deal), so that the
    hours summed over types equal mart_presales.hours_logged (a data test). See
    _activity__presales_outcomes__models.yml.
#}
with

presales_users as (
    select se_user_id from {{ ref('int_presales_users') }}
),

activities as (
    select user_id, activity_type, activity_at, opportunity_id, hours
    from {{ ref('int_activities_enriched') }}
),

aggregated as (
    select
        activities.user_id as se_user_id,
        cast({{ dbt.date_trunc('month', 'activities.activity_at') }} as date) as period_month,
        activities.activity_type,
        count(*) as activity_count,
        sum(activities.hours) as hours,
        sum(
            case when activities.opportunity_id is not null then activities.hours else 0 end
        ) as revenue_hours
    from activities
    inner join presales_users
        on activities.user_id = presales_users.se_user_id
    group by 1, 2, 3
),

final as (
    select
        se_user_id,
        period_month,
        activity_type,
        cast(hours as {{ crm_double_type() }}) as hours,
        cast(revenue_hours as {{ crm_double_type() }}) as revenue_hours,
        cast(revenue_hours as {{ crm_double_type() }})
        / nullif(hours, 0) as share_revenue_generating,
        cast(activity_count as bigint) as activity_count
    from aggregated
)

select * from final
