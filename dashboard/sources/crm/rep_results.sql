-- Each rep's month: bookings against quota and open pipeline (pages add names from crm.reps)
select
    period_month,
    owner_id,
    team,
    won_count,
    bookings_amount,
    quota,
    open_pipeline_amount
from marts.mart_quota_attainment
