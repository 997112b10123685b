-- The snapshot every page reports on: its as-of date and month, and when it was published
select
    snapshot_id,
    published_at,
    as_of_date,
    date_trunc('month', as_of_date)::date as as_of_month
from meta.snapshot
