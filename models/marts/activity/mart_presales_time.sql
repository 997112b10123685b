{#
    One row per SE × period_month × activity_type with at least one activity of the SE (sparse):
    "opportunity time", how much of the SEs' logged time is spent on deals. The SEs are those
    of mart_presales (users with role SE and anyone named presales owner of a deal), so that the
    hours summed over types equal mart_presales.hours_logged (a data test). See
    _activity__presales_effort__models.yml.
#}
with

users as (
    select user_id, role from {{ ref('dim_users') }}
),

opportunities as (
    select presales_owner_id
    from {{ ref('fct_opportunities') }}
    where presales_owner_id is not null
),

activities as (
    select user_id, activity_type, activity_at, opportunity_id, hours
    from {{ ref('int_activities_enriched') }}
),

presales_users as (
    select user_id as se_user_id
    from users
    where role = 'SE'
    union
    select presales_owner_id as se_user_id from opportunities
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
