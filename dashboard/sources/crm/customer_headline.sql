-- The headline numbers of leads, buyers and product use, by the rules of the report's tiles
-- (crm-metrics report): the email response rate is the as-of month to date (emails replied to
-- / emails); the persona win rate is all time, of the buyer persona (primary contact's title,
-- `unknown` left out) with the highest win rate among those with at least 10 closed deals (any
-- persona with a closed deal when none has 10; ties: more closed deals, then the name last in
-- order); cost per lead, DAU/MAU and the health score are the latest complete month's; activation
-- velocity is over the 4 latest signup weeks whose 48 hours have all passed by the end of the
-- as-of date (a week's Monday + 9 days).
with

as_of as (
    select
        as_of_date,
        date_trunc('month', as_of_date)::date as month_start,
        case
            when as_of_date = last_day(as_of_date) then date_trunc('month', as_of_date)::date
            else (date_trunc('month', as_of_date) - interval 1 month)::date
        end as complete_month
    from meta.snapshot
),

responses as (
    select sum(daily.responses) / nullif(sum(daily.emails), 0) as response_rate
    from marts.mart_rep_daily_activity as daily
    inner join as_of
        on daily.activity_date between as_of.month_start and as_of.as_of_date
),

closed as (
    select
        persona,
        coalesce(won_count, 0) as won_count,
        coalesce(won_count, 0) + coalesce(lost_count, 0) as closed_count
    from marts.mart_conversions_by_title
    where persona <> 'unknown' and coalesce(won_count, 0) + coalesce(lost_count, 0) > 0
),

best_persona as (
    select
        persona,
        won_count,
        closed_count,
        won_count / closed_count as persona_win_rate
    from closed
    where
        closed_count >= 10
        or not exists (select 1 from closed as enough where enough.closed_count >= 10)
    order by persona_win_rate desc, closed_count desc, persona desc
    limit 1
),

cost as (
    select sum(roi.spend) / nullif(sum(roi.leads), 0) as cost_per_lead
    from marts.mart_lead_source_roi as roi
    inner join as_of on roi.period_month = as_of.complete_month
),

usage as (
    select product_usage.dau / nullif(product_usage.mau, 0) as stickiness
    from marts.mart_product_usage as product_usage
    inner join as_of on product_usage.period_month = as_of.complete_month
),

activation_weeks as (
    select
        activation.new_users,
        activation.activated_48h,
        row_number() over (order by activation.signup_week desc) as recency
    from marts.mart_activation as activation
    inner join as_of
        on activation.signup_week + interval 9 day <= as_of.as_of_date + interval 1 day
),

activation as (
    select sum(activated_48h) / nullif(sum(new_users), 0) as activation_velocity
    from activation_weeks
    where recency <= 4
),

health as (
    select sum(account_health.health_score) / nullif(count(account_health.health_score), 0)
        as health_score
    from marts.mart_account_health as account_health
    inner join as_of on account_health.period_month = as_of.complete_month
)

select
    as_of.as_of_date,
    as_of.complete_month,
    responses.response_rate,
    best_persona.persona,
    best_persona.won_count as persona_won_count,
    best_persona.closed_count as persona_closed_count,
    best_persona.persona_win_rate,
    cost.cost_per_lead,
    usage.stickiness,
    activation.activation_velocity,
    health.health_score
from as_of
cross join responses
cross join activation
cross join health
cross join cost
left join best_persona on true
left join usage on true
