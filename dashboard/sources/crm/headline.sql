-- The headline numbers for the as-of month, by the rules of the report's tiles
-- (crm-metrics report): bookings and win rate are the month to date (won / (won + lost));
-- open pipeline is the open amount at the end of the as-of date; coverage is open pipeline /
-- (the month's company quota - bookings to date), null once the quota is reached; MRR and ARR
-- are the as-of month's levels; NRR is the latest complete month's.
with

as_of as (
    select
        as_of_date,
        date_trunc('month', as_of_date)::date as month_start,
        case
            when as_of_date = last_day(as_of_date) then date_trunc('month', as_of_date)::date
            else (date_trunc('month', as_of_date) - interval 1 month)::date
        end as nrr_month
    from meta.snapshot
),

closed as (
    select
        coalesce(sum(case when opportunities.outcome = 'won' then opportunities.amount end), 0)
            as bookings,
        count(*) filter (where opportunities.outcome = 'won') as won_count,
        count(*) filter (where opportunities.outcome = 'lost') as lost_count
    from core.fct_opportunities as opportunities
    inner join as_of
        on
            opportunities.closed_at >= as_of.month_start
            and opportunities.closed_at < as_of.as_of_date + interval 1 day
    where opportunities.outcome in ('won', 'lost')
),

open_pipeline as (
    select sum(trend.open_amount) as open_pipeline
    from marts.mart_pipeline_trend as trend
    inner join as_of on trend.snapshot_date = as_of.as_of_date
)

select
    as_of.as_of_date,
    as_of.month_start as as_of_month,
    closed.bookings,
    closed.won_count,
    closed.lost_count,
    closed.won_count / nullif(closed.won_count + closed.lost_count, 0) as win_rate,
    open_pipeline.open_pipeline,
    quota.company_quota,
    case
        when quota.company_quota - closed.bookings > 0
            then open_pipeline.open_pipeline / (quota.company_quota - closed.bookings)
    end as coverage,
    saas.mrr,
    saas.arr,
    as_of.nrr_month,
    churn.net_revenue_retention as nrr
from as_of
cross join closed
cross join open_pipeline
left join marts.mart_quota_attainment_summary as quota
    on as_of.month_start = quota.period_month
left join marts.mart_saas_kpis as saas
    on as_of.month_start = saas.period_month
left join marts.mart_churn as churn
    on as_of.nrr_month = churn.period_month
