{#
    One row per presales user of mart_presales and mart_presales_time: every user with role SE
    and anyone named presales owner (opportunities.presales_owner_id) of an accepted deal, so
    that a presales owner recorded with another role still has their hours counted.
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

final as (
    select user_id as se_user_id
    from users
    where role = 'SE'
    union
    select presales_owner_id as se_user_id from opportunities
)

select * from final
