{#
    One row per accepted usage event up to the end of the as-of date, with its day and month
    (UTC) and the account of its product user (the user's own account_id; null when it has
    none). The usage columns of mart_product_usage, mart_activation and mart_account_health read
    events here.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

events as (
    select event_id, product_user_id, event_at, event_type, duration_minutes
    from {{ ref('int_usage_events_accepted') }}
),

product_users as (
    select product_user_id, account_id
    from {{ ref('int_product_users_accepted') }}
),

joined as (
    select
        events.event_id,
        events.product_user_id,
        product_users.account_id,
        events.event_at,
        events.event_type,
        events.duration_minutes
    from events
    left join product_users
        on events.product_user_id = product_users.product_user_id
),

final as (
    select
        joined.event_id,
        joined.product_user_id,
        joined.account_id,
        joined.event_at,
        cast(joined.event_at as date) as event_date,
        cast({{ dbt.date_trunc('month', 'joined.event_at') }} as date) as period_month,
        joined.event_type,
        joined.duration_minutes
    from joined
    cross join as_of
    where joined.event_at < cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as timestamp)
)

select * from final
