{#
    One row per month from the first month with deal history to the as-of month (dense).
    See _pipeline__forecast__models.yml.
#}
with

instants as (
    select snapshot_at, period_month
    from {{ ref('int_pipeline_snapshot_instants') }}
    where snapshot_kind = 'month_start'
),

snapshots as (
    select snapshot_at, state, amount, created_at, closed_at
    from {{ ref('int_opportunity_snapshots') }}
    where snapshot_kind = 'month_start'
),

open_at_start as (
    select snapshot_at, count(*) as open_count
    from snapshots
    where state = 'open'
    group by 1
),

trailing_closed as (
    select
        snapshot_at,
        count(case when state = 'won' then 1 end) as won_count,
        count(*) as closed_count,
        {{ crm_money_divide(
            'sum(case when state = \'won\' then amount end)',
            'count(case when state = \'won\' then amount end)'
        ) }} as avg_won_amount,
        avg(
            case when state = 'won' then {{ crm_days_between('created_at', 'closed_at') }} end
        ) as avg_cycle_days
    from snapshots
    where
        state in ('won', 'lost')
        and closed_at >= {{ dbt.dateadd('month', -12, 'snapshot_at') }}
    group by 1
),

joined as (
    select
        instants.period_month,
        coalesce(open_at_start.open_count, 0) as open_count,
        coalesce(trailing_closed.won_count, 0) as won_count,
        coalesce(trailing_closed.closed_count, 0) as closed_count,
        cast(trailing_closed.won_count as {{ crm_double_type() }})
        / nullif(trailing_closed.closed_count, 0) as win_rate,
        trailing_closed.avg_won_amount,
        trailing_closed.avg_cycle_days
    from instants
    left join open_at_start
        on instants.snapshot_at = open_at_start.snapshot_at
    left join trailing_closed
        on instants.snapshot_at = trailing_closed.snapshot_at
),

final as (
    select
        period_month,
        cast(open_count as bigint) as open_count,
        cast(won_count as bigint) as trailing_won_count,
        cast(closed_count as bigint) as trailing_closed_count,
        cast(win_rate as {{ crm_double_type() }}) as win_rate,
        avg_won_amount,
        cast(avg_cycle_days as {{ crm_double_type() }}) as avg_cycle_days,
        {#- from the published average (already money); the rest is a ratio (double) #}
        {{ crm_money_product(
            'avg_won_amount', 'open_count * win_rate / nullif(avg_cycle_days, 0)'
        ) }} as velocity_per_day
    from joined
)

select * from final
