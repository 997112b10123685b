{#
    One row per account × month in which the account had MRR, an activity, a usage event or a
    ticket opened, up to the as-of month: "customer happiness index". The components and
    health_score rules are in _activity__health__models.yml. Each input table that is absent or
    empty (int_product_inputs_present) nulls the columns and the component that need it.
    Open high-priority tickets are a running count per account, the usage peak a join to at most
    12 monthly rows of the account, seats a join of the account's subscriptions with a quantity:
    never account × day.
#}
with

as_of as (
    select cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_as_of_date') }}
),

inputs as (
    select has_activities, has_subscriptions, has_usage_events, has_support_tickets
    from {{ ref('int_product_inputs_present') }}
),

mrr as (
    select account_id, period_month, mrr
    from {{ ref('fct_mrr') }}
),

engagement as (
    select account_id, period_month, conversations, activity_count
    from {{ ref('mart_account_engagement') }}
),

events as (
    select account_id, product_user_id, period_month, event_type, duration_minutes
    from {{ ref('int_usage_events_as_of') }}
    where account_id is not null
),

tickets as (
    select account_id, created_month, closed_month, closed_at, is_high_priority
    from {{ ref('int_support_tickets_as_of') }}
    where account_id is not null
),

subscriptions as (
    select account_id, start_date, end_date, quantity
    from {{ ref('int_subscriptions_accepted') }}
    where quantity is not null
),

usage_by_month as (
    select
        account_id,
        period_month,
        count(distinct product_user_id) as active_users,
        count(case when event_type = 'login' then 1 end) as logins,
        avg(case when event_type = 'session' then duration_minutes end) as avg_session_minutes
    from events
    group by 1, 2
),

tickets_by_month as (
    select account_id, created_month as period_month, count(*) as tickets_opened
    from tickets
    group by 1, 2
),

account_months as (
    select mrr.account_id, mrr.period_month
    from mrr
    cross join as_of
    where mrr.mrr > 0 and mrr.period_month <= as_of.as_of_month
    union
    select account_id, period_month from engagement
    where activity_count > 0
    union
    select account_id, period_month from usage_by_month
    union
    select account_id, period_month from tickets_by_month
),

{# +1 in the month a high or urgent ticket opens, −1 in the month it closes #}
high_priority_changes as (
    select account_id, created_month as period_month, 1 as open_change
    from tickets
    where is_high_priority
    union all
    select account_id, closed_month as period_month, -1 as open_change
    from tickets
    where is_high_priority and closed_at is not null
    union all
    select account_id, period_month, 0 as open_change
    from account_months
),

high_priority_by_month as (
    select account_id, period_month, sum(open_change) as open_change
    from high_priority_changes
    group by 1, 2
),

high_priority_open as (
    select
        account_id,
        period_month,
        sum(open_change) over (
            partition by account_id order by period_month
            rows between unbounded preceding and current row
        ) as high_priority_open_at_month_end
    from high_priority_by_month
),

{# the highest monthly active_users of the account over months −11..0 #}
usage_peak as (
    select
        account_months.account_id,
        account_months.period_month,
        max(usage_by_month.active_users) as peak_active_users
    from account_months
    inner join usage_by_month
        on
            account_months.account_id = usage_by_month.account_id
            and account_months.period_month >= usage_by_month.period_month
            and cast({{ dbt.dateadd('month', -11, 'account_months.period_month') }} as date)
            <= usage_by_month.period_month
    group by 1, 2
),

{# subscriptions with a quantity active on the month's first day #}
seats as (
    select
        account_months.account_id,
        account_months.period_month,
        sum(subscriptions.quantity) as seats
    from account_months
    inner join subscriptions
        on
            account_months.account_id = subscriptions.account_id
            and account_months.period_month >= subscriptions.start_date
            and (
                account_months.period_month < subscriptions.end_date
                or subscriptions.end_date is null
            )
    group by 1, 2
),

combined as (
    select
        account_months.account_id,
        account_months.period_month,
        case
            when inputs.has_subscriptions then coalesce(mrr_now.mrr, 0)
        end as mrr,
        case
            when inputs.has_subscriptions then coalesce(mrr_earlier.mrr, 0)
        end as mrr_3_months_earlier,
        case
            when inputs.has_activities then coalesce(engagement_now.conversations, 0)
        end as conversations,
        case
            when inputs.has_activities then coalesce(engagement_before.conversations, 0)
        end as conversations_previous_month,
        case
            when inputs.has_usage_events then coalesce(usage_by_month.active_users, 0)
        end as active_users,
        case
            when inputs.has_usage_events then coalesce(usage_by_month.logins, 0)
        end as logins,
        usage_by_month.avg_session_minutes,
        usage_peak.peak_active_users,
        case
            when inputs.has_support_tickets then coalesce(tickets_by_month.tickets_opened, 0)
        end as tickets_opened,
        case
            when inputs.has_support_tickets
                then coalesce(high_priority_open.high_priority_open_at_month_end, 0)
        end as high_priority_open_at_month_end,
        seats.seats
    from account_months
    cross join inputs
    left join mrr as mrr_now
        on
            account_months.account_id = mrr_now.account_id
            and account_months.period_month = mrr_now.period_month
    left join mrr as mrr_earlier
        on
            account_months.account_id = mrr_earlier.account_id
            and cast({{ dbt.dateadd('month', -3, 'account_months.period_month') }} as date)
            = mrr_earlier.period_month
    left join engagement as engagement_now
        on
            account_months.account_id = engagement_now.account_id
            and account_months.period_month = engagement_now.period_month
    left join engagement as engagement_before
        on
            account_months.account_id = engagement_before.account_id
            and cast({{ dbt.dateadd('month', -1, 'account_months.period_month') }} as date)
            = engagement_before.period_month
    left join usage_by_month
        on
            account_months.account_id = usage_by_month.account_id
            and account_months.period_month = usage_by_month.period_month
    left join usage_peak
        on
            account_months.account_id = usage_peak.account_id
            and account_months.period_month = usage_peak.period_month
    left join tickets_by_month
        on
            account_months.account_id = tickets_by_month.account_id
            and account_months.period_month = tickets_by_month.period_month
    left join high_priority_open
        on
            account_months.account_id = high_priority_open.account_id
            and account_months.period_month = high_priority_open.period_month
    left join seats
        on
            account_months.account_id = seats.account_id
            and account_months.period_month = seats.period_month
),

components as (
    select
        *,
        cast(active_users as {{ crm_double_type() }})
        / nullif(peak_active_users, 0) as usage_score,
        case
            when conversations > 0 or conversations_previous_month > 0 then 1.0
            when conversations is not null then 0.0
        end as engagement_score,
        case
            when high_priority_open_at_month_end > 0 then 0.0
            when high_priority_open_at_month_end is not null then 1.0
        end as support_score,
        case
            when mrr >= mrr_3_months_earlier then 1.0
            else
                cast(mrr as {{ crm_double_type() }})
                / cast(mrr_3_months_earlier as {{ crm_double_type() }})
        end as revenue_score
    from combined
),

scored as (
    select
        *,
        100 * (
            coalesce(usage_score, 0) + coalesce(engagement_score, 0)
            + coalesce(support_score, 0) + coalesce(revenue_score, 0)
        )
        / nullif(
            case when usage_score is null then 0 else 1 end
            + case when engagement_score is null then 0 else 1 end
            + case when support_score is null then 0 else 1 end
            + case when revenue_score is null then 0 else 1 end,
            0
        ) as health_score
    from components
),

final as (
    select
        account_id,
        period_month,
        {{ crm_money('mrr') }} as mrr,
        {{ crm_money('mrr_3_months_earlier') }} as mrr_3_months_earlier,
        cast(conversations as bigint) as conversations,
        cast(active_users as bigint) as active_users,
        cast(logins as bigint) as logins,
        cast(avg_session_minutes as {{ crm_double_type() }}) as avg_session_minutes,
        cast(tickets_opened as bigint) as tickets_opened,
        cast(high_priority_open_at_month_end as bigint) as high_priority_open_at_month_end,
        cast(seats as {{ crm_double_type() }}) as seats,
        cast(
            cast(active_users as {{ crm_double_type() }}) / nullif(seats, 0)
            as {{ crm_double_type() }}
        ) as seat_utilization,
        cast(usage_score as {{ crm_double_type() }}) as usage_score,
        cast(engagement_score as {{ crm_double_type() }}) as engagement_score,
        cast(support_score as {{ crm_double_type() }}) as support_score,
        cast(revenue_score as {{ crm_double_type() }}) as revenue_score,
        cast(health_score as {{ crm_double_type() }}) as health_score
    from scored
)

select * from final
