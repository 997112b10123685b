{#
    One row per accepted support ticket created by the end of the as-of date, with its close as
    known on the as-of date (a closed_at after the end of the as-of date has not happened yet:
    null, the ticket is still open), its months, whether it is high priority (high or urgent)
    and its hours from created_at to closed_at (seconds / 3600).
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

tickets as (
    select ticket_id, account_id, created_at, closed_at, priority
    from {{ ref('int_support_tickets_accepted') }}
),

with_as_of_end as (
    select
        tickets.ticket_id,
        tickets.account_id,
        tickets.created_at,
        tickets.closed_at,
        tickets.priority,
        cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as timestamp) as as_of_end
    from tickets
    cross join as_of
),

bounded as (
    select
        ticket_id,
        account_id,
        created_at,
        case when closed_at < as_of_end then closed_at end as closed_at,
        priority
    from with_as_of_end
    where created_at < as_of_end
),

final as (
    select
        ticket_id,
        account_id,
        created_at,
        closed_at,
        cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
        cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as closed_month,
        coalesce(priority in ('high', 'urgent'), false) as is_high_priority,
        {{ dbt.datediff('created_at', 'closed_at', 'second') }}
        / cast(3600 as {{ crm_double_type() }}) as hours_to_close
    from bounded
)

select * from final
