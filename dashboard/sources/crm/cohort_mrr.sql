-- MRR of each start-month cohort by months since start, with month zero's MRR
select
    cohort_month,
    months_since_start,
    cohort_customers,
    active_customers,
    mrr,
    month_zero_mrr
from marts.mart_cohort_mrr
