{#
    One row: whether each input of the account-health and product marts has accepted rows. An
    optional table that is absent or empty leaves the columns that need it null (raw contract),
    so a mart tells "no row of this account in this month" (0) from "no such table" (null) here.
#}
with

activities as (
    select count(*) as row_count from {{ ref('int_activities_accepted') }}
),

subscriptions as (
    select count(*) as row_count from {{ ref('int_subscriptions_accepted') }}
),

product_users as (
    select count(*) as row_count from {{ ref('int_product_users_accepted') }}
),

usage_events as (
    select count(*) as row_count from {{ ref('int_usage_events_accepted') }}
),

support_tickets as (
    select count(*) as row_count from {{ ref('int_support_tickets_accepted') }}
),

final as (
    select
        activities.row_count > 0 as has_activities,
        subscriptions.row_count > 0 as has_subscriptions,
        product_users.row_count > 0 as has_product_users,
        usage_events.row_count > 0 as has_usage_events,
        support_tickets.row_count > 0 as has_support_tickets
    from activities
    cross join subscriptions
    cross join product_users
    cross join usage_events
    cross join support_tickets
)

select * from final
