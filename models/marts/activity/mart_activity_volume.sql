{#
    One row per user × ISO week (Monday) × activity_type with at least one activity (sparse):
    "number of activities" per rep per week. Activities after the as-of date are left out; the
    account touched is the activity's account_id, else its deal's (int_activities_enriched).
    See _activity__engagement__models.yml.
#}
with

activities as (
    select
        user_id, activity_type, activity_at, minutes, is_connected_call, account_id, opportunity_id
    from {{ ref('int_activities_enriched') }}
),

weekly as (
    select
        user_id,
        cast({{ dbt.date_trunc('week', 'activity_at') }} as date) as period_week,
        activity_type,
        count(*) as activity_count,
        sum(minutes) as total_minutes,
        count(case when is_connected_call then 1 end) as connected_count,
        count(distinct account_id) as accounts_touched,
        count(distinct opportunity_id) as opportunities_touched
    from activities
    group by 1, 2, 3
),

final as (
    select
        user_id,
        period_week,
        activity_type,
        cast(activity_count as bigint) as activity_count,
        cast(total_minutes as {{ crm_double_type() }}) as total_minutes,
        cast(connected_count as bigint) as connected_count,
        cast(accounts_touched as bigint) as accounts_touched,
        cast(opportunities_touched as bigint) as opportunities_touched
    from weekly
)

select * from final
