{#
    One row per month (dense), from the first month with history (or, if earlier, the first
    month a close date was pushed out of) to the as-of month. See _pipeline__risk__models.yml.
#}
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

states as (
    select
        opportunity_id,
        changed_at,
        history_sequence,
        amount,
        previous_amount,
        close_date,
        previous_close_date,
        is_push,
        is_amount_change
    from {{ ref('int_opportunity_states') }}
),

pushes as (
    select
        opportunity_id,
        cast({{ dbt.date_trunc('month', 'changed_at') }} as date) as period_month,
        {{ dbt.datediff('previous_close_date', 'close_date', 'day') }}
            as days_pushed
    from states
    where is_push
),

pushes_by_month as (
    select
        period_month,
        count(distinct opportunity_id) as pushed_deal_count,
        count(*) as push_count,
        sum(days_pushed) as total_days_pushed
    from pushes
    group by 1
),

pushed_out_rows as (
    select
        opportunity_id,
        cast({{ dbt.date_trunc('month', 'previous_close_date') }} as date) as period_month,
        amount,
        row_number() over (
            partition by
                opportunity_id,
                cast({{ dbt.date_trunc('month', 'previous_close_date') }} as date)
            order by history_sequence desc
        ) as recency
    from states
    where
        is_push
        and {{ dbt.date_trunc('month', 'close_date') }}
        > {{ dbt.date_trunc('month', 'previous_close_date') }}
),

pushed_out_by_month as (
    select
        period_month,
        count(*) as pushed_out_deal_count,
        sum(amount) as amount_pushed_out
    from pushed_out_rows
    where recency = 1
    group by 1
),

decreases_by_month as (
    select
        cast({{ dbt.date_trunc('month', 'changed_at') }} as date) as period_month,
        count(*) as amount_decrease_count,
        sum(previous_amount - amount) as amount_decrease_total
    from states
    where is_amount_change and amount < previous_amount
    group by 1
),

event_months as (
    select cast({{ dbt.date_trunc('month', 'changed_at') }} as date) as period_month
    from states
    union all
    select period_month from pushed_out_by_month
),

bounds as (
    select
        min(event_months.period_month) as first_month,
        max(as_of.as_of_date) as last_day
    from event_months
    cross join as_of
    having count(*) > 0
),

months as (
    {{ crm_spine_months('bounds', 'bounds.first_month', 'bounds.last_day') }}
),

final as (
    select
        months.period_month,
        cast(coalesce(pushes_by_month.pushed_deal_count, 0) as bigint) as pushed_deal_count,
        cast(coalesce(pushes_by_month.push_count, 0) as bigint) as push_count,
        cast(coalesce(pushes_by_month.total_days_pushed, 0) as bigint) as total_days_pushed,
        cast(coalesce(pushed_out_by_month.pushed_out_deal_count, 0) as bigint)
            as pushed_out_deal_count,
        {{ crm_money('coalesce(pushed_out_by_month.amount_pushed_out, 0)') }}
            as amount_pushed_out,
        cast(coalesce(decreases_by_month.amount_decrease_count, 0) as bigint)
            as amount_decrease_count,
        {{ crm_money('coalesce(decreases_by_month.amount_decrease_total, 0)') }}
            as amount_decrease_total
    from months
    left join pushes_by_month
        on months.period_month = pushes_by_month.period_month
    left join pushed_out_by_month
        on months.period_month = pushed_out_by_month.period_month
    left join decreases_by_month
        on months.period_month = decreases_by_month.period_month
)

select * from final
