{#- One row per accepted CRM user; months_since_hire is whole months to the as-of date. -#}
with

users as (
    select
        user_id, full_name, email, role, manager_id, team, segment, hired_on, is_active
    from {{ ref('int_users_accepted') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

final as (
    select
        users.user_id,
        users.full_name,
        users.email,
        users.role,
        users.manager_id,
        coalesce(users.team, 'unknown') as team,
        coalesce(users.segment, 'unknown') as segment,
        users.hired_on,
        users.is_active,
        case
            when users.hired_on <= as_of.as_of_date
                then {{ crm_months_between('users.hired_on', 'as_of.as_of_date') }}
        end as months_since_hire
    from users
    cross join as_of
)

select * from final
