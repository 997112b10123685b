{#
    mart_account_health.tickets_opened summed over accounts, plus the tickets without an
    account, equals mart_support_load.tickets_opened, month by month (the months of either
    side; a month missing on one side counts 0 there). Returns the disagreeing months.
#}
with

health as (
    select period_month, sum(tickets_opened) as tickets_opened
    from {{ ref('mart_account_health') }}
    where tickets_opened is not null
    group by 1
),

without_account as (
    select created_month as period_month, count(*) as tickets_opened
    from {{ ref('int_support_tickets_as_of') }}
    where account_id is null
    group by 1
),

support_load as (
    select period_month, tickets_opened
    from {{ ref('mart_support_load') }}
),

months as (
    select period_month from health
    union
    select period_month from without_account
    union
    select period_month from support_load
),

compared as (
    select
        months.period_month,
        coalesce(health.tickets_opened, 0)
        + coalesce(without_account.tickets_opened, 0) as health_tickets_opened,
        coalesce(support_load.tickets_opened, 0) as support_load_tickets_opened
    from months
    left join health
        on months.period_month = health.period_month
    left join without_account
        on months.period_month = without_account.period_month
    left join support_load
        on months.period_month = support_load.period_month
)

select *
from compared
where health_tickets_opened <> support_load_tickets_opened
