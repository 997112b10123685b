-- Monthly flow of the open pipeline (the mart's week grain is not shown)
select
    period_start as period_month,
    open_amount_start,
    created_amount,
    reopened_amount,
    won_amount,
    lost_amount,
    amount_change,
    open_amount_end
from marts.mart_pipeline_flow
where grain = 'month'
