{#
    One row per accepted product user who signed up by the end of the as-of date, with the
    account it belongs to (its own account_id) and its activation as known on the as-of date:
    an activated_at after the end of the as-of date has not happened yet (null), like one the
    contract nulled for lying before signed_up_at (finding activated_before_signup).
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

product_users as (
    select product_user_id, account_id, signed_up_at, activated_at
    from {{ ref('int_product_users_accepted') }}
),

bounded as (
    select
        product_users.product_user_id,
        product_users.account_id,
        product_users.signed_up_at,
        product_users.activated_at,
        cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as timestamp) as as_of_end
    from product_users
    cross join as_of
),

final as (
    select
        product_user_id,
        account_id,
        signed_up_at,
        case when activated_at < as_of_end then activated_at end as activated_at
    from bounded
    where signed_up_at < as_of_end
)

select * from final
