-- Each rep's activity per month (pages add names from crm.reps)
select
    period_month,
    user_id,
    dials,
    connects,
    meetings,
    opportunities_sourced,
    deals_won
from marts.mart_activity_efficiency
