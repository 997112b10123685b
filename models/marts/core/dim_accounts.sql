{#- One row per accepted account. -#}
with

accounts as (
    select
        account_id, account_name, industry, employee_count, country, segment, owner_id, created_at
    from {{ ref('int_accounts_accepted') }}
)

select * from accounts
