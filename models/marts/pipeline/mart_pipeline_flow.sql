{#
    One row per grain (month, week) × period: the open pipeline at the start and end of the
    period and the events that moved it. See _pipeline__flow__models.yml for each column.

    open_*_start / open_*_end are the deals' state at the instants period_start and next
    period start (state after all history rows with changed_at < the instant), summed from the
    open-state validity intervals of int_open_pipeline_changes; the event columns classify the
    history rows. The two are computed independently, so the identity tests can fail.
#}
with

states as (
    select
        changed_at,
        state,
        previous_state,
        amount,
        previous_amount,
        is_creation,
        is_reopen
    from {{ ref('int_opportunity_states') }}
),

open_pipeline_changes as (
    select changed_at, open_count_delta, open_amount_delta
    from {{ ref('int_open_pipeline_changes') }}
),

reported_dates as (
    select period_week, period_month
    from {{ ref('int_pipeline_days') }}
),

periods as (
    select distinct
        'month' as grain,
        period_month as period_start
    from reported_dates
    union all
    select distinct
        'week' as grain,
        period_week as period_start
    from reported_dates
),

flow_events as (
    select
        changed_at,
        case when is_creation then 1 else 0 end as created_count,
        case when is_creation then coalesce(amount, 0) else 0 end as created_amount,
        case when is_reopen then 1 else 0 end as reopened_count,
        case when is_reopen then coalesce(amount, 0) else 0 end as reopened_amount,
        case
            when state = 'won' and (is_creation or previous_state = 'open') then 1 else 0
        end as won_count,
        case
            when state = 'won' and is_creation then coalesce(amount, 0)
            when state = 'won' and previous_state = 'open' then coalesce(previous_amount, 0)
            else 0
        end as won_amount,
        case
            when state = 'lost' and (is_creation or previous_state = 'open') then 1 else 0
        end as lost_count,
        case
            when state = 'lost' and is_creation then coalesce(amount, 0)
            when state = 'lost' and previous_state = 'open' then coalesce(previous_amount, 0)
            else 0
        end as lost_amount,
        case
            when previous_state = 'open' and state = 'open'
                then coalesce(amount, 0) - coalesce(previous_amount, 0)
            else 0
        end as amount_change
    from states
),

flow_events_in_periods as (
    select
        'month' as grain,
        cast({{ dbt.date_trunc('month', 'changed_at') }} as date) as period_start,
        flow_events.*
    from flow_events
    union all
    select
        'week' as grain,
        cast({{ dbt.date_trunc('week', 'changed_at') }} as date) as period_start,
        flow_events.*
    from flow_events
),

flow_by_period as (
    select
        grain,
        period_start,
        sum(created_count) as created_count,
        sum(created_amount) as created_amount,
        sum(reopened_count) as reopened_count,
        sum(reopened_amount) as reopened_amount,
        sum(won_count) as won_count,
        sum(won_amount) as won_amount,
        sum(lost_count) as lost_count,
        sum(lost_amount) as lost_amount,
        sum(amount_change) as amount_change
    from flow_events_in_periods
    group by 1, 2
),

open_changes_in_periods as (
    select
        'month' as grain,
        cast({{ dbt.date_trunc('month', 'changed_at') }} as date) as period_start,
        open_count_delta,
        open_amount_delta
    from open_pipeline_changes
    union all
    select
        'week' as grain,
        cast({{ dbt.date_trunc('week', 'changed_at') }} as date) as period_start,
        open_count_delta,
        open_amount_delta
    from open_pipeline_changes
),

open_changes_by_period as (
    select
        grain,
        period_start,
        sum(open_count_delta) as open_count_delta,
        sum(open_amount_delta) as open_amount_delta
    from open_changes_in_periods
    group by 1, 2
),

dense_periods as (
    select
        periods.grain,
        periods.period_start,
        coalesce(open_changes_by_period.open_count_delta, 0) as open_count_delta,
        coalesce(open_changes_by_period.open_amount_delta, 0) as open_amount_delta,
        coalesce(flow_by_period.created_count, 0) as created_count,
        coalesce(flow_by_period.created_amount, 0) as created_amount,
        coalesce(flow_by_period.reopened_count, 0) as reopened_count,
        coalesce(flow_by_period.reopened_amount, 0) as reopened_amount,
        coalesce(flow_by_period.won_count, 0) as won_count,
        coalesce(flow_by_period.won_amount, 0) as won_amount,
        coalesce(flow_by_period.lost_count, 0) as lost_count,
        coalesce(flow_by_period.lost_amount, 0) as lost_amount,
        coalesce(flow_by_period.amount_change, 0) as amount_change
    from periods
    left join open_changes_by_period
        on
            periods.grain = open_changes_by_period.grain
            and periods.period_start = open_changes_by_period.period_start
    left join flow_by_period
        on
            periods.grain = flow_by_period.grain
            and periods.period_start = flow_by_period.period_start
),

open_at_instants as (
    select
        *,
        coalesce(sum(open_count_delta) over (
            partition by grain order by period_start
            rows between unbounded preceding and 1 preceding
        ), 0) as open_count_start,
        coalesce(sum(open_amount_delta) over (
            partition by grain order by period_start
            rows between unbounded preceding and 1 preceding
        ), 0) as open_amount_start,
        sum(open_count_delta) over (
            partition by grain order by period_start
            rows between unbounded preceding and current row
        ) as open_count_end,
        sum(open_amount_delta) over (
            partition by grain order by period_start
            rows between unbounded preceding and current row
        ) as open_amount_end
    from dense_periods
),

final as (
    select
        cast(grain as {{ dbt.type_string() }}) as grain,
        period_start,
        cast(open_count_start as bigint) as open_count_start,
        {{ crm_money('open_amount_start') }} as open_amount_start,
        cast(created_count as bigint) as created_count,
        {{ crm_money('created_amount') }} as created_amount,
        cast(reopened_count as bigint) as reopened_count,
        {{ crm_money('reopened_amount') }} as reopened_amount,
        cast(won_count as bigint) as won_count,
        {{ crm_money('won_amount') }} as won_amount,
        cast(lost_count as bigint) as lost_count,
        {{ crm_money('lost_amount') }} as lost_amount,
        {{ crm_money('amount_change') }} as amount_change,
        cast(open_count_end as bigint) as open_count_end,
        {{ crm_money('open_amount_end') }} as open_amount_end,
        cast(created_count + reopened_count - won_count - lost_count as bigint) as net_flow_count
    from open_at_instants
)

select * from final
