{#
    mart_presales_outcomes summed over se_user_id gives every month's closed deals of
    mart_presales_summary (closed_count), and its rows other than `none` the closed deals with a
    presales owner (closed_with_presales_count). Returns the disagreeing months.
#}
with

outcomes as (
    select
        period_month,
        sum(won_count + lost_count + qualified_out_count) as closed_count,
        sum(
            case when se_user_id <> 'none' then won_count + lost_count + qualified_out_count end
        ) as closed_with_presales_count
    from {{ ref('mart_presales_outcomes') }}
    group by 1
),

summary as (
    select period_month, closed_count, closed_with_presales_count
    from {{ ref('mart_presales_summary') }}
    where closed_count > 0
),

compared as (
    select
        coalesce(summary.period_month, outcomes.period_month) as period_month,
        summary.closed_count as summary_closed_count,
        outcomes.closed_count as outcomes_closed_count,
        summary.closed_with_presales_count as summary_with_presales,
        coalesce(outcomes.closed_with_presales_count, 0) as outcomes_with_presales
    from summary
    full outer join outcomes
        on summary.period_month = outcomes.period_month
)

select *
from compared
where
    summary_closed_count is null
    or outcomes_closed_count is null
    or summary_closed_count <> outcomes_closed_count
    or summary_with_presales <> outcomes_with_presales
