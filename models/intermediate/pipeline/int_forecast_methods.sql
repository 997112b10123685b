{#
    One row per forecast method of int_forecast_deal_probabilities: the methods every forecast
    mart reports, also for a month without open deals. See _pipeline__forecast__models.yml.
#}
with

methods as (
    select 'crm_probability' as method  -- noqa: RF04
    union all
    select 'stage_conversion' as method  -- noqa: RF04
    union all
    select 'rep_adjusted' as method  -- noqa: RF04
)

select * from methods
