{#
    One row per ISO signup week (the Monday) from the first signup's week to the week of the
    as-of date (dense): "activation velocity" and "new user churn rate". Each user is compared
    with its own windows (its events joined on the user and the (30, 60] day window after its
    activation), never user × day. See _activity__product__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

inputs as (
    select has_usage_events from {{ ref('int_product_inputs_present') }}
),

product_users as (
    select product_user_id, signed_up_at, activated_at
    from {{ ref('int_product_users_as_of') }}
),

events as (
    select product_user_id, event_at
    from {{ ref('int_usage_events_as_of') }}
),

classified as (
    select
        product_users.product_user_id,
        cast({{ dbt.date_trunc('week', 'product_users.signed_up_at') }} as date) as signup_week,
        product_users.activated_at,
        coalesce(
            product_users.activated_at
            <= {{ crm_timestamp_add('hour', 48, 'product_users.signed_up_at') }},
            false
        ) as is_activated_48h,
        coalesce(
            {{ crm_timestamp_add('day', 60, 'product_users.activated_at') }}
            < cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as timestamp),
            false
        ) as is_churn_eligible
    from product_users
    cross join as_of
),

{# eligible users with an event in (activated_at + 30 days, activated_at + 60 days] #}
retained as (
    select distinct classified.product_user_id
    from classified
    inner join events
        on
            classified.product_user_id = events.product_user_id
            and events.event_at > {{ crm_timestamp_add('day', 30, 'classified.activated_at') }}
            and events.event_at <= {{ crm_timestamp_add('day', 60, 'classified.activated_at') }}
    where classified.is_churn_eligible
),

by_week as (
    select
        classified.signup_week,
        count(*) as new_users,
        count(classified.activated_at) as activated_users,
        count(case when classified.is_activated_48h then 1 end) as activated_48h,
        count(case when classified.is_churn_eligible then 1 end) as churn_eligible,
        count(
            case when classified.is_churn_eligible and retained.product_user_id is null then 1 end
        ) as churned_30d
    from classified
    left join retained
        on classified.product_user_id = retained.product_user_id
    group by 1
),

week_bounds as (
    select
        min(by_week.signup_week) as first_week,
        min(as_of.as_of_date) as as_of_date
    from by_week
    cross join as_of
),

days as (
    {{ crm_date_series('week_bounds', 'week_bounds.first_week', 'week_bounds.as_of_date') }}
),

weeks as (
    select distinct cast({{ dbt.date_trunc('week', 'date_day') }} as date) as signup_week
    from days
),

combined as (
    select
        weeks.signup_week,
        coalesce(by_week.new_users, 0) as new_users,
        coalesce(by_week.activated_users, 0) as activated_users,
        coalesce(by_week.activated_48h, 0) as activated_48h,
        coalesce(by_week.churn_eligible, 0) as churn_eligible,
        case when inputs.has_usage_events then coalesce(by_week.churned_30d, 0) end as churned_30d
    from weeks
    cross join inputs
    left join by_week
        on weeks.signup_week = by_week.signup_week
),

final as (
    select
        signup_week,
        cast(new_users as bigint) as new_users,
        cast(activated_users as bigint) as activated_users,
        cast(activated_48h as bigint) as activated_48h,
        cast(
            cast(activated_48h as {{ crm_double_type() }}) / nullif(new_users, 0)
            as {{ crm_double_type() }}
        ) as activation_velocity,
        cast(churn_eligible as bigint) as churn_eligible,
        cast(churned_30d as bigint) as churned_30d,
        cast(
            cast(churned_30d as {{ crm_double_type() }}) / nullif(churn_eligible, 0)
            as {{ crm_double_type() }}
        ) as new_user_churn_rate
    from combined
)

select * from final
