{#
    mart_activity_volume summed over weeks and types equals mart_activity_efficiency's
    activity_count summed over months, per user; its calls equal the dials and its connected
    calls the connects (weeks straddle months, so users are compared over the whole period).
    Returns the disagreeing users.
#}
with

volume as (
    select
        user_id,
        sum(activity_count) as activity_count,
        sum(case when activity_type = 'call' then activity_count else 0 end) as dials,
        sum(connected_count) as connects
    from {{ ref('mart_activity_volume') }}
    group by 1
),

efficiency as (
    select
        user_id,
        sum(activity_count) as activity_count,
        sum(dials) as dials,
        sum(connects) as connects
    from {{ ref('mart_activity_efficiency') }}
    group by 1
    having sum(activity_count) > 0
),

compared as (
    select
        coalesce(volume.user_id, efficiency.user_id) as user_id,
        volume.activity_count as volume_activity_count,
        efficiency.activity_count as efficiency_activity_count,
        volume.dials as volume_dials,
        efficiency.dials as efficiency_dials,
        volume.connects as volume_connects,
        efficiency.connects as efficiency_connects
    from volume
    full outer join efficiency
        on volume.user_id = efficiency.user_id
)

select *
from compared
where
    volume_activity_count is null
    or efficiency_activity_count is null
    or volume_activity_count <> efficiency_activity_count
    or volume_dials <> efficiency_dials
    or volume_connects <> efficiency_connects
