{#
    mart_presales_time summed over activity types equals mart_presales.hours_logged for every
    SE-month of mart_presales (0 where the SE logged nothing), and every SE-month of
    mart_presales_time is in mart_presales. Returns the disagreements.
#}
with

presales_time as (
    select se_user_id, period_month, sum(hours) as hours
    from {{ ref('mart_presales_time') }}
    group by 1, 2
),

presales as (
    select se_user_id, period_month, hours_logged
    from {{ ref('mart_presales') }}
),

compared as (
    select
        coalesce(presales.se_user_id, presales_time.se_user_id) as se_user_id,
        coalesce(presales.period_month, presales_time.period_month) as period_month,
        presales.hours_logged,
        coalesce(presales_time.hours, 0) as time_hours
    from presales
    full outer join presales_time
        on
            presales.se_user_id = presales_time.se_user_id
            and presales.period_month = presales_time.period_month
)

select *
from compared
where hours_logged is null or abs(hours_logged - time_hours) > 0.000001
