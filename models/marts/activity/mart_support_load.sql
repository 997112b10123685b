{#
    One row per month from the month of the first ticket to the as-of month (dense): "service
    tickets per user / per company". Open at month end is a running count (opened so far minus
    closed so far), never ticket × month. See _activity__support__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

tickets as (
    select created_month, closed_month, closed_at, is_high_priority, hours_to_close
    from {{ ref('int_support_tickets_as_of') }}
),

product_usage as (
    select period_month, active_accounts, active_users
    from {{ ref('mart_product_usage') }}
),

mrr as (
    select account_id, period_month
    from {{ ref('fct_mrr') }}
    where mrr > 0
),

month_bounds as (
    select
        min(tickets.created_month) as first_month,
        min(as_of.as_of_date) as as_of_date
    from tickets
    cross join as_of
),

months as (
    {{ crm_spine_months('month_bounds', 'month_bounds.first_month', 'month_bounds.as_of_date') }}
),

opened as (
    select
        created_month as period_month,
        count(*) as tickets_opened,
        count(case when is_high_priority then 1 end) as high_priority_opened
    from tickets
    group by 1
),

closed as (
    select
        closed_month as period_month,
        count(*) as tickets_closed,
        {{ crm_percentile_cont('hours_to_close', 0.5) }} as median_hours_to_close
    from tickets
    where closed_at is not null
    group by 1
),

paying_accounts as (
    select period_month, count(distinct account_id) as paying_accounts
    from mrr
    group by 1
),

combined as (
    select
        months.period_month,
        coalesce(opened.tickets_opened, 0) as tickets_opened,
        coalesce(closed.tickets_closed, 0) as tickets_closed,
        coalesce(opened.high_priority_opened, 0) as high_priority_opened,
        closed.median_hours_to_close,
        product_usage.active_accounts,
        product_usage.active_users,
        coalesce(paying_accounts.paying_accounts, 0) as paying_accounts
    from months
    left join opened
        on months.period_month = opened.period_month
    left join closed
        on months.period_month = closed.period_month
    left join product_usage
        on months.period_month = product_usage.period_month
    left join paying_accounts
        on months.period_month = paying_accounts.period_month
),

{# every ticket is closed in or after its creation month, both within the months above #}
running as (
    select
        *,
        sum(tickets_opened) over (
            order by period_month rows between unbounded preceding and current row
        ) as opened_so_far,
        sum(tickets_closed) over (
            order by period_month rows between unbounded preceding and current row
        ) as closed_so_far
    from combined
),

final as (
    select
        period_month,
        cast(tickets_opened as bigint) as tickets_opened,
        cast(tickets_closed as bigint) as tickets_closed,
        cast(opened_so_far - closed_so_far as bigint) as open_at_month_end,
        cast(high_priority_opened as bigint) as high_priority_opened,
        cast(median_hours_to_close as {{ crm_double_type() }}) as median_hours_to_close,
        cast(active_accounts as bigint) as active_accounts,
        cast(active_users as bigint) as active_users,
        cast(paying_accounts as bigint) as paying_accounts,
        cast(
            cast(tickets_opened as {{ crm_double_type() }}) / nullif(active_accounts, 0)
            as {{ crm_double_type() }}
        ) as tickets_per_active_account,
        cast(
            cast(tickets_opened as {{ crm_double_type() }}) / nullif(active_users, 0)
            as {{ crm_double_type() }}
        ) as tickets_per_active_user,
        cast(
            cast(tickets_opened as {{ crm_double_type() }}) / nullif(paying_accounts, 0)
            as {{ crm_double_type() }}
        ) as tickets_per_paying_account
    from running
)

select * from final
