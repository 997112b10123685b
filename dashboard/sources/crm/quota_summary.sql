-- Company bookings against the company quota, by month
select
    period_month,
    company_bookings_amount,
    company_quota,
    reps_with_quota,
    reps_at_quota
from marts.mart_quota_attainment_summary
