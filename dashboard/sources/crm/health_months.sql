-- Account health per month: the sum and count of the scores (pages divide them)
select
    period_month,
    sum(health_score) as health_score_sum,
    count(health_score) as scored_accounts
from marts.mart_account_health
group by period_month
