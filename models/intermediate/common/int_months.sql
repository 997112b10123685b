{#
    The month spine of every monthly model: one row per calendar month, from the month of the
    earliest to the month of the latest of: the first CRM event (int_as_of_date.first_data_date),
    the last day of the as-of year (where dim_dates ends), marketing spend months, deal close
    dates (current and in history) and target months. Each model filters it to its own bounds;
    the extra dates cover spend before the first CRM event (mart_saas_kpis), close dates pushed
    out of before it (mart_slippage), future close dates and quotas (mart_forecast), and usage
    events and support tickets before it (mart_product_usage, mart_support_load, dense from
    their first event or ticket). No row without an as-of date.
#}
with

as_of as (
    select first_data_date, as_of_date
    from {{ ref('int_as_of_date') }}
    where as_of_date is not null
),

marketing_spend as (
    select period_month from {{ ref('int_marketing_spend_accepted') }}
),

opportunities as (
    select close_date from {{ ref('int_opportunities_accepted') }}
),

opportunity_history as (
    select close_date from {{ ref('int_opportunity_history_accepted') }}
),

targets as (
    select period_month from {{ ref('int_targets_accepted') }}
),

usage_events as (
    select event_at from {{ ref('int_usage_events_accepted') }}
),

support_tickets as (
    select created_at from {{ ref('int_support_tickets_accepted') }}
),

edge_dates as (
    select first_data_date as edge_date from as_of
    union all
    select
        cast({{ dbt.dateadd('month', 11, dbt.date_trunc('year', 'as_of_date')) }} as date)
            as edge_date
    from as_of
    union all
    select period_month as edge_date from marketing_spend
    union all
    select close_date as edge_date from opportunities
    union all
    select close_date as edge_date from opportunity_history
    union all
    select period_month as edge_date from targets
    union all
    select cast(event_at as date) as edge_date from usage_events
    union all
    select cast(created_at as date) as edge_date from support_tickets
),

edge_bounds as (
    select
        cast({{ dbt.date_trunc('month', 'min(edge_date)') }} as date) as first_month,
        max(edge_date) as last_date
    from edge_dates
),

{# No as-of row (no data): no bounds, no month. #}
bounds as (
    select
        edge_bounds.first_month,
        edge_bounds.last_date
    from edge_bounds
    cross join as_of
),

months as (
    {{ crm_month_series('bounds', 'first_month', 'last_date') }}
),

final as (
    select
        period_month,
        cast({{ dbt.dateadd('month', 1, 'period_month') }} as date) as next_month_start
    from months
)

select * from final
