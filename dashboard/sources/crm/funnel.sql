-- Stage funnel counts by segment and creation month (pages sum the counts, then divide)
select
    stage_name,
    stage_order,
    segment,
    created_month,
    reached_count,
    advanced_count,
    won_count
from marts.mart_funnel_conversion
