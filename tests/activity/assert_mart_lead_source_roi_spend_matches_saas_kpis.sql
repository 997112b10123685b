{#
    mart_lead_source_roi's spend summed over a month's rows (the unattributed row included)
    equals mart_saas_kpis.marketing_spend, to the cent; both are null together when there is
    no spend data. A month of spend missing from mart_saas_kpis also fails. Returns the
    disagreeing months.
#}
with

roi as (
    select
        period_month,
        sum(spend) as spend,
        count(spend) as spend_rows
    from {{ ref('mart_lead_source_roi') }}
    group by 1
),

kpis as (
    select period_month, marketing_spend
    from {{ ref('mart_saas_kpis') }}
),

compared as (
    select
        coalesce(roi.period_month, kpis.period_month) as period_month,
        roi.spend as roi_spend,
        roi.spend_rows,
        kpis.marketing_spend,
        kpis.period_month is null as is_missing_in_kpis
    from roi
    full outer join kpis
        on roi.period_month = kpis.period_month
)

select *
from compared
where
    (is_missing_in_kpis and roi_spend <> 0)
    or (not is_missing_in_kpis and coalesce(roi_spend, 0) <> coalesce(marketing_spend, 0))
    or (not is_missing_in_kpis and spend_rows > 0 and marketing_spend is null)
