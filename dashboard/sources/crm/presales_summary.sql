-- Presales coverage of closed deals per month
select
    period_month,
    closed_count,
    closed_with_presales_count,
    active_ae_count,
    active_se_count
from marts.mart_presales_summary
