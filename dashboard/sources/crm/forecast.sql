-- The month's forecast by method
select
    period_month,
    method,
    open_pipeline_amount,
    weighted_pipeline_amount,
    won_to_date,
    expected_bookings,
    quota
from marts.mart_forecast
